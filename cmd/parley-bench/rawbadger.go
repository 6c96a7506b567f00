package main

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// openRawBadger opens Badger in dir with the library's defaults, as the
// raw baseline does everywhere.
func openRawBadger(dir string) (*badger.DB, error) {
	db, err := badger.Open(badger.DefaultOptions(dir).WithLoggingLevel(badger.WARNING))
	if err != nil {
		return nil, fmt.Errorf("raw badger: %w", err)
	}
	return db, nil
}

// rawMessageKey is a history key as Parley lays them out
// (m/<conv>/<sentAt ns:8><id>), so that the raw side orders and seeks like
// Parley's.
func rawMessageKey(conv string, at int64, id string) []byte {
	k := make([]byte, 0, 2+len(conv)+1+8+len(id))
	k = append(k, "m/"...)
	k = append(k, conv...)
	k = append(k, '/')
	k = binary.BigEndian.AppendUint64(k, uint64(at))
	return append(k, id...)
}

// randomID is a 16-byte random hex ID, as Parley's message IDs are.
func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// rawWriteBatch writes n values of size bytes under history keys of one
// conversation with a WriteBatch into a fresh Badger in dir, and returns
// how long it took, Flush included.
func rawWriteBatch(dir string, n, size int) (time.Duration, error) {
	db, err := openRawBadger(dir)
	if err != nil {
		return 0, err
	}
	val := make([]byte, size)
	_, _ = rand.Read(val)
	conv := randomID()
	base := time.Now().UnixNano()
	t0 := time.Now()
	wb := db.NewWriteBatch()
	for i := range n {
		if err := wb.Set(rawMessageKey(conv, base+int64(i), randomID()), val); err != nil {
			wb.Cancel()
			return 0, errors.Join(fmt.Errorf("raw write batch: %w", err), db.Close())
		}
	}
	if err := wb.Flush(); err != nil {
		return 0, errors.Join(fmt.Errorf("raw write batch: %w", err), db.Close())
	}
	took := time.Since(t0)
	if err := db.Close(); err != nil {
		return 0, fmt.Errorf("raw badger close: %w", err)
	}
	return took, nil
}
