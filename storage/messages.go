package storage

import (
	"fmt"
	"slices"
	"time"
)

// AddMessage stores m unless its conversation already has a message with
// m.ID (the dedupe of redelivered messages), and updates the
// conversation's summary. It reports whether m was new.
func (tx *Tx) AddMessage(m Message) (bool, error) {
	if m.ID == "" || m.ConversationID == "" || m.SentAt.UnixNano() <= 0 {
		return false, fmt.Errorf("add message: id, conversation and a sent time are required")
	}
	idx := messageIndexKey(m.ConversationID, m.ID)
	if _, err := tx.txn.Get(idx); err == nil {
		return false, nil
	} else if !isNotFound(err) {
		return false, fmt.Errorf("check message %s: %w", m.ID, err)
	}
	if err := tx.insertMessage(m, idx); err != nil {
		return false, err
	}
	return true, nil
}

// AddNewMessage stores m, a message this node just created under a fresh
// random ID, and updates the conversation's summary. Unlike AddMessage it
// does not look the ID up first: no copy of a message can predate its ID,
// and the lookup of a key that is nowhere costs a search of every level.
func (tx *Tx) AddNewMessage(m Message) error {
	if m.ID == "" || m.ConversationID == "" || m.SentAt.UnixNano() <= 0 {
		return fmt.Errorf("add message: id, conversation and a sent time are required")
	}
	return tx.insertMessage(m, messageIndexKey(m.ConversationID, m.ID))
}

// insertMessage writes m, its ID index entry idx and the conversation
// summary.
func (tx *Tx) insertMessage(m Message, idx []byte) error {
	key := messageKey(m.ConversationID, m.SentAt.UnixNano(), m.ID)
	// No status record yet: the message holds its first status, and
	// most messages change status once or twice at most.
	if err := tx.putMessage(key, m); err != nil {
		return err
	}
	if m.Outgoing {
		tx.noteState(key, stateOf(m)) // on its way: its status changes soon
	}
	if err := tx.txn.Set(idx, key); err != nil {
		return fmt.Errorf("index message %s: %w", m.ID, err)
	}
	conv, err := tx.conversation(m.ConversationID)
	if err != nil {
		return err
	}
	if conv == nil {
		conv = &Conversation{ID: m.ConversationID}
	}
	if conv.Last.ID == "" || !m.SentAt.Before(conv.Last.SentAt) {
		conv.Last = m
	}
	if !m.Outgoing && m.Status != StatusRead {
		conv.Unread++
	}
	if at := m.SentAt; at.After(conv.UpdatedAt) {
		conv.UpdatedAt = at
	}
	tx.putConversation(conv)
	return nil
}

// conversation returns the transaction's copy of a conversation summary
// (nil when there is none); changes go back with putConversation.
func (tx *Tx) conversation(id string) (*Conversation, error) {
	if c, ok := tx.convs[id]; ok {
		return c, nil
	}
	if c, ok := tx.w.conversation(id); ok {
		tx.cacheConversation(id, c)
		return c, nil
	}
	key := conversationKey(id)
	item, err := tx.txn.Get(key)
	if isNotFound(err) {
		tx.cacheConversation(id, nil)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get %q: %w", key, err)
	}
	var c Conversation
	if err := item.Value(func(v []byte) (err error) { c, err = decodeConversation(key, v); return }); err != nil {
		return nil, err
	}
	tx.cacheConversation(id, &c)
	return &c, nil
}

func (tx *Tx) cacheConversation(id string, c *Conversation) {
	if tx.convs == nil {
		tx.convs = make(map[string]*Conversation)
	}
	tx.convs[id] = c
}

// putConversation stores c (nil: deletes the summary of id) when the
// transaction commits.
func (tx *Tx) putConversation(c *Conversation) { tx.setConversation(c.ID, c) }

func (tx *Tx) setConversation(id string, c *Conversation) {
	tx.cacheConversation(id, c)
	if tx.dirty == nil {
		tx.dirty = make(map[string]bool)
	}
	tx.dirty[id] = true
}

// MessageRef names a stored message: its conversation and ID, and, when
// known, its sent time, which locates it without the ID index.
type MessageRef struct {
	Conv   string
	ID     string
	SentAt time.Time
}

func (tx *Tx) keyOf(ref MessageRef) ([]byte, error) {
	if !ref.SentAt.IsZero() {
		return messageKey(ref.Conv, ref.SentAt.UnixNano(), ref.ID), nil
	}
	return tx.messageKeyByID(ref.Conv, ref.ID)
}

// messageKeyByID finds the history key of a message by its ID.
func (tx *Tx) messageKeyByID(conv, id string) ([]byte, error) {
	item, err := tx.txn.Get(messageIndexKey(conv, id))
	if isNotFound(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find message %s: %w", id, err)
	}
	key, err := item.ValueCopy(nil)
	if err != nil {
		return nil, fmt.Errorf("find message %s: %w", id, err)
	}
	return key, nil
}

// Message returns the message with id in conv, or ErrNotFound.
func (tx *Tx) Message(conv, id string) (Message, error) {
	return tx.MessageRef(MessageRef{Conv: conv, ID: id})
}

// MessageRef returns the message a ref names, or ErrNotFound.
func (tx *Tx) MessageRef(ref MessageRef) (Message, error) {
	key, err := tx.keyOf(ref)
	if err != nil {
		return Message{}, err
	}
	return tx.loadMessage(key)
}

// UpdateMessage loads a message, lets change modify it, and stores it when
// change returns true (keeping the conversation summary in step). It
// returns the message as stored and whether it changed.
func (tx *Tx) UpdateMessage(conv, id string, change func(*Message) bool) (Message, bool, error) {
	return tx.UpdateMessageRef(MessageRef{Conv: conv, ID: id}, change)
}

