package storage

// committedLimit bounds the contacts and the conversation summaries that
// committed keeps; past it, it starts over empty.
const committedLimit = 1024

// statesLimit bounds the message states that committed keeps (about 200
// bytes each); past it, it forgets a quarter of them.
const statesLimit = 8192

// committed holds decoded copies of the values that nearly every write
// transaction reads: the outbox counter, contacts (a send checks its
// friend, a receive its sender) and conversation summaries. Reading them
// from Badger and decoding them anew costs more than the rest of a small
// transaction. It also holds the state of outgoing messages still on their
// way, so that recording "sent" and "delivered" needs neither the lookup
// of a status record that is not there yet nor a read of the message.
//
// Only the writer goroutine touches it, and every write goes through the
// writer: write transactions read through it (Tx.w), and it takes in a
// transaction's values only once that transaction committed, so it always
// equals the database. A failed commit empties it. Read-only transactions
// (View) do not use it: they may run at any time, from any goroutine.
type committed struct {
	seq      uint64
	seqKnown bool
	contacts map[string]*ContactInfo  // nil entry: known absent
	convs    map[string]*Conversation // nil entry: known absent
	states   map[string]MessageState  // by message key
}

func newCommitted() *committed {
	return &committed{
		contacts: make(map[string]*ContactInfo),
		convs:    make(map[string]*Conversation),
		states:   make(map[string]MessageState),
	}
}

// The lookups below are safe on a nil *committed (a View's), which
// caches nothing.

// knowsSeq reports whether the outbox counter is cached (in seq).
func (w *committed) knowsSeq() bool { return w != nil && w.seqKnown }

// contact returns the committed contact of peer (nil: none); ok is false
// when it is not cached. The value is shared: callers must not modify it.
func (w *committed) contact(peer string) (c *ContactInfo, ok bool) {
	if w == nil {
		return nil, false
	}
	c, ok = w.contacts[peer]
	return c, ok
}

// conversation returns a copy of the committed summary of id (nil: none);
// ok is false when it is not cached.
func (w *committed) conversation(id string) (c *Conversation, ok bool) {
	if w == nil {
		return nil, false
	}
	got, ok := w.convs[id]
	if !ok || got == nil {
		return nil, ok
	}
	cp := *got
	return &cp, true
}

// state returns the committed state of the message at key, when cached.
func (w *committed) state(key []byte) (MessageState, bool) {
	if w == nil {
		return MessageState{}, false
	}
	s, ok := w.states[string(key)]
	return s, ok
}

// learn takes in the values a committed transaction read or wrote.
func (w *committed) learn(tx *Tx) {
	if tx.seqState != 0 {
		w.seq, w.seqKnown = tx.outboxSeq, true
	}
	if len(w.contacts)+len(tx.contacts) > committedLimit {
		clear(w.contacts)
	}
	for peer, c := range tx.contacts {
		w.contacts[peer] = c // Tx never modifies a contact it cached
	}
	if len(w.convs)+len(tx.convs) > committedLimit {
		clear(w.convs)
	}
	for id, c := range tx.convs {
		if c != nil {
			// Only what the stored summary holds of its last message
			// (readers load the rest): a transaction's copy may hold all
			// of it, up to MaxContentSize, and there are many summaries.
			c = &Conversation{ID: c.ID, Unread: c.Unread, UpdatedAt: c.UpdatedAt,
				Last: Message{ID: c.Last.ID, ConversationID: c.Last.ConversationID, SentAt: c.Last.SentAt}}
		}
		w.convs[id] = c
	}
	w.learnStates(tx)
}

// learnStates keeps the states a transaction wrote for as long as they
// may change soon: a message that is delivered, read or failed has seen
// its busy time.
func (w *committed) learnStates(tx *Tx) {
	if tx.messagesGone {
		clear(w.states)
	}
	for key, s := range tx.states {
		if s.Status == StatusPending || s.Status == StatusSent {
			w.states[key] = s
		} else {
			delete(w.states, key)
		}
	}
	if len(w.states) <= statesLimit {
		return
	}
	drop := len(w.states) - statesLimit*3/4
	for key := range w.states { // in no particular order
		if drop == 0 {
			break
		}
		delete(w.states, key)
		drop--
	}
}

// forget empties the cache, after a commit whose outcome is unknown.
func (w *committed) forget() {
	w.seqKnown = false
	clear(w.contacts)
	clear(w.convs)
	clear(w.states)
}
