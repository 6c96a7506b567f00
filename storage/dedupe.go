package storage

import "fmt"

// HasMessage reports whether the message id of conv is stored (its ID
// index entry exists), without reading it.
func (tx *Tx) HasMessage(conv, id string) (bool, error) {
	if _, err := tx.txn.Get(messageIndexKey(conv, id)); err == nil {
		return true, nil
	} else if !isNotFound(err) {
		return false, fmt.Errorf("check message %s: %w", id, err)
	}
	return false, nil
}
