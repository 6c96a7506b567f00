package chat

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/parley-im/parley/identity"
)

// Every goroutine of publishing, pushing and lookups stops with the
// service: after a busy life and a stop, none is left.
func TestRecordsLeaveNoGoroutines(t *testing.T) { forTransports(t, testRecordsLeaveNoGoroutines) }

func testRecordsLeaveNoGoroutines(t *testing.T, tr transport) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dht := newMemDHT()
	a, b := newRecordPeer(t, tr, dht, 2*time.Second), newRecordPeer(t, tr, dht, 2*time.Second)
	connect(t, a, b)
	befriend(t, a, b)
	if _, err := a.svc.SetNickname("alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.SetPresence(identity.Busy, "leak hunting"); err != nil {
		t.Fatal(err)
	}
	b.waitEvent(10*time.Second, presenceEventOf(a, identity.Busy))
	if _, err := b.svc.Whois(context.Background(), a.id(), WhoisOptions{Refresh: true}); err != nil {
		t.Fatal(err)
	}
	dht.set(func(m *memDHT) { m.stall = true })
	if _, err := b.svc.Whois(context.Background(), a.id(), WhoisOptions{Refresh: true}); err != nil {
		t.Fatal(err)
	}
	a.stop()
	b.stop()
}
