package chat

import (
	"testing"
	"time"
)

func recv(t *testing.T, s *Subscription) Event {
	t.Helper()
	select {
	case ev, ok := <-s.Events():
		if !ok {
			t.Fatal("subscription closed")
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
	}
	return Event{}
}

func TestFeedLiveAndResume(t *testing.T) {
	f := NewFeed(8)
	live := f.Subscribe(0)
	defer live.Close()
	a := f.Publish(EventPeerConnected, PeerEvent{PeerID: "a"})
	b := f.Publish(EventPeerDisconnected, PeerEvent{PeerID: "a"})
	if b.ID != a.ID+1 {
		t.Fatalf("ids %d, %d not consecutive", a.ID, b.ID)
	}
	if got := recv(t, live); got.ID != a.ID {
		t.Fatalf("live got %d, want %d", got.ID, a.ID)
	}
	if got := recv(t, live); got.ID != b.ID {
		t.Fatalf("live got %d, want %d", got.ID, b.ID)
	}

	resumed := f.Subscribe(a.ID)
	defer resumed.Close()
	if got := recv(t, resumed); got.ID != b.ID || got.Type != EventPeerDisconnected {
		t.Fatalf("resume after %d got %+v, want event %d", a.ID, got, b.ID)
	}
}

func TestFeedResumeTooOldGetsReset(t *testing.T) {
	f := NewFeed(4)
	first := f.Publish(EventPeerConnected, nil)
	var last Event
	for range 10 {
		last = f.Publish(EventPeerConnected, nil)
	}
	s := f.Subscribe(first.ID)
	defer s.Close()
	if got := recv(t, s); got.Type != EventReset {
		t.Fatalf("first event %v, want reset", got.Type)
	}
	var ids []uint64
	for range 4 {
		ids = append(ids, recv(t, s).ID)
	}
	if ids[3] != last.ID || ids[0] != last.ID-3 {
		t.Fatalf("backlog ids %v, want the last 4 ending at %d", ids, last.ID)
	}
}

func TestFeedResumeFromPreviousRun(t *testing.T) {
	old := NewFeed(4)
	ev := old.Publish(EventPeerConnected, nil)
	f := newFeed(4, ev.ID+1000) // a restart: the new run's IDs start later
	s := f.Subscribe(ev.ID)
	defer s.Close()
	if got := recv(t, s); got.Type != EventReset {
		t.Fatalf("got %v, want reset for an ID of a previous run", got.Type)
	}
}

func TestFeedDropsSlowSubscriber(t *testing.T) {
	f := NewFeed(0)
	slow := f.Subscribe(0)
	for range subscriberBuffer + 1 {
		f.Publish(EventPeerConnected, nil)
	}
	n := 0
	for range slow.Events() {
		n++
	}
	if n != subscriberBuffer {
		t.Fatalf("slow subscriber got %d events before being dropped, want %d", n, subscriberBuffer)
	}
	slow.Close() // closing twice is fine
}

func TestFeedCloseEndsSubscriptions(t *testing.T) {
	f := NewFeed(0)
	s := f.Subscribe(0)
	f.Close()
	if _, ok := <-s.Events(); ok {
		t.Fatal("subscription still open after feed Close")
	}
	late := f.Subscribe(0)
	if _, ok := <-late.Events(); ok {
		t.Fatal("subscription to a closed feed is open")
	}
}
