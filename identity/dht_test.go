package identity

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	ds "github.com/ipfs/go-datastore"
	dsq "github.com/ipfs/go-datastore/query"
	dssync "github.com/ipfs/go-datastore/sync"
	"github.com/libp2p/go-libp2p"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	record "github.com/libp2p/go-libp2p-record"
	"github.com/libp2p/go-libp2p/core/peer"
)

// dhtNode is one in-process DHT server on 127.0.0.1.
type dhtNode struct {
	dht   *dht.IpfsDHT
	store ds.Batching
}

func newDHTNode(t *testing.T, v record.Validator) dhtNode {
	t.Helper()
	h, err := libp2p.New(
		libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"),
		libp2p.DisableRelay(),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Errorf("close host: %v", err)
		}
	})
	store := dssync.MutexWrap(ds.NewMapDatastore())
	d, err := dht.New(h,
		dht.Mode(dht.ModeServer),
		dht.ProtocolPrefix("/parley"),
		dht.Validator(v),
		dht.Datastore(store),
		dht.DisableAutoRefresh(),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("close dht: %v", err)
		}
	})
	return dhtNode{d, store}
}

// connectAll connects every pair of nodes and waits until each has the
// others in its routing table.
func connectAll(ctx context.Context, t *testing.T, nodes ...dhtNode) {
	t.Helper()
	for i, a := range nodes {
		for _, b := range nodes[i+1:] {
			h := b.dht.Host()
			if err := a.dht.Host().Connect(ctx, peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The routing table is filled asynchronously after identify; it has no
	// event to wait on, so check it on a short tick until the deadline.
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for _, a := range nodes {
		for _, b := range nodes {
			for a.dht != b.dht && a.dht.RoutingTable().Find(b.dht.Host().ID()) == "" {
				select {
				case <-ctx.Done():
					t.Fatalf("routing tables not filled: %v", ctx.Err())
				case <-tick.C:
				}
			}
		}
	}
}

// holds reports whether a node's datastore holds value anywhere.
func (n dhtNode) holds(ctx context.Context, t *testing.T, value []byte) bool {
	t.Helper()
	res, err := n.store.Query(ctx, dsq.Query{})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := res.Rest()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if bytes.Contains(e.Value, value) {
			return true
		}
	}
	return false
}

// acceptAllBut is a dishonest node's validator: it stores anything except
// the one value it wants to suppress, and always prefers the new value.
type acceptAllBut struct{ suppress []byte }

func (v acceptAllBut) Validate(_ string, value []byte) error {
	if bytes.Equal(value, v.suppress) {
		return errors.New("suppressed")
	}
	return nil
}

func (acceptAllBut) Select(string, [][]byte) (int, error) { return 0, nil }

func getValue(ctx context.Context, t *testing.T, n dhtNode, key string) []byte {
	t.Helper()
	got, err := n.dht.GetValue(ctx, key)
	if err != nil {
		t.Fatalf("GetValue: %v", err)
	}
	return got
}

func TestDHTRejectsForgeries(t *testing.T) {
	if testing.Short() {
		t.Skip("starts libp2p hosts")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	alice, mallory := newUser(t), newUser(t)
	key := ProfileKey(alice.id)
	older := signProfile(t, alice, sampleProfile(1)) // a real record, replayed later
	current := signProfile(t, alice, sampleProfile(2))
	forged := signProfile(t, mallory, sampleProfile(100))

	a := newDHTNode(t, NewValidator(nil))
	b := newDHTNode(t, NewValidator(nil))
	evil := newDHTNode(t, record.NamespacedValidator{
		profileNamespace: acceptAllBut{suppress: current},
	})
	connectAll(ctx, t, a, b, evil)

	// A valid profile put on one node is found from the other.
	if err := a.dht.PutValue(ctx, key, current); err != nil {
		t.Fatalf("PutValue valid: %v", err)
	}
	if got := getValue(ctx, t, b, key); !bytes.Equal(got, current) {
		t.Fatal("GetValue did not return the published profile")
	}

	// Honest nodes refuse to put a forgery or a replayed lower seq.
	for _, n := range []dhtNode{a, b} {
		if err := n.dht.PutValue(ctx, key, forged); !errors.Is(err, ErrSignerMismatch) {
			t.Errorf("PutValue forged: %v, want ErrSignerMismatch", err)
		}
		if err := n.dht.PutValue(ctx, key, older); err == nil {
			t.Error("PutValue of a lower seq succeeded")
		}
	}

	// A dishonest node pushes both to its peers, which refuse to store
	// them; whatever it serves, GetValue still returns the current record.
	for _, bad := range [][]byte{forged, older} {
		if err := evil.dht.PutValue(ctx, key, bad); err != nil {
			t.Fatalf("dishonest PutValue: %v", err)
		}
		if !evil.holds(ctx, t, bad) {
			t.Fatal("dishonest node did not store its value")
		}
		for _, n := range []dhtNode{a, b} {
			if n.holds(ctx, t, bad) {
				t.Fatal("honest node stored a bad value")
			}
			if got := getValue(ctx, t, n, key); !bytes.Equal(got, current) {
				t.Fatal("GetValue returned a bad value")
			}
		}
	}
}

func TestDHTPresence(t *testing.T) {
	if testing.Short() {
		t.Skip("starts libp2p hosts")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	alice := newUser(t)
	key := PresenceKey(alice.id)
	now := time.Now()
	online := signPresence(t, alice, Presence{Status: Online, Seq: 1, UpdatedAt: now, ExpiresAt: now.Add(time.Hour)})
	expired := signPresence(t, alice, Presence{Status: Away, Seq: 2, UpdatedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour)})

	a := newDHTNode(t, NewValidator(nil))
	b := newDHTNode(t, NewValidator(nil))
	connectAll(ctx, t, a, b)

	if err := a.dht.PutValue(ctx, key, online); err != nil {
		t.Fatalf("PutValue: %v", err)
	}
	got, err := OpenPresence(getValue(ctx, t, b, key))
	if err != nil {
		t.Fatal(err)
	}
	if got.UserID != alice.id || got.Status != Online {
		t.Fatalf("got %+v", got)
	}
	if err := b.dht.PutValue(ctx, key, expired); !errors.Is(err, ErrRecordExpired) {
		t.Fatalf("PutValue expired: %v, want ErrRecordExpired", err)
	}
}
