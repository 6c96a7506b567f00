package storage

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	badger "github.com/dgraph-io/badger/v4"
)

// A status change writes the record only; every reader sees it.
func TestAdvanceStatusWritesOnlyTheRecord(t *testing.T) {
	db, _ := openTemp(t)
	m := msg("peerA", 1, true)
	m.Status = StatusPending
	if err := db.Update(func(tx *Tx) error { _, err := tx.AddMessage(m); return err }); err != nil {
		t.Fatal(err)
	}
	ref := MessageRef{Conv: "peerA", ID: m.ID, SentAt: m.SentAt}
	steps := []struct {
		to      MessageStatus
		changed bool
	}{{StatusSent, true}, {StatusDelivered, true}, {StatusSent, false}, {StatusDelivered, false}}
	for _, step := range steps {
		var st MessageState
		var changed bool
		err := db.Update(func(tx *Tx) (err error) { st, changed, err = tx.AdvanceStatus(ref, step.to, ""); return })
		if err != nil {
			t.Fatal(err)
		}
		if changed != step.changed || !st.Outgoing {
			t.Fatalf("to %s: changed %v, state %+v", step.to, changed, st)
		}
	}
	err := db.View(func(tx *Tx) error {
		got, err := tx.Message("peerA", m.ID)
		if err != nil {
			return err
		}
		page, _, err := tx.History("peerA", "", 10)
		if err != nil {
			return err
		}
		c, err := tx.Conversation("peerA")
		if err != nil {
			return err
		}
		if got.Status != StatusDelivered || len(page) != 1 || page[0].Status != StatusDelivered || c.Last.Status != StatusDelivered {
			return fmt.Errorf("message %s, page %+v, summary %s", got.Status, page, c.Last.Status)
		}
		// The message itself is as it was stored.
		raw, err := tx.getMessage(messageKey("peerA", m.SentAt.UnixNano(), m.ID))
		if err != nil {
			return err
		}
		if raw.Status != StatusPending {
			return fmt.Errorf("stored message rewritten: %s", raw.Status)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *Tx) error {
		_, _, err := tx.AdvanceStatus(MessageRef{Conv: "peerA", ID: "missing"}, StatusRead, "")
		return err
	})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing message: err = %v, want ErrNotFound", err)
	}
}

