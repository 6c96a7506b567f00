package storage

import (
	"fmt"
	"time"
)

// Sources of a cached record.
const (
	// SourceLive marks a record the user's node pushed over a direct
	// connection.
	SourceLive = "live"
	// SourceDHT marks a record fetched from the DHT.
	SourceDHT = "dht"
)

// CachedRecord is another user's signed profile or presence record as this
// node last learned it. Storage keeps the bytes as they were signed; the
// messenger verifies them before storing and again after reading.
type CachedRecord struct {
	// Record is the signed envelope.
	Record []byte `json:"record"`
	// Source is SourceLive or SourceDHT.
	Source string `json:"source"`
	// FetchedAt is when the node received the record (or last confirmed it
	// from the same source).
	FetchedAt time.Time `json:"fetched_at"`
}

// Key prefixes of the cache: pc/<peer> for profiles, ps/<peer> for
// presence.
const (
	prefixCachedProfile  = "pc/"
	prefixCachedPresence = "ps/"
)

func cachedProfileKey(peer string) []byte {
	return join([]byte(prefixCachedProfile), []byte(peer))
}

func cachedPresenceKey(peer string) []byte {
	return join([]byte(prefixCachedPresence), []byte(peer))
}

// CachedProfile returns the cached profile record of peer, or ErrNotFound.
func (tx *Tx) CachedProfile(peer string) (CachedRecord, error) {
	var r CachedRecord
	if err := getJSON(tx.txn, cachedProfileKey(peer), &r); err != nil {
		return CachedRecord{}, err
	}
	return r, nil
}

// PutCachedProfile stores peer's profile record.
func (tx *Tx) PutCachedProfile(peer string, r CachedRecord) error {
	if peer == "" || len(r.Record) == 0 {
		return fmt.Errorf("put cached profile: peer and record are required")
	}
	return setJSON(tx.txn, cachedProfileKey(peer), r)
}

// CachedPresence returns the cached presence record of peer, or
// ErrNotFound.
func (tx *Tx) CachedPresence(peer string) (CachedRecord, error) {
	var r CachedRecord
	if err := getJSON(tx.txn, cachedPresenceKey(peer), &r); err != nil {
		return CachedRecord{}, err
	}
	return r, nil
}

// PutCachedPresence stores peer's presence record.
func (tx *Tx) PutCachedPresence(peer string, r CachedRecord) error {
	if peer == "" || len(r.Record) == 0 {
		return fmt.Errorf("put cached presence: peer and record are required")
	}
	return setJSON(tx.txn, cachedPresenceKey(peer), r)
}