// UpdateMessageRef is UpdateMessage for a message named by a ref.
func (tx *Tx) UpdateMessageRef(ref MessageRef, change func(*Message) bool) (Message, bool, error) {
	conv := ref.Conv
	key, err := tx.keyOf(ref)
	if err != nil {
		return Message{}, false, err
	}
	m, err := tx.loadMessage(key)
	if err != nil {
		return Message{}, false, err
	}
	if !change(&m) {
		return m, false, nil
	}
	if err := tx.putMessage(key, m); err != nil {
		return Message{}, false, err
	}
	if err := tx.putState(key, stateOf(m)); err != nil {
		return Message{}, false, err
	}
	c, err := tx.conversation(conv)
	if err != nil {
		return Message{}, false, err
	}
	if c != nil && c.Last.ID == m.ID {
		c.Last = m
		tx.putConversation(c)
	}
	return m, true, nil
}

// History returns up to limit messages of conv, newest first, older than
// the cursor before ("" for the newest), and the cursor of the next page
// ("" when there is none).
func (tx *Tx) History(conv, before string, limit int) ([]Message, string, error) {
	if limit <= 0 {
		return nil, "", fmt.Errorf("history: limit must be positive")
	}
	prefix := messagePrefix(conv)
	var start []byte
	if before != "" {
		suffix, err := decodeCursor(before)
		if err != nil {
			return nil, "", err
		}
		start = join(prefix, suffix)
	}
	out := make([]Message, 0, min(limit, 256))
	var lastKey []byte
	err := tx.scanMessages(prefix, start, true, func(k []byte, m Message) (bool, error) {
		if start != nil && string(k) == string(start) {
			return true, nil // the cursor's message (a short ID) was on the previous page
		}
		if len(out) == limit {
			return false, nil
		}
		out = append(out, m)
		lastKey = append(lastKey[:0], k...)
		return true, nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("history of %s: %w", conv, err)
	}
	next := ""
	if len(out) == limit {
		next = encodeCursor(lastKey[len(prefix):])
	}
	return out, next, nil
}

// Conversation returns the summary of conv, or ErrNotFound.
func (tx *Tx) Conversation(conv string) (Conversation, error) {
	c, err := tx.conversation(conv)
	if err != nil {
		return Conversation{}, err
	}
	if c == nil {
		return Conversation{}, ErrNotFound
	}
	out := *c
	return out, tx.resolveLast(&out)
}

// Conversations lists every conversation, most recently active first.
func (tx *Tx) Conversations() ([]Conversation, error) {
	var out []Conversation
	err := tx.scan([]byte(prefixConversation), nil, false, func(k, v []byte) (bool, error) {
		c, err := decodeConversation(k, v)
		out = append(out, c)
		return err == nil, err
	})
	if err != nil {
		return nil, fmt.Errorf("list conversations: %w", err)
	}
	for i := range out {
		if c, ok := tx.convs[out[i].ID]; ok && c != nil {
			out[i] = *c // this transaction's own changes
		}
		if err := tx.resolveLast(&out[i]); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b Conversation) int { return b.UpdatedAt.Compare(a.UpdatedAt) })
	return out, nil
}

// MarkRead marks the unread incoming messages of conv read, zeroes its
// unread count, and returns the messages it changed (for read receipts).
func (tx *Tx) MarkRead(conv string) ([]Message, error) {
	c, err := tx.Conversation(conv)
	if err != nil {
		return nil, err
	}
	var changed []Message
	var keys [][]byte
	err = tx.scanMessages(messagePrefix(conv), nil, true, func(k []byte, m Message) (bool, error) {
		if m.Outgoing {
			return true, nil
		}
		if m.Status == StatusRead {
			return false, nil // everything older was read with it
		}
		m.Status = StatusRead
		changed = append(changed, m)
		keys = append(keys, slices.Clone(k))
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("mark %s read: %w", conv, err)
	}
	for i, m := range changed {
		if err := tx.putState(keys[i], stateOf(m)); err != nil {
			return nil, err
		}
		if c.Last.ID == m.ID {
			c.Last = m
		}
	}
	c.Unread = 0
	tx.putConversation(&c)
	return changed, nil
}

// deleteChunk is how many keys one transaction of DeleteConversation
// removes, well under Badger's transaction size limit.
const deleteChunk = 1000

// DeleteConversation removes a conversation's messages, their index and
// its summary, in as many transactions as that takes.
func (d *DB) DeleteConversation(conv string) error {
	prefixes := [][]byte{
		messagePrefix(conv),
		join([]byte(prefixMessageIndex), []byte(conv), []byte("/")),
		join([]byte(prefixProof), []byte(conv), []byte("/")),
	}
	for _, prefix := range prefixes {
		for {
			n := 0
			err := d.Update(func(tx *Tx) error {
				n = 0
				var keys [][]byte
				err := tx.scan(prefix, nil, false, func(k, _ []byte) (bool, error) {
					keys = append(keys, slices.Clone(k))
					return len(keys) < deleteChunk, nil
				})
				if err != nil {
					return err
				}
				for _, k := range keys {
					if err := tx.txn.Delete(k); err != nil {
						return err
					}
				}
				tx.messagesGone = true
				n = len(keys)
				return nil
			})
			if err != nil {
				return fmt.Errorf("delete conversation %s: %w", conv, err)
			}
			if n < deleteChunk {
				break
			}
		}
	}
	err := d.Update(func(tx *Tx) error { tx.setConversation(conv, nil); return nil })
	if err != nil {
		return fmt.Errorf("delete conversation %s: %w", conv, err)
	}
	return nil
}
