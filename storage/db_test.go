package storage

import (
	"encoding/binary"
	"errors"
	"testing"

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
