package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// OwnPresence is the availability the owner chose, the source of the
// presence records the node signs. Storage does not interpret Status; the
// messenger checks it.
type OwnPresence struct {
	// Status is online, away, busy, invisible or offline; empty means the
	// owner never chose one.
	Status string `json:"status"`
	// Note is a short free-text status.
	Note string `json:"note,omitempty"`
	// UpdatedAt is when the owner last changed it.
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

var (
	ownPresenceKey  = []byte("s/presence")
	presenceSeqKey  = []byte("s/presence-seq")
	errBadSeqLength = errors.New("sequence value is not 8 bytes")
)

// OwnPresence returns the owner's chosen presence; the zero OwnPresence
// when none was set.
func (d *DB) OwnPresence() (OwnPresence, error) {
	var p OwnPresence
	err := d.View(func(tx *Tx) error { return getJSON(tx.txn, ownPresenceKey, &p) })
	if err != nil && !errors.Is(err, ErrNotFound) {
		return OwnPresence{}, fmt.Errorf("read own presence: %w", err)
	}
	return p, nil
}

// SetOwnPresence stores the owner's chosen presence, stamped now, and
// returns it.
func (d *DB) SetOwnPresence(status, note string) (OwnPresence, error) {
	p := OwnPresence{Status: status, Note: note, UpdatedAt: time.Now().UTC()}
	if err := d.Update(func(tx *Tx) error { return setJSON(tx.txn, ownPresenceKey, p) }); err != nil {
		return OwnPresence{}, fmt.Errorf("set own presence: %w", err)
	}
	return p, nil
}

// NextPresenceSeq returns the sequence number for the next presence record
// and stores it. It is the larger of the last one plus one and the current
// Unix time in nanoseconds, so it keeps growing across restarts and even
// after the database is lost (as long as the clock is sane), which keeps a
// new record ahead of old ones still held by the DHT.
func (d *DB) NextPresenceSeq() (uint64, error) {
	var seq uint64
	err := d.Update(func(tx *Tx) error {
		var last uint64
		item, err := tx.txn.Get(presenceSeqKey)
		switch {
		case err == nil:
			if err := item.Value(func(b []byte) error {
				if len(b) != 8 {
					return errBadSeqLength
				}
				last = binary.BigEndian.Uint64(b)
				return nil
			}); err != nil {
				return err
			}
		case !isNotFound(err):
			return err
		}
		seq = max(last+1, uint64(time.Now().UnixNano()))
		return tx.txn.Set(presenceSeqKey, be64(seq))
	})
	if err != nil {
		return 0, fmt.Errorf("next presence sequence: %w", err)
	}
	return seq, nil
}
