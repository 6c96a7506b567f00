package storage

import (
	"errors"
	"fmt"
	"runtime"

	badger "github.com/dgraph-io/badger/v4"
)

// Tx is a transaction on the database, handed to the functions given to
// View and Update. Its typed methods (contacts.go, messages.go, …) read and
// write the stores; within Update, reads see the transaction's own writes.
type Tx struct {
	txn *badger.Txn
	w   *committed // the writer's cache; nil in View

	// Values that many writes of one transaction touch (a burst of
	// messages updates one conversation summary and the outbox counter
	// each time) are kept decoded here and written once, by flush, just
	// before the commit.
	convs     map[string]*Conversation // nil entry: known absent
	contacts  map[string]*ContactInfo  // read-through; nil entry: absent
	dirty     map[string]bool
	outboxSeq uint64
	seqState  uint8 // 0 not loaded, 1 loaded, 2 changed
	// states are the message states this transaction wrote (see
	// knownState); messagesGone: it deleted messages.
	states       map[string]MessageState
	messagesGone bool
}

func newTx(txn *badger.Txn) *Tx { return &Tx{txn: txn} }

// newWriteTx starts a write transaction, which reads through the writer's
// cache of committed values.
func (d *DB) newWriteTx() *Tx { return &Tx{txn: d.db.NewTransaction(true), w: d.committed} }

// commit writes the cached values that changed and commits; the writer's
// cache then takes in what the transaction saw. An error leaves the
// transaction discarded.
func (d *DB) commit(tx *Tx) error {
	if err := tx.flush(); err != nil {
		tx.txn.Discard()
		return err
	}
	if err := tx.txn.Commit(); err != nil {
		d.committed.forget()
		return err
	}
	d.committed.learn(tx)
	return nil
}

// flush writes the cached values that changed.
func (tx *Tx) flush() error {
	for id := range tx.dirty {
		c := tx.convs[id]
		if c == nil {
			if err := tx.txn.Delete(conversationKey(id)); err != nil {
				return fmt.Errorf("delete conversation %s: %w", id, err)
			}
			continue
		}
		if err := tx.txn.Set(conversationKey(id), encodeConversation(c)); err != nil {
			return fmt.Errorf("set conversation %s: %w", id, err)
		}
	}
	tx.dirty = nil
	if tx.seqState == 2 {
		if err := tx.txn.Set(outboxSeqKey, be64(tx.outboxSeq)); err != nil {
			return fmt.Errorf("write outbox sequence: %w", err)
		}
		tx.seqState = 1
	}
	return nil
}

// View runs fn in a read-only transaction.
func (d *DB) View(fn func(*Tx) error) error {
	return d.db.View(func(txn *badger.Txn) error { return fn(newTx(txn)) })
}

// maxGroupCommit bounds how many Update calls share one commit.
const maxGroupCommit = 256

type writeReq struct {
	fn   func(*Tx) error
	done chan error
}

// Update runs fn in a read-write transaction and commits it. Concurrent
// Update calls are committed together by one writer goroutine (group
// commit), which is what lets a burst of messages cost one Badger commit
// rather than one each. So fn must only touch the Tx, and it may run more
// than once: when one function of a group fails, the others are rerun in
// transactions of their own. Update returns fn's error, or the commit's.
func (d *DB) Update(fn func(*Tx) error) error {
	req := writeReq{fn: fn, done: make(chan error, 1)}
	select {
	case d.writes <- req:
	case <-d.closing:
		return ErrClosed
	}
	return <-req.done
}

// writer owns all writes: it takes the waiting Update calls, runs them in
// one transaction and commits once.
func (d *DB) writer() {
	defer close(d.writerDone)
	for {
		var first writeReq
		select {
		case first = <-d.writes:
		case <-d.closing:
			return
		}
		batch := []writeReq{first}
		// Let the goroutines that are about to call Update (those the last
		// commit just released, most often) run first and join this
		// commit: it costs a scheduler round trip, and with nothing else
		// runnable it returns at once.
		runtime.Gosched()
	gather:
		for len(batch) < maxGroupCommit {
			select {
			case req := <-d.writes:
				batch = append(batch, req)
			default:
				break gather
			}
		}
		d.commitGroup(batch)
		d.poke()
	}
}

func (d *DB) commitGroup(batch []writeReq) {
	if len(batch) == 1 {
		batch[0].done <- d.commitOne(batch[0].fn)
		return
	}
	tx := d.newWriteTx()
	for _, req := range batch {
		if err := req.fn(tx); err != nil {
			tx.txn.Discard()
			d.commitEach(batch)
			return
		}
	}
	err := d.commit(tx)
	if errors.Is(err, badger.ErrTxnTooBig) || errors.Is(err, badger.ErrConflict) {
		d.commitEach(batch)
		return
	}
	if err != nil {
		err = fmt.Errorf("commit: %w", err)
	}
	for _, req := range batch {
		req.done <- err
	}
}

// commitEach is the slow path: every function in a transaction of its own,
// so that one failure does not fail the others.
func (d *DB) commitEach(batch []writeReq) {
	for _, req := range batch {
		req.done <- d.commitOne(req.fn)
	}
}

func (d *DB) commitOne(fn func(*Tx) error) error {
	tx := d.newWriteTx()
	if err := fn(tx); err != nil {
		tx.txn.Discard()
		return err
	}
	if err := d.commit(tx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
