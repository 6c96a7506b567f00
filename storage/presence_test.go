package storage

import (
	"errors"
	"testing"
	"time"
)

// Presence sequence numbers keep growing across a reopen, and stay ahead
// of the clock's nanoseconds even when the stored one is far in the future.
func TestPresenceSeqGrowsAcrossRestarts(t *testing.T) {
	db, dir := openTemp(t)
	a, err := db.NextPresenceSeq()
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.NextPresenceSeq()
	if err != nil {
		t.Fatal(err)
	}
	if b <= a || a < uint64(time.Now().Add(-time.Minute).UnixNano()) {
		t.Fatalf("seqs %d then %d: want increasing and near the clock", a, b)
	}
	// A stored seq ahead of the clock (a clock that went back) still grows.
	ahead := uint64(time.Now().Add(time.Hour).UnixNano())
	if err := db.Update(func(tx *Tx) error { return tx.txn.Set(presenceSeqKey, be64(ahead)) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	c, err := db2.NextPresenceSeq()
	if err != nil {
		t.Fatal(err)
	}
	if c != ahead+1 {
		t.Fatalf("seq after reopen = %d, want %d", c, ahead+1)
	}
}

func TestOwnPresenceRoundTrip(t *testing.T) {
	db, _ := openTemp(t)
	p, err := db.OwnPresence()
	if err != nil || p.Status != "" {
		t.Fatalf("fresh OwnPresence = %+v, %v; want zero", p, err)
	}
	if _, err := db.SetOwnPresence("away", "lunch"); err != nil {
		t.Fatal(err)
	}
	p, err = db.OwnPresence()
	if err != nil || p.Status != "away" || p.Note != "lunch" || p.UpdatedAt.IsZero() {
		t.Fatalf("OwnPresence = %+v, %v", p, err)
	}
}

func TestProfileSeqOutranksTheClock(t *testing.T) {
	db, _ := openTemp(t)
	p, err := db.UpdateOwnProfile(func(p *Profile) error { p.Nickname = "a"; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if p.Seq < uint64(time.Now().Add(-time.Minute).UnixNano()) {
		t.Fatalf("first profile seq %d: want the clock's nanoseconds", p.Seq)
	}
	q, err := db.UpdateOwnProfile(func(p *Profile) error { p.Nickname = "b"; return nil })
	if err != nil || q.Seq <= p.Seq {
		t.Fatalf("second seq %d after %d (%v)", q.Seq, p.Seq, err)
	}
}

func TestRecordCache(t *testing.T) {
	db, _ := openTemp(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	err := db.Update(func(tx *Tx) error {
		if err := tx.PutCachedProfile("peerA", CachedRecord{Record: []byte("prof"), Source: SourceDHT, FetchedAt: now}); err != nil {
			return err
		}
		return tx.PutCachedPresence("peerA", CachedRecord{Record: []byte("pres"), Source: SourceLive, FetchedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *Tx) error {
		prof, err := tx.CachedProfile("peerA")
		if err != nil || string(prof.Record) != "prof" || prof.Source != SourceDHT || !prof.FetchedAt.Equal(now) {
			t.Errorf("CachedProfile = %+v, %v", prof, err)
		}
		pres, err := tx.CachedPresence("peerA")
		if err != nil || string(pres.Record) != "pres" || pres.Source != SourceLive {
			t.Errorf("CachedPresence = %+v, %v", pres, err)
		}
		if _, err := tx.CachedPresence("peerB"); !errors.Is(err, ErrNotFound) {
			t.Errorf("CachedPresence of an unknown peer: %v, want ErrNotFound", err)
		}
		// The cache does not leak into the contacts store.
		contacts, err := tx.Contacts()
		if err != nil || len(contacts) != 0 {
			t.Errorf("contacts = %v, %v", contacts, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *Tx) error { return tx.PutCachedProfile("peerA", CachedRecord{}) }); err == nil {
		t.Fatal("PutCachedProfile accepted an empty record")
	}
}
