package chat

import (
	"errors"
	"testing"
	"time"

	"github.com/parley-im/parley/storage"
)

func requestEvent(id string, status storage.RequestStatus) func(Event) bool {
	return func(ev Event) bool {
		r, ok := ev.Data.(storage.FriendRequest)
		return ok && r.ID == id && r.Status == status
	}
}

func TestRejectedRequestLeavesNoFriendship(t *testing.T) {
	forTransports(t, testRejectedRequestLeavesNoFriendship)
}

func testRejectedRequestLeavesNoFriendship(t *testing.T, tr transport) {
	a, b := newTestPeer(t, tr), newTestPeer(t, tr)
	connect(t, a, b)
	req, err := a.svc.AddFriend(b.id(), "hello")
	if err != nil {
		t.Fatal(err)
	}
	b.waitEvent(10*time.Second, requestEvent(req.ID, storage.RequestPending))
	if _, err := a.svc.AcceptRequest(req.ID); !errors.Is(err, ErrConflict) {
		t.Fatalf("sender accepting its own request: err = %v, want ErrConflict", err)
	}
	if _, err := b.svc.RejectRequest(req.ID); err != nil {
		t.Fatal(err)
	}
	a.waitEvent(10*time.Second, requestEvent(req.ID, storage.RequestRejected))
	if _, err := b.svc.RejectRequest(req.ID); !errors.Is(err, ErrConflict) {
		t.Fatalf("rejecting twice: err = %v, want ErrConflict", err)
	}
	for _, p := range []*testPeer{a, b} {
		if cs, _ := p.svc.Contacts(""); len(cs) != 0 {
			t.Fatalf("%s has contacts %+v after a rejection", p.id(), cs)
		}
	}
}

func TestCanceledRequestIsWithdrawn(t *testing.T) { forTransports(t, testCanceledRequestIsWithdrawn) }

func testCanceledRequestIsWithdrawn(t *testing.T, tr transport) {
	a, b := newTestPeer(t, tr), newTestPeer(t, tr)
	connect(t, a, b)
	req, err := a.svc.AddFriend(b.id(), "")
	if err != nil {
		t.Fatal(err)
	}
	b.waitEvent(10*time.Second, requestEvent(req.ID, storage.RequestPending))
	if _, err := a.svc.CancelRequest(req.ID); err != nil {
		t.Fatal(err)
	}
	b.waitEvent(10*time.Second, requestEvent(req.ID, storage.RequestCanceled))
	// A withdrawn request is pruned at once: nothing is left to accept.
	if _, err := b.svc.AcceptRequest(req.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("accepting a withdrawn request: err = %v, want ErrNotFound", err)
	}
}

func TestCrossedRequestsMakeFriends(t *testing.T) { forTransports(t, testCrossedRequestsMakeFriends) }

func testCrossedRequestsMakeFriends(t *testing.T, tr transport) {
	a, b := newTestPeer(t, tr), newTestPeer(t, tr)
	b.stop()
	// Both ask before either hears of the other.
	if _, err := a.svc.AddFriend(b.id(), "me first"); err != nil {
		t.Fatal(err)
	}
	b.start()
	if _, err := b.svc.AddFriend(a.id(), "no, me"); err != nil {
		t.Fatal(err)
	}
	connect(t, b, a)
	for _, p := range []*testPeer{a, b} {
		other := b
		if p == b {
			other = a
		}
		p.waitEvent(10*time.Second, func(ev Event) bool {
			c, ok := ev.Data.(ContactEvent)
			return ok && c.Contact.UserID == other.id().String() && c.Contact.Friend
		})
	}
	if _, err := a.svc.Send(b.id(), "friends now"); err != nil {
		t.Fatal(err)
	}
}

func TestRequestToOfflinePeerWaits(t *testing.T) { forTransports(t, testRequestToOfflinePeerWaits) }

func testRequestToOfflinePeerWaits(t *testing.T, tr transport) {
	a, b := newTestPeer(t, tr), newTestPeer(t, tr)
	connect(t, a, b)
	b.stop()
	req, err := a.svc.AddFriend(b.id(), "when you're back")
	if err != nil {
		t.Fatal(err)
	}
	b.start()
	connect(t, b, a)
	b.waitEvent(10*time.Second, requestEvent(req.ID, storage.RequestPending))
}

func TestRemarkNamesPeers(t *testing.T) { forTransports(t, testRemarkNamesPeers) }

func testRemarkNamesPeers(t *testing.T, tr transport) {
	a, b, c := newTestPeer(t, tr), newTestPeer(t, tr), newTestPeer(t, tr)
	connect(t, a, b)
	connect(t, a, c)
	befriend(t, b, a)
	befriend(t, c, a)
	bob := "Bob"
	if _, err := a.svc.UpdateContact(b.id(), ContactUpdate{RemarkName: &bob, Labels: &[]string{"work", "family", "work"}}); err != nil {
		t.Fatal(err)
	}
	if got, err := a.svc.ResolvePeer("bob"); err != nil || got != b.id() {
		t.Fatalf("ResolvePeer(bob) = %s, %v; want %s", got, err, b.id())
	}
	if _, err := a.svc.UpdateContact(c.id(), ContactUpdate{RemarkName: &bob}); !errors.Is(err, ErrConflict) {
		t.Fatalf("second contact named Bob: err = %v, want ErrConflict", err)
	}
	if _, err := a.svc.ResolvePeer("carol"); !errors.Is(err, ErrBadPeer) {
		t.Fatalf("unknown name: err = %v, want ErrBadPeer", err)
	}
	fam, err := a.svc.Contacts("family")
	if err != nil || len(fam) != 1 || fam[0].UserID != b.id().String() || len(fam[0].Labels) != 2 {
		t.Fatalf("contacts labelled family = %+v, %v", fam, err)
	}
	if err := a.svc.RemoveContact(b.id()); err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.Send(b.id(), "still there?"); !errors.Is(err, ErrNotFriend) {
		t.Fatalf("send after removing: err = %v, want ErrNotFriend", err)
	}
}
