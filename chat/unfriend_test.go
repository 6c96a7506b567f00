package chat

import (
	"errors"
	"testing"
	"time"

	"github.com/parley-im/parley/storage"
)

func TestRemovingAFriendEndsItOnBothSides(t *testing.T) {
	forTransports(t, testRemovingAFriendEndsItOnBothSides)
}

func testRemovingAFriendEndsItOnBothSides(t *testing.T, tr transport) {
	a, b := newTestPeer(t, tr), newTestPeer(t, tr)
	connect(t, a, b)
	befriend(t, a, b)
	if err := a.svc.RemoveContact(b.id()); err != nil {
		t.Fatal(err)
	}
	b.waitEvent(10*time.Second, func(ev Event) bool {
		c, ok := ev.Data.(ContactEvent)
		return ok && c.Action == ContactRemoved && c.Contact.UserID == a.id().String() && !c.Contact.Friend
	})
	if _, err := b.svc.Contact(a.id()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("b still has a as a contact: err = %v", err)
	}
	if _, err := b.svc.Send(a.id(), "still there?"); !errors.Is(err, ErrNotFriend) {
		t.Fatalf("b's message to a: err = %v, want ErrNotFriend", err)
	}
	// Adding again is a new request that b sees pending, not one accepted
	// because b still counted a as a friend.
	req, err := a.svc.AddFriend(b.id(), "friends again?")
	if err != nil {
		t.Fatal(err)
	}
	b.waitEvent(10*time.Second, requestEvent(req.ID, storage.RequestPending))
	if _, err := b.svc.Contact(a.id()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("b befriended a without accepting: err = %v", err)
	}
	if _, err := b.svc.AcceptRequest(req.ID); err != nil {
		t.Fatal(err)
	}
	a.waitEvent(10*time.Second, func(ev Event) bool {
		c, ok := ev.Data.(ContactEvent)
		return ok && c.Contact.UserID == b.id().String() && c.Contact.Friend
	})
}

func TestRemovingAFriendFailsWhatWasQueued(t *testing.T) {
	forTransports(t, testRemovingAFriendFailsWhatWasQueued)
}

func testRemovingAFriendFailsWhatWasQueued(t *testing.T, tr transport) {
	a, b := newTestPeer(t, tr), newTestPeer(t, tr)
	connect(t, a, b)
	befriend(t, a, b)
	bid := b.id()
	b.stop()
	m, err := a.svc.Send(bid, "you there?")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.svc.RemoveContact(bid); err != nil {
		t.Fatal(err)
	}
	a.waitEvent(10*time.Second, func(ev Event) bool {
		r, ok := ev.Data.(ReceiptEvent)
		return ok && r.MessageID == m.ID && r.Status == storage.StatusFailed && r.Error == reasonUnfriended
	})
}
