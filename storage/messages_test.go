package storage

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func msg(conv string, i int, outgoing bool) Message {
	return Message{
		ID:             fmt.Sprintf("%032x", i),
		ConversationID: conv,
		Sender:         "them",
		Type:           TypeText,
		Content:        fmt.Sprintf("message %d", i),
		SentAt:         time.Unix(1_700_000_000, int64(i)*int64(time.Millisecond)),
		Status:         StatusDelivered,
		Outgoing:       outgoing,
	}
}

func TestAddMessageDedupesByID(t *testing.T) {
	db, _ := openTemp(t)
	m := msg("peerA", 1, false)
	for i, want := range []bool{true, false} {
		var added bool
		err := db.Update(func(tx *Tx) (err error) { added, err = tx.AddMessage(m); return })
		if err != nil {
			t.Fatal(err)
		}
		if added != want {
			t.Fatalf("attempt %d: added = %v, want %v", i, added, want)
		}
	}
	err := db.View(func(tx *Tx) error {
		c, err := tx.Conversation("peerA")
		if err != nil {
			return err
		}
		if c.Unread != 1 {
			return fmt.Errorf("unread = %d after a duplicate, want 1", c.Unread)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestHistoryPagesNewestFirst(t *testing.T) {
	db, _ := openTemp(t)
	const n = 125
	err := db.Update(func(tx *Tx) error {
		for i := range n {
			if _, err := tx.AddMessage(msg("peerA", i, i%2 == 0)); err != nil {
				return err
			}
			// Another conversation interleaved must not leak into peerA's pages.
			if _, err := tx.AddMessage(msg("peerB", i, false)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []Message
	cursor := ""
	pages := 0
	for {
		var page []Message
		err := db.View(func(tx *Tx) (err error) { page, cursor, err = tx.History("peerA", cursor, 50); return })
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page...)
		pages++
		if cursor == "" {
			break
		}
	}
	if len(got) != n || pages != 3 {
		t.Fatalf("got %d messages in %d pages, want %d in 3", len(got), pages, n)
	}
	for i, m := range got {
		if want := msg("peerA", n-1-i, false).ID; m.ID != want || m.ConversationID != "peerA" {
			t.Fatalf("position %d: %s in %s, want %s in peerA", i, m.ID, m.ConversationID, want)
		}
	}
	err = db.View(func(tx *Tx) error {
		_, _, err := tx.History("peerA", "zz", 10)
		return err
	})
	if !errors.Is(err, ErrBadCursor) {
		t.Fatalf("bad cursor: err = %v", err)
	}
}

func TestMarkReadReturnsUnreadIncoming(t *testing.T) {
	db, _ := openTemp(t)
	err := db.Update(func(tx *Tx) error {
		for i := range 10 {
			if _, err := tx.AddMessage(msg("peerA", i, i >= 7)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var changed []Message
	if err := db.Update(func(tx *Tx) (err error) { changed, err = tx.MarkRead("peerA"); return }); err != nil {
		t.Fatal(err)
	}
	if len(changed) != 7 {
		t.Fatalf("marked %d read, want the 7 incoming", len(changed))
	}
	if err := db.Update(func(tx *Tx) (err error) { changed, err = tx.MarkRead("peerA"); return }); err != nil {
		t.Fatal(err)
	}
	if len(changed) != 0 {
		t.Fatalf("second mark read changed %d", len(changed))
	}
	err = db.View(func(tx *Tx) error {
		c, err := tx.Conversation("peerA")
		if err != nil {
			return err
		}
		m, err := tx.Message("peerA", msg("peerA", 3, false).ID)
		if err != nil {
			return err
		}
		if c.Unread != 0 || m.Status != StatusRead {
			return fmt.Errorf("unread %d, status %s", c.Unread, m.Status)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestUpdateMessageKeepsSummaryInStep(t *testing.T) {
	db, _ := openTemp(t)
	m := msg("peerA", 1, true)
	m.Status = StatusPending
	if err := db.Update(func(tx *Tx) error { _, err := tx.AddMessage(m); return err }); err != nil {
		t.Fatal(err)
	}
	err := db.Update(func(tx *Tx) error {
		_, changed, err := tx.UpdateMessage("peerA", m.ID, func(m *Message) bool {
			if !m.Status.Advances(StatusDelivered) {
				return false
			}
			m.Status = StatusDelivered
			return true
		})
		if !changed {
			return errors.New("not changed")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var convs []Conversation
	if err := db.View(func(tx *Tx) (err error) { convs, err = tx.Conversations(); return }); err != nil {
		t.Fatal(err)
	}
	if len(convs) != 1 || convs[0].Last.Status != StatusDelivered {
		t.Fatalf("conversations = %+v", convs)
	}
}

func TestDeleteConversation(t *testing.T) {
	db, _ := openTemp(t)
	err := db.Update(func(tx *Tx) error {
		for i := range deleteChunk + 5 {
			if _, err := tx.AddMessage(msg("peerA", i, false)); err != nil {
				return err
			}
		}
		_, err := tx.AddMessage(msg("peerB", 1, false))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteConversation("peerA"); err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *Tx) error {
		page, _, err := tx.History("peerA", "", 10)
		if err != nil || len(page) != 0 {
			return fmt.Errorf("history after delete: %d messages, %v", len(page), err)
		}
		if _, err := tx.Message("peerA", msg("peerA", 1, false).ID); !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("index survived: %v", err)
		}
		convs, err := tx.Conversations()
		if err != nil || len(convs) != 1 || convs[0].ID != "peerB" {
			return fmt.Errorf("conversations after delete: %+v, %v", convs, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
