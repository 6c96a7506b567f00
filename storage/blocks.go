package storage

import (
	"errors"
	"fmt"
	"time"
)

// prefixBlockWindow keys the last block of each peer ever blocked.
const prefixBlockWindow = "bw/"

func blockWindowKey(peer string) []byte { return join([]byte(prefixBlockWindow), []byte(peer)) }

// BlockWindow is the last time span a peer was blocked. Until is zero while
// the block lasts. The receiver refuses what the peer says it sent within
// the window even after the block is lifted: the peer's outbox kept it and
// offers it again on the first connection after the unblock.
type BlockWindow struct {
	From  time.Time `json:"from"`
	Until time.Time `json:"until,omitzero"`
}

// Covers reports whether t falls within the window (an open window covers
// everything from its start).
func (w BlockWindow) Covers(t time.Time) bool {
	if w.From.IsZero() || t.Before(w.From) {
		return false
	}
	return w.Until.IsZero() || !t.After(w.Until)
}

// BlockWindow returns peer's last block window, or a zero one.
func (tx *Tx) BlockWindow(peer string) (BlockWindow, error) {
	var w BlockWindow
	err := getJSON(tx.txn, blockWindowKey(peer), &w)
	if errors.Is(err, ErrNotFound) {
		return BlockWindow{}, nil
	}
	if err != nil {
		return BlockWindow{}, fmt.Errorf("block window of %s: %w", peer, err)
	}
	return w, nil
}

// PutBlockWindow stores peer's last block window.
func (tx *Tx) PutBlockWindow(peer string, w BlockWindow) error {
	if err := setJSON(tx.txn, blockWindowKey(peer), w); err != nil {
		return fmt.Errorf("block window of %s: %w", peer, err)
	}
	return nil
}
