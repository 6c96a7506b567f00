package storage

import (
	"errors"
	"fmt"

	badger "github.com/dgraph-io/badger/v4"
)

// requestsIndexedKey marks a database whose pending-request index (ri/)
// covers every stored request. Databases made before the index get it
// built once, when they are opened.
var requestsIndexedKey = []byte("s/requests-indexed")

// indexRequests builds the pending-request index of a database made before
// it, giving each pending incoming request its last update as arrival.
func indexRequests(bdb *badger.DB) error {
	return bdb.Update(func(txn *badger.Txn) error {
		if _, err := txn.Get(requestsIndexedKey); err == nil {
			return nil
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return fmt.Errorf("index requests: %w", err)
		}
		tx := newTx(txn)
		var pending []FriendRequest
		err := scanJSON(tx, []byte(prefixRequest), func(r FriendRequest) (bool, error) {
			if r.pendingIncoming() && r.ReceivedAt.IsZero() {
				pending = append(pending, r)
			}
			return true, nil
		})
		if err != nil {
			return fmt.Errorf("index requests: %w", err)
		}
		for _, r := range pending {
			r.ReceivedAt = r.UpdatedAt
			if err := tx.PutRequest(r); err != nil {
				return fmt.Errorf("index requests: %w", err)
			}
		}
		if err := txn.Set(requestsIndexedKey, nil); err != nil {
			return fmt.Errorf("index requests: %w", err)
		}
		return nil
	})
}
