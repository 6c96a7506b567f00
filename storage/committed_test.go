package storage

import (
	"errors"
	"testing"
)

// The writer's cache of committed values must never show a write that
// did not commit, and must show every one that did.
func TestCommittedCacheSeesOnlyCommits(t *testing.T) {
	db, _ := openTemp(t)
	errBoom := errors.New("boom")
	// Load the cache with "absent" for everything touched below.
	err := db.Update(func(tx *Tx) error {
		if _, err := tx.Contact("peerA"); !errors.Is(err, ErrNotFound) {
			return err
		}
		if _, err := tx.Conversation("peerA"); !errors.Is(err, ErrNotFound) {
			return err
		}
		_, err := tx.AddOutbox(OutboxItem{Peer: "peerA", Kind: "message"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// A transaction that fails after writing leaves no trace.
	err = db.Update(func(tx *Tx) error {
		if err := tx.PutContact(ContactInfo{UserID: "peerA", Friend: true}); err != nil {
			return err
		}
		if err := tx.AddNewMessage(msg("peerA", 1, true)); err != nil {
			return err
		}
		if _, err := tx.AddOutbox(OutboxItem{Peer: "peerA", Kind: "message"}); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("err = %v, want boom", err)
	}
	err = db.Update(func(tx *Tx) error {
		if _, err := tx.Contact("peerA"); !errors.Is(err, ErrNotFound) {
			t.Errorf("contact of a failed transaction: err = %v", err)
		}
		if _, err := tx.Conversation("peerA"); !errors.Is(err, ErrNotFound) {
			t.Errorf("conversation of a failed transaction: err = %v", err)
		}
		it, err := tx.AddOutbox(OutboxItem{Peer: "peerA", Kind: "message"})
		if err == nil && it.Seq != 2 {
			t.Errorf("outbox seq = %d, want 2 (the failed transaction's is not taken)", it.Seq)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// A committed transaction is seen by the next one.
	err = db.Update(func(tx *Tx) error {
		if err := tx.PutContact(ContactInfo{UserID: "peerA", Friend: true}); err != nil {
			return err
		}
		return tx.AddNewMessage(msg("peerA", 2, true))
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *Tx) error {
		c, err := tx.Contact("peerA")
		if err != nil || !c.Friend {
			t.Errorf("contact = %+v, %v; want a friend", c, err)
		}
		conv, err := tx.Conversation("peerA")
		if err != nil || conv.Last.ID != msg("peerA", 2, true).ID {
			t.Errorf("conversation = %+v, %v; want message 2 last", conv, err)
		}
		it, err := tx.AddOutbox(OutboxItem{Peer: "peerA", Kind: "message"})
		if err == nil && it.Seq != 3 {
			t.Errorf("outbox seq = %d, want 3", it.Seq)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
