package chat

import (
	"strings"
	"testing"

	"github.com/parley-im/parley/storage"
)

// floodMessage is a message of about 60 KB, numbered.
func floodMessage(i int) string {
	return strings.Repeat("x", 60_000) + " #" + string(rune('A'+i%26)) + strings.Repeat("!", i)
}

// A friend's flood is taken at the receiver's rate and up to its quota;
// the rest waits in the flooder's outbox (BUSY acks), pending, not failed,
// and arrives once the receiver takes more (here: a restart with a larger
// quota).
func TestFriendFloodWaitsInOutbox(t *testing.T) { forTransports(t, testFriendFloodWaitsInOutbox) }

func testFriendFloodWaitsInOutbox(t *testing.T, tr transport) {
	const (
		n     = 40
		quota = 1 << 20 // room for 17 messages of 60 KB
		fits  = 17
	)
	a := newTestPeer(t, tr)
	b := newTestPeerWith(t, tr, func(c *Config) {
		c.PeerBurst, c.PeerRate, c.PeerQuota = 512<<10, 1<<20, quota
	})
	connect(t, a, b)
	befriend(t, a, b)
	var sent []storage.Message
	for i := range n {
		m, err := a.svc.Send(b.id(), floodMessage(i))
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, m)
	}
	pollUntil(t, "the receiver's quota to fill", func() bool { return len(b.history(a.id())) >= fits })
	// The first message past the quota is answered BUSY (it stays in the
	// outbox as pending); give the acks of those before it time to land.
	pollUntil(t, "the flooder to see its messages taken", func() bool {
		delivered := 0
		for _, m := range a.history(b.id()) {
			if m.Status == storage.StatusDelivered {
				delivered++
			}
		}
		return delivered >= fits
	})
	if got := len(b.history(a.id())); got != fits {
		t.Fatalf("receiver stored %d messages of the flood, its quota holds %d", got, fits)
	}
	for _, m := range a.history(b.id())[fits:] {
		if m.Status == storage.StatusFailed || m.Status == storage.StatusDelivered {
			t.Fatalf("message over the quota is %s (%s), want it waiting", m.Status, m.Error)
		}
	}
	var queued int
	if err := a.store.View(func(tx *storage.Tx) error {
		items, err := tx.Outbox(b.id().String(), 0, 2*n)
		queued = len(items)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if queued != n-fits {
		t.Fatalf("%d items left in the flooder's outbox, want %d", queued, n-fits)
	}

	b.tweak = func(c *Config) { c.PeerQuota = 64 << 20 }
	b.restart()
	connect(t, a, b)
	pollUntil(t, "the rest of the flood after the restart", func() bool { return len(b.history(a.id())) == n })
	got := b.history(a.id())
	for i, m := range got {
		if m.ID != sent[i].ID {
			t.Fatalf("message %d is %s, want %s: order lost", i, m.ID, sent[i].ID)
		}
	}
}

// The feed keeps at most feedBytes of message text for resuming clients:
// a flood of large messages pushes the oldest out (a resume from before
// them gets EventReset), as a full ring does.
func TestFeedBoundsMessageBytes(t *testing.T) {
	f := newFeed(0, 1)
	first := f.Publish(EventMessage, storage.Message{Content: floodMessage(0)})
	for i := 1; i < 300; i++ {
		f.Publish(EventMessage, storage.Message{Content: floodMessage(i)})
	}
	s := f.Subscribe(first.ID)
	defer s.Close()
	if ev := <-s.Events(); ev.Type != EventReset {
		t.Fatalf("resuming from the first of 300 large messages: %s, want reset", ev.Type)
	}
	held := 0
	for len(s.Events()) > 0 {
		ev := <-s.Events()
		held += len(ev.Data.(storage.Message).Content)
	}
	if held > feedBytes || held < feedBytes/2 {
		t.Fatalf("the feed holds %d bytes of text, want at most %d (and most of it)", held, feedBytes)
	}
}
