package chat

import (
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	record "github.com/libp2p/go-libp2p-record"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/routing"

	"github.com/parley-im/parley/identity"
	"github.com/parley-im/parley/storage"
)

// newRecordPeer is newTestPeer on tr with profile and presence settings: rt
// stands for the DHT (nil: none) and ttl is the presence TTL.
func newRecordPeer(t *testing.T, tr transport, rt routing.ValueStore, ttl time.Duration) *testPeer {
	t.Helper()
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p := &testPeer{t: t, key: key, dir: t.TempDir(), tr: tr}
	h := tr.newHost(t, libp2p.Identity(key))
	db, err := storage.Open(p.dir, storage.Options{GCInterval: -1})
	if err != nil {
		h.Close()
		t.Fatal(err)
	}
	p.host, p.store, p.feed = h, db, NewFeed(0)
	p.psCancel = func() {} // no GossipSub: groups are not under test here
	p.stopped = make(chan struct{})
	p.queue = drain(p.feed, p.stopped)
	p.svc, err = New(Config{
		Host: h, Store: db, Feed: p.feed,
		RetryMin: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond,
		AckTimeout: 5 * time.Second, DialTimeout: 5 * time.Second,
		Routing: rt, PresenceTTL: ttl, LookupTimeout: 300 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	p.svc.records.mu.Lock()
	p.svc.records.refreshGap = 100 * time.Millisecond
	p.svc.records.mu.Unlock()
	t.Cleanup(p.stop)
	return p
}

// memDHT is an in-memory routing.ValueStore that applies Parley's
// validators as every DHT node does. It can fail puts and stall gets, and
// reports each stored record on puts.
type memDHT struct {
	v    record.Validator
	puts chan string // the key of every stored record; never blocks

	mu      sync.Mutex
	vals    map[string][]byte
	failPut error
	stall   bool // GetValue waits for its context to end
}

var _ routing.ValueStore = (*memDHT)(nil)

func newMemDHT() *memDHT {
	return &memDHT{v: identity.NewValidator(nil), puts: make(chan string, 1024), vals: make(map[string][]byte)}
}

func (m *memDHT) PutValue(_ context.Context, key string, val []byte, _ ...routing.Option) error {
	if err := m.v.Validate(key, val); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failPut != nil {
		return m.failPut
	}
	if old, ok := m.vals[key]; ok {
		if i, err := m.v.Select(key, [][]byte{val, old}); err != nil || i != 0 {
			return errors.New("old record")
		}
	}
	m.vals[key] = val
	select {
	case m.puts <- key:
	default:
	}
	return nil
}

func (m *memDHT) GetValue(ctx context.Context, key string, _ ...routing.Option) ([]byte, error) {
	m.mu.Lock()
	stall, val, ok := m.stall, m.vals[key], m.vals[key] != nil
	m.mu.Unlock()
	if stall {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if !ok || m.v.Validate(key, val) != nil {
		return nil, routing.ErrNotFound
	}
	return val, nil
}

func (m *memDHT) SearchValue(ctx context.Context, key string, opts ...routing.Option) (<-chan []byte, error) {
	out := make(chan []byte, 1)
	if v, err := m.GetValue(ctx, key, opts...); err == nil {
		out <- v
	}
	close(out)
	return out, nil
}

func (m *memDHT) set(f func(m *memDHT)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f(m)
}

// waitPut waits until a record is stored under key, failing the test
// after timeout.
func (m *memDHT) waitPut(t *testing.T, key string, timeout time.Duration) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case k := <-m.puts:
			if k == key {
				return
			}
		case <-deadline.C:
			t.Fatalf("no put under %q within %v", key, timeout)
		}
	}
}

// presenceEventOf matches a presence event about p with status.
func presenceEventOf(p *testPeer, status identity.PresenceStatus) func(Event) bool {
	return func(ev Event) bool {
		pe, ok := ev.Data.(PresenceEvent)
		return ok && ev.Type == EventPresence && pe.UserID == p.id().String() && pe.Presence.Status == status
	}
}
