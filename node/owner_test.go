package node_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/identity"
	"github.com/parley-im/parley/node"
	"github.com/parley-im/parley/node/nodetest"
	"github.com/parley-im/parley/storage"
)

// dbOwner opens the stopped home's database and returns its recorded owner.
func dbOwner(t *testing.T, home node.Home) string {
	t.Helper()
	db, err := storage.Open(home.DBPath(), storage.Options{GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	owner, err := db.Owner()
	if err != nil {
		t.Fatal(err)
	}
	return owner
}

// A home whose identity.key was replaced by another key (a wrong backup
// restored) is refused with an error naming both peers and the files,
// and nothing changes: the database keeps its owner, the key file stays.
func TestWrongKeyOverDatabaseIsRefused(t *testing.T) {
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		home := initHome(t, node.ProfileLocal)
		n := nodetest.Start(t, tr, home)
		oldID := n.Host().ID().String()
		if err := n.Close(); err != nil {
			t.Fatal(err)
		}
		if owner := dbOwner(t, home); owner != oldID {
			t.Fatalf("database owner = %q, want %s", owner, oldID)
		}

		other := filepath.Join(t.TempDir(), "identity.key")
		key, err := identity.Create(other, nil)
		if err != nil {
			t.Fatal(err)
		}
		newID, err := peer.IDFromPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(other)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(home.KeyPath()); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(home.KeyPath(), data, 0o600); err != nil {
			t.Fatal(err)
		}

		cfg, err := node.LoadConfig(home.ConfigPath())
		if err != nil {
			t.Fatal(err)
		}
		nodetest.Only(tr)(&cfg)
		n, err = node.New(node.Options{Home: home, Config: cfg})
		if err == nil {
			n.Close()
			t.Fatal("a node started with another identity.key over the database")
		}
		if !errors.Is(err, node.ErrKeyMismatch) {
			t.Fatalf("error %v, want ErrKeyMismatch", err)
		}
		for _, want := range []string{oldID, newID.String(), home.KeyPath(), home.DBPath()} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %s", err, want)
			}
		}
		t.Log(err)
		if owner := dbOwner(t, home); owner != oldID {
			t.Errorf("database owner after the refusal = %q, want %s", owner, oldID)
		}
		if got, err := os.ReadFile(home.KeyPath()); err != nil || !bytes.Equal(got, data) {
			t.Errorf("identity.key changed by the refused start (%v)", err)
		}
	})
}

// A database from before owners were recorded gets its owner written at
// the node's next start.
func TestDatabaseWithoutOwnerGetsIt(t *testing.T) {
	home := initHome(t, node.ProfileLocal)
	db, err := storage.Open(home.DBPath(), storage.Options{GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *storage.Tx) error {
		return tx.PutContact(storage.ContactInfo{UserID: "12D3KooWOlder"})
	})
	if err := errors.Join(err, db.Close()); err != nil {
		t.Fatal(err)
	}
	if owner := dbOwner(t, home); owner != "" {
		t.Fatalf("owner before the first start = %q", owner)
	}
	n := nodetest.Start(t, nodetest.QUIC, home)
	id := n.Host().ID().String()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if owner := dbOwner(t, home); owner != id {
		t.Fatalf("owner after the first start = %q, want %s", owner, id)
	}
}
