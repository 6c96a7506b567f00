package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// A conversation summary is rewritten by every transaction that adds a
// message to it, so it is kept small (schema version 2): the unread count,
// the time of the last activity, and a reference to the last message (its
// sent time and ID) instead of a copy of it. Readers (Conversation,
// Conversations) load the last message itself, with its current status,
// so a status change need not touch the summary at all. Summaries written
// as JSON by version 1 (first byte '{') are still read.
const conversationFormat = 1

func encodeConversation(c *Conversation) []byte {
	b := make([]byte, 0, 32+len(c.Last.ID))
	b = append(b, conversationFormat)
	b = binary.AppendUvarint(b, uint64(max(c.Unread, 0)))
	b = binary.AppendVarint(b, unixNanos(c.UpdatedAt))
	b = binary.AppendVarint(b, unixNanos(c.Last.SentAt))
	return appendString(b, c.Last.ID)
}

// decodeConversation decodes the summary at key v/<conv>; its Last holds
// only ConversationID, ID and SentAt until resolveLast fills it in.
func decodeConversation(key, v []byte) (Conversation, error) {
	id := string(key[len(prefixConversation):])
	if len(v) > 0 && v[0] == '{' {
		var c Conversation
		err := jsonUnmarshal(key, v, &c)
		return c, err
	}
	if len(v) == 0 || v[0] != conversationFormat {
		return Conversation{}, fmt.Errorf("decode %q: unknown conversation format", key)
	}
	d := decoder{b: v[1:]}
	c := Conversation{ID: id}
	c.Unread = int(d.uvarint())
	c.UpdatedAt = fromUnixNanos(d.varint())
	c.Last.SentAt = fromUnixNanos(d.varint())
	c.Last.ID = d.string()
	if d.err != nil {
		return Conversation{}, fmt.Errorf("decode %q: %w", key, d.err)
	}
	if c.Last.ID != "" {
		c.Last.ConversationID = id
	}
	return c, nil
}

// resolveLast replaces the reference in c.Last by the message itself, as
// it is now. A last message that is gone leaves the reference.
func (tx *Tx) resolveLast(c *Conversation) error {
	if c.Last.ID == "" || c.Last.SentAt.IsZero() {
		return nil
	}
	m, err := tx.loadMessage(messageKey(c.ID, c.Last.SentAt.UnixNano(), c.Last.ID))
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("last message of %s: %w", c.ID, err)
	}
	c.Last = m
	return nil
}
