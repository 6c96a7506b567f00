package main_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/node"
	"github.com/parley-im/parley/node/api"
	"github.com/parley-im/parley/storage"
)

const (
	// burst is how many messages A sends; B is killed after killAfter of
	// them arrived.
	burst     = 2000
	killAfter = 300
	// burstTimeout bounds each phase of the crash test: the burst, the
	// re-delivery after the restart. A -race daemon on a loaded 2-core
	// box is the slow case.
	burstTimeout = 2 * time.Minute
)

// apiClient finds the running daemon of home, as the CLI does.
func apiClient(t *testing.T, home string) *api.Client {
	t.Helper()
	c, err := api.ClientForHome(node.Home{Dir: home})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var errGotEvent = errors.New("got the event")

// awaitAPIEvent follows the daemon's events until match accepts one of
// types. It resumes from event 1, older than any of the daemon's, so the
// daemon first replays what it buffered (after a reset event): an event
// that happened before the call is found too.
func awaitAPIEvent(t *testing.T, c *api.Client, what string, types []string, match func(api.Event) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	_, err := c.Events(ctx, 1, types, func(ev api.Event) error {
		if ev.Type != chat.EventReset && match(ev) {
			return errGotEvent
		}
		return nil
	})
	if !errors.Is(err, errGotEvent) {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func eventData[T any](ev api.Event) T {
	var v T
	json.Unmarshal(ev.Data, &v) // a mismatch leaves v zero, which matches nothing
	return v
}

// befriendByCLI makes the daemons a and b friends the way a person would:
// connect, friend add, friend accept.
func befriendByCLI(t *testing.T, a, b *daemon) {
	t.Helper()
	parley(t, a.home, "connect", b.listen[0])
	var req storage.FriendRequest
	out := parley(t, a.home, "--json", "friend", "add", b.peer, "-m", "crash test")
	if err := json.Unmarshal([]byte(out), &req); err != nil || req.ID == "" {
		t.Fatalf("parley friend add --json printed %q (%v)", out, err)
	}
	awaitAPIEvent(t, apiClient(t, b.home), "B gets A's friend request", []string{"friend_request"}, func(ev api.Event) bool {
		return eventData[storage.FriendRequest](ev).ID == req.ID
	})
	parley(t, b.home, "friend", "accept", req.ID)
	awaitAPIEvent(t, apiClient(t, a.home), "A learns B accepted", []string{"contact"}, func(ev api.Event) bool {
		ce := eventData[chat.ContactEvent](ev)
		return ce.Contact.UserID == b.peer && ce.Contact.Friend
	})
}

// historyAll reads a whole conversation, newest first, page by page.
func historyAll(t *testing.T, c *api.Client, peer string) []storage.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	var all []storage.Message
	cursor := ""
	for {
		page, err := c.History(ctx, peer, cursor, 500)
		if err != nil {
			t.Fatalf("history with %s: %v", peer, err)
		}
		all = append(all, page.Messages...)
		if page.Next == "" {
			return all
		}
		cursor = page.Next
	}
}

func delivered(m storage.Message) bool {
	return m.Status == storage.StatusDelivered || m.Status == storage.StatusRead
}

// Issue 3's crash test with real processes: A sends a burst to B, B is
// killed with SIGKILL in the middle of it and started again. Every message
// A saw acknowledged before the restart is in B's history; A re-delivers
// the rest; B has every message exactly once, in the order they were sent.
func TestKill9ReceiverMidBurst(t *testing.T) {
	t.Parallel()
	a := startDaemon(t, t.TempDir())
	b := startDaemon(t, t.TempDir())
	befriendByCLI(t, a, b)
	ca, cb := apiClient(t, a.home), apiClient(t, b.home)

	ctx, cancel := context.WithTimeout(context.Background(), burstTimeout)
	defer cancel()

	// B's event stream counts the messages that arrive; the killAfter-th
	// one triggers the kill.
	reached := make(chan struct{})
	var watch sync.WaitGroup
	t.Cleanup(watch.Wait)
	t.Cleanup(cancel)
	watch.Go(func() {
		received := 0
		// The stream ends when B dies; that error is expected.
		cb.Events(ctx, 1, []string{"message"}, func(ev api.Event) error {
			if m := eventData[storage.Message](ev); ev.Type == chat.EventMessage && !m.Outgoing && m.Sender == a.peer {
				if received++; received == killAfter {
					close(reached)
				}
			}
			return nil
		})
	})

	// A sends the burst through its API, one request after another, as
	// fast as the daemon takes them.
	ids := make([]string, burst)
	var sent atomic.Int64
	sendDone := make(chan error, 1)
	go func() {
		for i := range burst {
			m, err := ca.Send(ctx, b.peer, fmt.Sprintf("burst %04d", i))
			if err != nil {
				sendDone <- fmt.Errorf("send %d: %w", i, err)
				return
			}
			ids[i] = m.ID
			sent.Add(1)
		}
		sendDone <- nil
	}()

	select {
	case <-reached:
	case err := <-sendDone:
		// The burst was all taken in before B got killAfter messages;
		// still wait for them, B is killed with the rest in flight.
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-reached:
		case <-ctx.Done():
			t.Fatalf("B did not receive %d messages within %v", killAfter, burstTimeout)
		}
		sendDone <- nil
	case <-ctx.Done():
		t.Fatalf("B did not receive %d messages within %v (A sent %d)", killAfter, burstTimeout, sent.Load())
	}
	b.kill(t)
	sentAtKill := sent.Load()
	select {
	case err := <-sendDone:
		if err != nil {
			t.Fatalf("A's API refused a message while B was down: %v", err)
		}
	case <-ctx.Done():
		t.Fatalf("the burst did not finish within %v (%d sent)", burstTimeout, sent.Load())
	}

	// With B dead no ack can arrive: what A shows delivered now is what it
	// saw acked before the restart.
	before := historyAll(t, ca, b.peer)
	if len(before) != burst {
		t.Fatalf("A's history has %d messages, want %d", len(before), burst)
	}
	ackedBefore := make(map[string]bool)
	for _, m := range before {
		if delivered(m) {
			ackedBefore[m.ID] = true
		}
	}
	t.Logf("B killed after %d messages arrived: A had sent %d of %d and saw %d acked", killAfter, sentAtKill, burst, len(ackedBefore))
	if len(ackedBefore) == 0 || len(ackedBefore) == burst {
		t.Fatalf("A saw %d of %d acked before the restart: the kill did not land in the middle of the burst", len(ackedBefore), burst)
	}

	b = startDaemon(t, b.home)
	cb = apiClient(t, b.home)

	// A's receipt events drive the wait; a reset (A's feed dropped events
	// this stream had not read) re-reads A's history instead.
	deliveredIDs := make(map[string]bool, burst)
	for id := range ackedBefore {
		deliveredIDs[id] = true
	}
	wanted := make(map[string]bool, burst)
	for _, id := range ids {
		wanted[id] = true
	}
	var last uint64 = 1
	for len(deliveredIDs) < burst && ctx.Err() == nil {
		var err error
		last, err = ca.Events(ctx, last, []string{"receipt"}, func(ev api.Event) error {
			switch ev.Type {
			case chat.EventReset:
				for _, m := range historyAll(t, ca, b.peer) {
					if delivered(m) {
						deliveredIDs[m.ID] = true
					}
				}
			case chat.EventReceipt:
				if r := eventData[chat.ReceiptEvent](ev); r.Outgoing && wanted[r.MessageID] && (r.Status == storage.StatusDelivered || r.Status == storage.StatusRead) {
					deliveredIDs[r.MessageID] = true
				}
			}
			if len(deliveredIDs) == burst {
				return errGotEvent
			}
			return nil
		})
		if err != nil && !errors.Is(err, errGotEvent) && ctx.Err() == nil {
			t.Logf("A's event stream ended (%v); resuming after %d", err, last)
		}
	}
	if len(deliveredIDs) < burst {
		t.Fatalf("A saw %d of %d messages delivered within %v of B's restart", len(deliveredIDs), burst, burstTimeout)
	}
	for _, m := range historyAll(t, ca, b.peer) {
		if !delivered(m) {
			t.Errorf("A's history shows message %s %q as %s after B's restart", m.ID, m.Content, m.Status)
		}
	}

	got := historyAll(t, cb, a.peer)
	seen := make(map[string]int, len(got))
	for _, m := range got {
		seen[m.ID]++
		if seen[m.ID] == 2 {
			t.Errorf("B's history has message %s %q twice", m.ID, m.Content)
		}
		if !wanted[m.ID] {
			t.Errorf("B's history has message %s %q that A never sent", m.ID, m.Content)
		}
	}
	for id := range ackedBefore {
		if seen[id] == 0 {
			t.Errorf("message %s was acked to A before B's crash but is not in B's history", id)
		}
	}
	if len(got) != burst || len(seen) != burst {
		t.Fatalf("B's history has %d messages (%d distinct), want all %d exactly once", len(got), len(seen), burst)
	}
	// Oldest first, by sent time, B's history is the order A sent in.
	slices.Reverse(got)
	if !slices.IsSortedFunc(got, func(x, y storage.Message) int { return x.SentAt.Compare(y.SentAt) }) {
		t.Error("B's history, newest first, is not ordered by sent time")
	}
	for i, m := range got {
		if m.ID != ids[i] || m.Content != fmt.Sprintf("burst %04d", i) {
			t.Fatalf("B's history, oldest first, has %s %q at %d, want %s %q", m.ID, m.Content, i, ids[i], fmt.Sprintf("burst %04d", i))
		}
	}
}
