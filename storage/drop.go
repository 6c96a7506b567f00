package storage

import (
	"fmt"
	"slices"
	"time"
)

// DropMessagesFrom deletes the messages of conv that sender sent after
// the given time (strictly), with their status records, ID index entries
// and proofs, and keeps the conversation summary in step (its unread
// count and last message). It returns the messages it deleted, oldest
// first. A group drops this way what a removed member posted after its
// removal but before the node learned of it.
func (tx *Tx) DropMessagesFrom(conv, sender string, after time.Time) ([]Message, error) {
	prefix := messagePrefix(conv)
	var start []byte
	if ns := after.UnixNano(); ns > 0 {
		start = join(prefix, be64(uint64(ns)+1))
	}
	var keys [][]byte
	var gone []Message
	err := tx.scanMessages(prefix, start, false, func(k []byte, m Message) (bool, error) {
		if m.Sender == sender && m.SentAt.After(after) {
			keys = append(keys, slices.Clone(k))
			gone = append(gone, m)
		}
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("drop messages of %s in %s: %w", sender, conv, err)
	}
	if len(gone) == 0 {
		return nil, nil
	}
	for i, k := range keys {
		id := gone[i].ID
		for _, key := range [][]byte{k, statusKey(k), messageIndexKey(conv, id), proofKey(conv, id)} {
			if err := tx.txn.Delete(key); err != nil {
				return nil, fmt.Errorf("drop message %s: %w", id, err)
			}
		}
		delete(tx.states, string(k))
	}
	tx.messagesGone = true
	return gone, tx.summarizeAfterDrop(conv, gone)
}

// summarizeAfterDrop takes the dropped messages out of conv's summary.
func (tx *Tx) summarizeAfterDrop(conv string, gone []Message) error {
	c, err := tx.conversation(conv)
	if err != nil || c == nil {
		return err
	}
	lastGone := false
	for _, m := range gone {
		if !m.Outgoing && m.Status != StatusRead && c.Unread > 0 {
			c.Unread--
		}
		lastGone = lastGone || m.ID == c.Last.ID
	}
	if lastGone {
		page, _, err := tx.History(conv, "", 1)
		if err != nil {
			return err
		}
		c.Last = Message{}
		if len(page) == 1 {
			c.Last = page[0]
		}
	}
	tx.putConversation(c)
	return nil
}