// Pages in both directions, from cursors, see each message's record.
func TestScansApplyStatusRecords(t *testing.T) {
	db, _ := openTemp(t)
	const n = 9
	err := db.Update(func(tx *Tx) error {
		for i := range n {
			m := msg("peerA", i, true)
			m.Status = StatusSent
			if _, err := tx.AddMessage(m); err != nil {
				return err
			}
			if _, err := tx.AddMessage(msg("peerB", i, false)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := func(i int) MessageStatus {
		if i%3 == 0 {
			return StatusDelivered
		}
		return StatusSent
	}
	err = db.Update(func(tx *Tx) error {
		for i := 0; i < n; i += 3 {
			m := msg("peerA", i, true)
			if _, _, err := tx.AdvanceStatus(MessageRef{Conv: "peerA", ID: m.ID}, StatusDelivered, ""); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var newest []Message
	for cursor := ""; ; {
		var page []Message
		err := db.View(func(tx *Tx) (err error) { page, cursor, err = tx.History("peerA", cursor, 2); return })
		if err != nil {
			t.Fatal(err)
		}
		newest = append(newest, page...)
		if cursor == "" {
			break
		}
	}
	if len(newest) != n {
		t.Fatalf("history has %d messages, want %d", len(newest), n)
	}
	for k, m := range newest {
		if i := n - 1 - k; m.ID != msg("peerA", i, true).ID || m.Status != want(i) {
			t.Fatalf("history[%d] = %s %s, want message %d %s", k, m.ID, m.Status, i, want(i))
		}
	}
	var oldest []Message
	err = db.View(func(tx *Tx) error {
		for {
			var after Message
			if len(oldest) > 0 {
				after = oldest[len(oldest)-1]
			}
			page, err := tx.MessagesAfter("peerA", after.SentAt, after.ID, 2)
			if err != nil || len(page) == 0 {
				return err
			}
			oldest = append(oldest, page...)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(oldest) != n {
		t.Fatalf("messages after: %d, want %d", len(oldest), n)
	}
	for i, m := range oldest {
		if m.ID != msg("peerA", i, true).ID || m.Status != want(i) {
			t.Fatalf("after[%d] = %s %s, want %s", i, m.ID, m.Status, want(i))
		}
	}
}

// Messages stored by schema version 1 have no record: their own status
// counts until it changes; opening such a database marks it version 2.
func TestVersionOneMessages(t *testing.T) {
	db, dir := openTemp(t)
	old := msg("peerA", 1, false)
	key := messageKey("peerA", old.SentAt.UnixNano(), old.ID)
	err := db.db.Update(func(txn *badger.Txn) error {
		b, err := json.Marshal(old)
		if err != nil {
			return err
		}
		if err := txn.Set(key, b); err != nil {
			return err
		}
		if err := txn.Set(messageIndexKey("peerA", old.ID), key); err != nil {
			return err
		}
		return txn.Set(schemaKey, binary.BigEndian.AppendUint32(nil, 1))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *Tx) error { _, err := tx.AddMessage(msg("peerA", 2, false)); return err }); err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *Tx) error {
		page, _, err := tx.History("peerA", "", 10)
		if err != nil {
			return err
		}
		if len(page) != 2 || page[1].ID != old.ID || page[1].Status != StatusDelivered {
			return fmt.Errorf("history = %+v", page)
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
	if len(changed) != 2 {
		t.Fatalf("mark read changed %d, want 2", len(changed))
	}
	err = db.View(func(tx *Tx) error {
		m, err := tx.Message("peerA", old.ID)
		if err != nil || m.Status != StatusRead {
			return fmt.Errorf("old message after mark read: %+v, %v", m, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db2, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if v, err := db2.Schema(); err != nil || v != SchemaVersion {
		t.Fatalf("schema after open = %d, %v; want %d", v, err, SchemaVersion)
	}
}

// A summary keeps a reference to its last message; readers see that
// message as it is now, also from a summary that version 1 wrote as JSON
// with a copy of the message inside.
func TestConversationSummaryRefersToLastMessage(t *testing.T) {
	db, _ := openTemp(t)
	m := msg("peerA", 1, true)
	m.Status = StatusPending
	err := db.Update(func(tx *Tx) error {
		if _, err := tx.AddMessage(m); err != nil {
			return err
		}
		_, _, err := tx.AdvanceStatus(MessageRef{Conv: "peerA", ID: m.ID}, StatusDelivered, "")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	old := msg("peerB", 2, true)
	old.Status = StatusPending
	err = db.Update(func(tx *Tx) error {
		if _, err := tx.AddMessage(old); err != nil {
			return err
		}
		_, _, err := tx.AdvanceStatus(MessageRef{Conv: "peerB", ID: old.ID}, StatusRead, "")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.db.Update(func(txn *badger.Txn) error {
		b, err := json.Marshal(Conversation{ID: "peerB", Last: old, Unread: 3, UpdatedAt: old.SentAt})
		if err != nil {
			return err
		}
		return txn.Set(conversationKey("peerB"), b) // as version 1 wrote it
	})
	if err != nil {
		t.Fatal(err)
	}
	var convs []Conversation
	if err := db.View(func(tx *Tx) (err error) { convs, err = tx.Conversations(); return }); err != nil {
		t.Fatal(err)
	}
	want := map[string]MessageStatus{"peerA": StatusDelivered, "peerB": StatusRead}
	if len(convs) != 2 {
		t.Fatalf("conversations = %+v", convs)
	}
	for _, c := range convs {
		if c.Last.Status != want[c.ID] || c.Last.Content == "" || c.Last.ConversationID != c.ID {
			t.Fatalf("%s: last = %+v, want status %s", c.ID, c.Last, want[c.ID])
		}
	}
	if convs[0].ID != "peerB" || convs[0].Unread != 3 {
		t.Fatalf("order or unread wrong: %+v", convs)
	}
}
