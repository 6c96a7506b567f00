package chat

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/parley-im/parley/storage"
)

func TestFriendsExchangeThousandMessagesInOrder(t *testing.T) {
	forTransports(t, testFriendsExchangeThousandMessagesInOrder)
}

func testFriendsExchangeThousandMessagesInOrder(t *testing.T, tr transport) {
	a, b := newTestPeer(t, tr), newTestPeer(t, tr)
	connect(t, a, b)
	befriend(t, a, b)

	for _, p := range []*testPeer{a, b} {
		contacts, err := p.svc.Contacts("")
		if err != nil {
			t.Fatal(err)
		}
		if len(contacts) != 1 || !contacts[0].Friend {
			t.Fatalf("%s contacts = %+v, want the other as a friend", p.id(), contacts)
		}
	}

	const n = 1000
	sent := make(map[string]bool, n)
	for i := range n {
		m, err := a.svc.Send(b.id(), fmt.Sprintf("message %04d", i))
		if err != nil {
			t.Fatal(err)
		}
		sent[m.ID] = true
	}
	delivered := 0
	a.waitEvent(30*time.Second, func(ev Event) bool {
		r, ok := ev.Data.(ReceiptEvent)
		if ok && r.Status == storage.StatusDelivered && sent[r.MessageID] {
			delivered++
		}
		return delivered == n
	})

	ha, hb := a.history(b.id()), b.history(a.id())
	if len(ha) != n || len(hb) != n {
		t.Fatalf("histories hold %d and %d messages, want %d", len(ha), len(hb), n)
	}
	for i := range n {
		want := fmt.Sprintf("message %04d", i)
		if ha[i].Content != want || hb[i].Content != want || ha[i].ID != hb[i].ID {
			t.Fatalf("position %d: sender has %q, receiver %q, want %q", i, ha[i].Content, hb[i].Content, want)
		}
		if ha[i].Status != storage.StatusDelivered {
			t.Fatalf("message %d is %s on the sender, want delivered", i, ha[i].Status)
		}
		if hb[i].Sender != a.id().String() || hb[i].Outgoing {
			t.Fatalf("receiver stored message %d as from %s (outgoing %v)", i, hb[i].Sender, hb[i].Outgoing)
		}
	}

	read, err := b.svc.MarkRead(a.id())
	if err != nil || read != n {
		t.Fatalf("MarkRead = %d, %v; want %d", read, err, n)
	}
	seen := 0
	defer func() { t.Logf("seen %d read receipts", seen) }()
	a.waitEvent(30*time.Second, func(ev Event) bool {
		r, ok := ev.Data.(ReceiptEvent)
		if ok && r.Status == storage.StatusRead && sent[r.MessageID] {
			seen++
		}
		return seen == n
	})
	for _, m := range a.history(b.id()) {
		if m.Status != storage.StatusRead {
			t.Fatalf("message %s is %s after the read receipt", m.ID, m.Status)
		}
	}
	convs, err := b.svc.Conversations()
	if err != nil || len(convs) != 1 || convs[0].Unread != 0 {
		t.Fatalf("receiver conversations = %+v, %v", convs, err)
	}
}

func TestMessagesWaitForOfflineRecipient(t *testing.T) {
	forTransports(t, testMessagesWaitForOfflineRecipient)
}

