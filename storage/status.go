package storage

import (
	"bytes"
	"errors"
	"fmt"

	badger "github.com/dgraph-io/badger/v4"
)

// A message's status lives in a small record of its own, keyed by the
// message's key plus statusSuffix, so that it sorts right after the
// message: a history scan meets both together, and a status change
// (sent, delivered, read: up to three per message) writes a few bytes
// instead of rewriting the whole message. The status inside the stored
// message is the one it was stored with; the record, written on the first
// change, wins.
const statusSuffix = "\x00s"

func statusKey(msgKey []byte) []byte { return join(msgKey, []byte(statusSuffix)) }

// MessageState is the part of a message that changes after it is stored.
type MessageState struct {
	Outgoing bool
	Status   MessageStatus
	Error    string
}

// The record is a flags byte (bit 0: outgoing), the status, a zero byte
// and the error text.
func encodeState(s MessageState) []byte {
	b := make([]byte, 0, 2+len(s.Status)+len(s.Error))
	var flags byte
	if s.Outgoing {
		flags |= 1
	}
	b = append(b, flags)
	b = append(b, s.Status...)
	b = append(b, 0)
	return append(b, s.Error...)
}

func decodeState(b []byte) (MessageState, error) {
	if len(b) < 2 {
		return MessageState{}, fmt.Errorf("status record of %d bytes", len(b))
	}
	status, reason, ok := bytes.Cut(b[1:], []byte{0})
	if !ok {
		return MessageState{}, errors.New("status record without separator")
	}
	return MessageState{Outgoing: b[0]&1 != 0, Status: MessageStatus(status), Error: string(reason)}, nil
}

func stateOf(m Message) MessageState {
	return MessageState{Outgoing: m.Outgoing, Status: m.Status, Error: m.Error}
}

func (s MessageState) applyTo(m *Message) { m.Status, m.Error = s.Status, s.Error }

// putState writes the status record of the message at msgKey.
func (tx *Tx) putState(msgKey []byte, s MessageState) error {
	if err := tx.txn.Set(statusKey(msgKey), encodeState(s)); err != nil {
		return fmt.Errorf("set status of %q: %w", msgKey, err)
	}
	tx.noteState(msgKey, s)
	return nil
}

// noteState records that the message at msgKey now has state s, for
// knownState, in this transaction and (once committed) the writer's cache.
func (tx *Tx) noteState(msgKey []byte, s MessageState) {
	if tx.w == nil {
		return
	}
	if tx.states == nil {
		tx.states = make(map[string]MessageState)
	}
	tx.states[string(msgKey)] = s
}

// knownState returns the current state of the message at msgKey when this
// transaction or the writer's cache knows it, without reading anything.
func (tx *Tx) knownState(msgKey []byte) (MessageState, bool) {
	if s, ok := tx.states[string(msgKey)]; ok {
		return s, true
	}
	return tx.w.state(msgKey)
}

// state reads the status record of the message at msgKey; ok is false
// when there is none.
func (tx *Tx) state(msgKey []byte) (s MessageState, ok bool, err error) {
	item, err := tx.txn.Get(statusKey(msgKey))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return MessageState{}, false, nil
	}
	if err != nil {
		return MessageState{}, false, fmt.Errorf("get status of %q: %w", msgKey, err)
	}
	err = item.Value(func(b []byte) (err error) {
		s, err = decodeState(b)
		return err
	})
	if err != nil {
		return MessageState{}, false, fmt.Errorf("status of %q: %w", msgKey, err)
	}
	return s, true, nil
}

// loadMessage reads the message at key with its current status.
func (tx *Tx) loadMessage(key []byte) (Message, error) {
	m, err := tx.getMessage(key)
	if err != nil {
		return Message{}, err
	}
	s, ok, err := tx.state(key)
	if err != nil {
		return Message{}, err
	}
	if ok {
		s.applyTo(&m)
	}
	return m, nil
}

// currentState returns the state of the message at key: as known, or from
// its status record, or else from the message itself (no change since it
// was stored); ErrNotFound when there is no such message.
func (tx *Tx) currentState(key []byte) (MessageState, error) {
	if s, ok := tx.knownState(key); ok {
		return s, nil
	}
	s, ok, err := tx.state(key)
	if err != nil || ok {
		return s, err
	}
	m, err := tx.getMessage(key)
	if err != nil {
		return MessageState{}, err
	}
	return stateOf(m), nil
}

// AdvanceStatus moves the message ref names forward to status (never back:
// see MessageStatus.Advances), with reason as its Error. It returns the
// message's state afterwards and whether it changed, or ErrNotFound.
// Unlike UpdateMessage it rewrites neither the message nor the
// conversation summary (which refers to its last message), only the
// status record.
func (tx *Tx) AdvanceStatus(ref MessageRef, status MessageStatus, reason string) (MessageState, bool, error) {
	key, err := tx.keyOf(ref)
	if err != nil {
		return MessageState{}, false, err
	}
	s, err := tx.currentState(key)
	if err != nil {
		return MessageState{}, false, err
	}
	if !s.Status.Advances(status) {
		return s, false, nil
	}
	s.Status, s.Error = status, reason
	if err := tx.putState(key, s); err != nil {
		return MessageState{}, false, err
	}
	return s, true, nil
}

// scanMessages is scan for history keys: it calls fn with each message
// under prefix, its status record applied, in key order (or reverse),
// from start (inclusive; a message key) until fn returns false or an
// error. The key passed to fn is only valid during the call.
func (tx *Tx) scanMessages(prefix, start []byte, reverse bool, fn func(k []byte, m Message) (bool, error)) error {
	var (
		// Forward, a message waits for the record that follows it.
		pendKey []byte
		pend    Message
		have    bool
		stopped bool
		// In reverse, the record comes first and waits for its message.
		recFor []byte
		rec    MessageState
	)
	flush := func() (bool, error) {
		have = false
		more, err := fn(pendKey, pend)
		if err != nil || !more {
			stopped = true
		}
		return more, err
	}
	err := tx.scan(prefix, start, reverse, func(k, v []byte) (bool, error) {
		if base, ok := bytes.CutSuffix(k, []byte(statusSuffix)); ok {
			s, err := decodeState(v)
			if err != nil {
				return false, fmt.Errorf("status of %q: %w", base, err)
			}
			if reverse {
				recFor, rec = append(recFor[:0], base...), s
				return true, nil
			}
			if have && bytes.Equal(base, pendKey) {
				s.applyTo(&pend)
				return flush()
			}
			return true, nil // the record of a message before start
		}
		m, err := decodeMessage(k, v)
		if err != nil {
			return false, err
		}
		if reverse {
			if len(recFor) > 0 && bytes.Equal(recFor, k) {
				rec.applyTo(&m)
			}
			recFor = recFor[:0]
			return fn(k, m)
		}
		if have {
			if more, err := flush(); err != nil || !more {
				return more, err
			}
		}
		pendKey, pend, have = append(pendKey[:0], k...), m, true
		return true, nil
	})
	if err != nil {
		return err
	}
	if have && !stopped {
		_, err = fn(pendKey, pend)
	}
	return err
}
