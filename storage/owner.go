package storage

import (
	"fmt"

	badger "github.com/dgraph-io/badger/v4"
)

// ownerKey holds the peer ID (base58 text) of the node whose contacts and
// history the database keeps; the node writes it at its first start.
var ownerKey = []byte("s/owner")

// Owner returns the recorded owner's peer ID, or "" when none is recorded
// (a new database, or one from before owners were recorded).
func (d *DB) Owner() (string, error) {
	var owner string
	err := d.db.View(func(txn *badger.Txn) (err error) {
		owner, err = readOwner(txn)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("read database owner: %w", err)
	}
	return owner, nil
}

// ClaimOwner records id as the database's owner when none is recorded.
// It returns the owner recorded before (or id, when it recorded it):
// the caller refuses a database whose owner is another peer.
func (d *DB) ClaimOwner(id string) (string, error) {
	if id == "" {
		return "", fmt.Errorf("claim database: no peer id")
	}
	owner, err := d.Owner()
	if err != nil || owner != "" {
		return owner, err
	}
	err = d.Update(func(tx *Tx) error {
		// Read again inside the write: the writer serializes writes.
		cur, err := readOwner(tx.txn)
		if err != nil || cur != "" {
			owner = cur
			return err
		}
		owner = id
		return tx.txn.Set(ownerKey, []byte(id))
	})
	if err != nil {
		return "", fmt.Errorf("record database owner: %w", err)
	}
	return owner, nil
}

// readOwner reads the recorded owner in txn; "" when none is recorded.
func readOwner(txn *badger.Txn) (string, error) {
	item, err := txn.Get(ownerKey)
	if isNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	v, err := item.ValueCopy(nil)
	return string(v), err
}