func testMessagesWaitForOfflineRecipient(t *testing.T, tr transport) {
	a, b := newTestPeer(t, tr), newTestPeer(t, tr)
	connect(t, a, b)
	befriend(t, a, b)

	b.stop()
	const n = 50
	for i := range n {
		if _, err := a.svc.Send(b.id(), fmt.Sprintf("while you were out %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	// B comes back on a new port; it redials A from the address it
	// remembered, and A's outbox flows on that connection.
	b.restart()
	got := 0
	b.waitEvent(20*time.Second, func(ev Event) bool {
		if m, ok := ev.Data.(storage.Message); ok && !m.Outgoing {
			got++
		}
		return got == n
	})
	hist := b.history(a.id())
	if len(hist) != n {
		t.Fatalf("receiver holds %d messages, want exactly %d", len(hist), n)
	}
	for i, m := range hist {
		if want := fmt.Sprintf("while you were out %d", i); m.Content != want {
			t.Fatalf("position %d: %q, want %q", i, m.Content, want)
		}
	}
}

func TestStrangersAndBlockedPeersAreRefused(t *testing.T) {
	forTransports(t, testStrangersAndBlockedPeersAreRefused)
}

func testStrangersAndBlockedPeersAreRefused(t *testing.T, tr transport) {
	a, b := newTestPeer(t, tr), newTestPeer(t, tr)
	connect(t, a, b)

	if _, err := a.svc.Send(b.id(), "hello?"); !errors.Is(err, ErrNotFriend) {
		t.Fatalf("Send to a stranger: err = %v, want ErrNotFriend", err)
	}
	if len(a.history(b.id())) != 0 {
		t.Fatal("a refused send left a message in history")
	}

	// A stranger that bypasses its own checks still gets nothing stored.
	forceFriend(t, a, b)
	m, err := a.svc.Send(b.id(), "let me in")
	if err != nil {
		t.Fatal(err)
	}
	ev := a.waitEvent(10*time.Second, func(ev Event) bool {
		r, ok := ev.Data.(ReceiptEvent)
		return ok && r.MessageID == m.ID && r.Status == storage.StatusFailed
	})
	if r := ev.Data.(ReceiptEvent); r.Error == "" {
		t.Fatal("failed receipt carries no reason")
	}
	if len(b.history(a.id())) != 0 {
		t.Fatal("receiver stored a message from a stranger")
	}

	// Blocked: even friends get nothing, and B keeps nothing of theirs.
	befriendAfterForce(t, a, b)
	if _, err := b.svc.Block(a.id()); err != nil {
		t.Fatal(err)
	}
	during, err := a.svc.Send(b.id(), "are you there?")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.AddFriend(b.id(), "again"); !errors.Is(err, ErrConflict) {
		t.Fatalf("AddFriend to a friend: err = %v, want ErrConflict", err)
	}
	// The block closes the connection; A's redelivery attempts are reset.
	if got := len(b.history(a.id())); got != 0 {
		t.Fatalf("blocked peer's messages stored: %d", got)
	}
	if _, err := b.svc.Unblock(a.id()); err != nil {
		t.Fatal(err)
	}
	// What A sent during the block stays refused after it (A's outbox
	// offered it again); what A sends now arrives.
	after, err := a.svc.Send(b.id(), "unblocked now")
	if err != nil {
		t.Fatal(err)
	}
	connect(t, b, a)
	b.waitEvent(10*time.Second, func(ev Event) bool {
		m, ok := ev.Data.(storage.Message)
		return ok && m.ID == after.ID
	})
	a.waitEvent(10*time.Second, func(ev Event) bool {
		r, ok := ev.Data.(ReceiptEvent)
		return ok && r.MessageID == during.ID && r.Status == storage.StatusFailed
	})
	for _, m := range b.history(a.id()) {
		if m.ID == during.ID {
			t.Fatal("a message sent during the block was stored after it")
		}
	}
}

// forceFriend writes b into a's contacts without b agreeing, as a
// misbehaving client would.
func forceFriend(t *testing.T, a, b *testPeer) {
	t.Helper()
	err := a.store.Update(func(tx *storage.Tx) error {
		return tx.PutContact(storage.ContactInfo{UserID: b.id().String(), Friend: true, AddedAt: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// befriendAfterForce completes a real friendship from b's side.
func befriendAfterForce(t *testing.T, a, b *testPeer) {
	t.Helper()
	if _, err := b.svc.AddFriend(a.id(), ""); err != nil {
		t.Fatal(err)
	}
	// a already lists b as a friend, so a accepts at once.
	b.waitEvent(10*time.Second, func(ev Event) bool {
		c, ok := ev.Data.(ContactEvent)
		return ok && c.Contact.UserID == a.id().String() && c.Contact.Friend
	})
}

// A friend that dialed us is redialed after our restart: its listen
// addresses, learnt by identify after the connection opened, are kept.
func TestInboundFriendAddressesAreRemembered(t *testing.T) {
	forTransports(t, testInboundFriendAddressesAreRemembered)
}

func testInboundFriendAddressesAreRemembered(t *testing.T, tr transport) {
	a, b := newTestPeer(t, tr), newTestPeer(t, tr)
	forceFriend(t, a, b)
	forceFriend(t, b, a)
	connect(t, a, b)

	want := a.host.Addrs()[0].String()
	pollUntil(t, "B remembers A's listen address "+want, func() bool {
		c, err := b.svc.Contact(a.id())
		if err != nil {
			t.Fatal(err)
		}
		return slices.Contains(c.Addrs, want)
	})
}
