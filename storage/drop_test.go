package storage

import (
	"errors"
	"fmt"
	"testing"
)

// DropMessagesFrom deletes only the sender's messages after the time,
// with their proofs and index entries, and the summary follows.
func TestDropMessagesFromKeepsTheRest(t *testing.T) {
	db, _ := openTemp(t)
	const conv = "g:group"
	var cut Message
	err := db.Update(func(tx *Tx) error {
		for i := range 6 {
			m := msg(conv, i, false)
			if i%2 == 1 {
				m.Sender = "kicked"
			}
			if i == 2 {
				cut = m
			}
			if _, err := tx.AddMessage(m); err != nil {
				return err
			}
			if err := tx.PutProof(conv, m.ID, []byte("signed")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var gone []Message
	err = db.Update(func(tx *Tx) (err error) { gone, err = tx.DropMessagesFrom(conv, "kicked", cut.SentAt); return })
	if err != nil {
		t.Fatal(err)
	}
	if len(gone) != 2 || gone[0].ID != msg(conv, 3, false).ID || gone[1].ID != msg(conv, 5, false).ID {
		t.Fatalf("dropped %+v, want messages 3 and 5", gone)
	}
	err = db.View(func(tx *Tx) error {
		page, _, err := tx.History(conv, "", 10)
		if err != nil {
			return err
		}
		if len(page) != 4 || page[0].ID != msg(conv, 4, false).ID {
			return fmt.Errorf("history after the drop: %+v", page)
		}
		for _, id := range []string{gone[0].ID, gone[1].ID} {
			if has, err := tx.HasMessage(conv, id); err != nil || has {
				return fmt.Errorf("message %s still indexed (%v)", id, err)
			}
			if _, err := tx.Proof(conv, id); !errors.Is(err, ErrNotFound) {
				return fmt.Errorf("proof of %s: %v, want not found", id, err)
			}
		}
		c, err := tx.Conversation(conv)
		if err != nil {
			return err
		}
		if c.Unread != 4 || c.Last.ID != msg(conv, 4, false).ID {
			return fmt.Errorf("summary after the drop: unread %d, last %s", c.Unread, c.Last.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
