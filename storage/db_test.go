package storage

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

func openTemp(t *testing.T) (*DB, string) {
	t.Helper()
	dir := t.TempDir()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db, dir
}

func TestOpenWritesSchemaVersion(t *testing.T) {
	db, _ := openTemp(t)
	v, err := db.Schema()
	if err != nil {
		t.Fatal(err)
	}
	if v != SchemaVersion {
		t.Fatalf("schema = %d, want %d", v, SchemaVersion)
	}
}

func TestSecondOpenIsLocked(t *testing.T) {
	_, dir := openTemp(t)
	_, err := Open(dir, Options{})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: err = %v, want ErrLocked", err)
	}
}

func TestReopenAfterClose(t *testing.T) {
	db, dir := openTemp(t)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	db2, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	db2.Close()
}

func TestNewerSchemaRefused(t *testing.T) {
	db, dir := openTemp(t)
	err := db.db.Update(func(txn *badger.Txn) error {
		return txn.Set(schemaKey, binary.BigEndian.AppendUint32(nil, SchemaVersion+1))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = Open(dir, Options{})
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open: err = %v, want ErrSchemaTooNew", err)
	}
	// The refused open must have released the directory lock.
	_, err = Open(dir, Options{})
	if errors.Is(err, ErrLocked) {
		t.Fatalf("lock leaked by refused open: %v", err)
	}
}

// Bans are stored, listed and deleted by peer; a bad peer is refused.
func TestBans(t *testing.T) {
	db, _ := openTemp(t)
	until := time.Now().Add(time.Minute).Round(0)
	err := db.Update(func(tx *Tx) error {
		if err := tx.PutBan(Ban{Peer: "a/b", Until: until}); err == nil {
			t.Error("PutBan took a peer with a '/'")
		}
		if err := tx.PutBan(Ban{Peer: "p1", Until: until}); err != nil {
			return err
		}
		return tx.PutBan(Ban{Peer: "p2", Until: until})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *Tx) error { return tx.DeleteBan("p1") }); err != nil {
		t.Fatal(err)
	}
	var bans []Ban
	if err := db.View(func(tx *Tx) (err error) { bans, err = tx.Bans(); return }); err != nil {
		t.Fatal(err)
	}
	if len(bans) != 1 || bans[0].Peer != "p2" || !bans[0].Until.Equal(until) {
		t.Fatalf("bans = %+v, want only p2 until %s", bans, until)
	}
}

// The first claim records the owner; later claims return it, whoever
// claims, and it survives a reopen.
func TestClaimOwner(t *testing.T) {
	db, dir := openTemp(t)
	if o, err := db.Owner(); err != nil || o != "" {
		t.Fatalf("owner of a new database = %q, %v; want none", o, err)
	}
	if o, err := db.ClaimOwner("peerA"); err != nil || o != "peerA" {
		t.Fatalf("first claim = %q, %v; want peerA", o, err)
	}
	if o, err := db.ClaimOwner("peerB"); err != nil || o != "peerA" {
		t.Fatalf("second claim = %q, %v; want peerA", o, err)
	}
	db.Close()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if o, err := db.Owner(); err != nil || o != "peerA" {
		t.Fatalf("owner after reopen = %q, %v; want peerA", o, err)
	}
}
