package main

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/node"
	"github.com/parley-im/parley/node/nodetest"
	"github.com/parley-im/parley/storage"
)

// friendPair starts two in-process daemons that are connected friends and
// returns their homes and nodes.
func friendPair(t *testing.T) (homeA, homeB string, a, b *node.Node) {
	t.Helper()
	homeA, a = daemonHome(t)
	homeB, b = daemonHome(t)
	nodetest.Connect(t, nodetest.QUIC, a, b)
	subB := b.Feed().Subscribe(0)
	defer subB.Close()
	subA := a.Feed().Subscribe(0)
	defer subA.Close()
	req, err := a.Chat().AddFriend(b.Host().ID(), "hi")
	if err != nil {
		t.Fatal(err)
	}
	awaitFeed(t, subB, "B gets A's request", func(ev chat.Event) bool {
		r, ok := ev.Data.(storage.FriendRequest)
		return ev.Type == chat.EventFriendRequest && ok && r.ID == req.ID
	})
	if _, err := b.Chat().AcceptRequest(req.ID); err != nil {
		t.Fatal(err)
	}
	awaitFeed(t, subA, "A learns B accepted", func(ev chat.Event) bool {
		ce, ok := ev.Data.(chat.ContactEvent)
		return ev.Type == chat.EventContact && ok && ce.Contact.UserID == b.Host().ID().String() && ce.Contact.Friend
	})
	return homeA, homeB, a, b
}

// awaitFeed waits until match accepts an event of sub.
func awaitFeed(t *testing.T, sub *chat.Subscription, what string, match func(chat.Event) bool) chat.Event {
	t.Helper()
	timeout := time.NewTimer(20 * time.Second)
	defer timeout.Stop()
	for {
		select {
		case ev, ok := <-sub.Events():
			if !ok {
				t.Fatalf("%s: the feed ended", what)
			}
			if match(ev) {
				return ev
			}
		case <-timeout.C:
			t.Fatalf("%s: no such event within 20s", what)
		}
	}
}

// lockedBuffer is a bytes.Buffer that a command writes from several
// goroutines while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor polls cond until it holds (a command's output has no event to
// wait on), failing after 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not within 20s", what)
		case <-tick.C:
		}
	}
}
