package storage

import (
	"encoding/binary"
	"fmt"
	"strings"

	badger "github.com/dgraph-io/badger/v4"
)

// AddOutbox queues item for its peer, giving it the next sequence number,
// and returns it as stored.
func (tx *Tx) AddOutbox(item OutboxItem) (OutboxItem, error) {
	if item.Peer == "" || item.Kind == "" {
		return OutboxItem{}, fmt.Errorf("add outbox: peer and kind are required")
	}
	seq, err := tx.nextOutboxSeq()
	if err != nil {
		return OutboxItem{}, err
	}
	item.Seq = seq
	key := outboxKey(item.Peer, seq)
	if err := tx.txn.Set(key, encodeOutbox(item)); err != nil {
		return OutboxItem{}, fmt.Errorf("set %q: %w", key, err)
	}
	return item, nil
}

// nextOutboxSeq hands out the next outbox sequence number; the counter
// is written once per transaction (flush).
func (tx *Tx) nextOutboxSeq() (uint64, error) {
	if tx.seqState == 0 && tx.w.knowsSeq() {
		tx.outboxSeq, tx.seqState = tx.w.seq, 1
	}
	if tx.seqState == 0 {
		got, err := tx.txn.Get(outboxSeqKey)
		switch {
		case err == nil:
			if err := got.Value(func(b []byte) error {
				if len(b) != 8 {
					return fmt.Errorf("outbox sequence: %d bytes", len(b))
				}
				tx.outboxSeq = binary.BigEndian.Uint64(b)
				return nil
			}); err != nil {
				return 0, err
			}
		case !isNotFound(err):
			return 0, fmt.Errorf("read outbox sequence: %w", err)
		}
		tx.seqState = 1
	}
	tx.outboxSeq++
	tx.seqState = 2
	return tx.outboxSeq, nil
}

// DeleteOutbox removes the item with seq from peer's queue.
func (tx *Tx) DeleteOutbox(peer string, seq uint64) error {
	if err := tx.txn.Delete(outboxKey(peer, seq)); err != nil {
		return fmt.Errorf("delete outbox %s/%d: %w", peer, seq, err)
	}
	return nil
}

// Outbox lists up to limit items queued for peer, oldest first, starting
// after sequence number after (0: from the start).
func (tx *Tx) Outbox(peer string, after uint64, limit int) ([]OutboxItem, error) {
	var out []OutboxItem
	prefix := outboxPrefix(peer)
	err := tx.scan(prefix, outboxKey(peer, after+1), false, func(k, v []byte) (bool, error) {
		item, err := decodeOutbox(k, v)
		if err != nil {
			return false, err
		}
		out = append(out, item)
		return len(out) < limit, nil
	})
	if err != nil {
		return nil, fmt.Errorf("outbox of %s: %w", peer, err)
	}
	return out, nil
}

// OutboxPeers lists the peers that have queued items. It skips from one
// peer's queue to the next, so it costs one seek per peer, however long
// the queues are.
func (tx *Tx) OutboxPeers() ([]string, error) {
	prefix := []byte(prefixOutbox)
	opts := badger.DefaultIteratorOptions
	opts.Prefix = prefix
	opts.PrefetchValues = false
	it := tx.txn.NewIterator(opts)
	defer it.Close()
	var peers []string
	for it.Seek(prefix); it.ValidForPrefix(prefix); {
		peer, _, ok := strings.Cut(string(it.Item().Key()[len(prefix):]), "/")
		if !ok {
			return nil, fmt.Errorf("list outbox peers: malformed key %q", it.Item().Key())
		}
		peers = append(peers, peer)
		// '0' follows '/' in ASCII: the first key past this peer's queue.
		it.Seek(join(prefix, []byte(peer), []byte("0")))
	}
	return peers, nil
}
