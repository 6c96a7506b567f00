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

// Status changes of outgoing messages go through the cached state; what
// they write is what a reader finds, and a deleted message stays gone.
func TestCommittedStatesFollowWrites(t *testing.T) {
	db, _ := openTemp(t)
	m := msg("peerA", 1, true)
	m.Status = StatusPending
	ref := MessageRef{Conv: m.ConversationID, ID: m.ID, SentAt: m.SentAt}
	if err := db.Update(func(tx *Tx) error { return tx.AddNewMessage(m) }); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		status  MessageStatus
		changed bool
	}{{StatusSent, true}, {StatusSent, false}, {StatusDelivered, true}, {StatusSent, false}} {
		err := db.Update(func(tx *Tx) error {
			s, changed, err := tx.AdvanceStatus(ref, step.status, "")
			if err == nil && changed != step.changed {
				t.Errorf("advance to %s: changed = %v (now %s)", step.status, changed, s.Status)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	err := db.View(func(tx *Tx) error {
		got, err := tx.MessageRef(ref)
		if err == nil && got.Status != StatusDelivered {
			t.Errorf("stored status %s, want delivered", got.Status)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	m2 := msg("peerA", 2, true)
	m2.Status = StatusPending
	if err := db.Update(func(tx *Tx) error { return tx.AddNewMessage(m2) }); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteConversation("peerA"); err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *Tx) error {
		_, _, err := tx.AdvanceStatus(MessageRef{Conv: m2.ConversationID, ID: m2.ID, SentAt: m2.SentAt}, StatusDelivered, "")
		return err
	})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("advancing a deleted message: err = %v, want ErrNotFound", err)
	}
}
