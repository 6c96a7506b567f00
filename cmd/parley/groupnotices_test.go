package main

import (
	"strings"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/node"
	"github.com/parley-im/parley/node/nodetest"
	"github.com/parley-im/parley/storage"
)

// befriend makes c a friend of a (connected over QUIC).
func befriend(t *testing.T, a, c *node.Node) {
	t.Helper()
	nodetest.Connect(t, nodetest.QUIC, a, c)
	subC := c.Feed().Subscribe(0)
	defer subC.Close()
	subA := a.Feed().Subscribe(0)
	defer subA.Close()
	req, err := a.Chat().AddFriend(c.Host().ID(), "hi")
	if err != nil {
		t.Fatal(err)
	}
	awaitFeed(t, subC, "C gets A's request", func(ev chat.Event) bool {
		r, ok := ev.Data.(storage.FriendRequest)
		return ev.Type == chat.EventFriendRequest && ok && r.ID == req.ID
	})
	if _, err := c.Chat().AcceptRequest(req.ID); err != nil {
		t.Fatal(err)
	}
	awaitFeed(t, subA, "A learns C accepted", func(ev chat.Event) bool {
		ce, ok := ev.Data.(chat.ContactEvent)
		return ev.Type == chat.EventContact && ok && ce.Contact.UserID == c.Host().ID().String() && ce.Contact.Friend
	})
}

// group history shows the group's changes (rename, join, promotion,
// removal) once each, by whom, between the messages sent around them.
func TestGroupHistoryShowsNotices(t *testing.T) {
	homeA, _, a, b := friendPair(t)
	_, c := daemonHome(t)
	befriend(t, a, c)
	for _, set := range [][]string{{b.Host().ID().String(), "bobby"}, {c.Host().ID().String(), "carol"}} {
		if code, _, stderr := parley(t, "--home", homeA, "contacts", "set", set[0], "--remark", set[1]); code != 0 {
			t.Fatal(stderr)
		}
	}
	g, err := a.Chat().CreateGroup("climbers", []peer.ID{b.Host().ID()})
	if err != nil {
		t.Fatal(err)
	}
	steps := []func() error{
		func() error { _, err := a.Chat().RenameGroup(g.GroupID, "crag rats"); return err },
		func() error { _, err := a.Chat().InviteToGroup(g.GroupID, c.Host().ID()); return err },
		func() error { _, err := a.Chat().SetGroupRole(g.GroupID, b.Host().ID(), true); return err },
		func() error { _, err := a.Chat().KickFromGroup(g.GroupID, c.Host().ID()); return err },
	}
	if _, err := a.Chat().SendGroup(g.GroupID, "m0"); err != nil {
		t.Fatal(err)
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if _, err := a.Chat().SendGroup(g.GroupID, "m"+string(rune('1'+i))); err != nil {
			t.Fatal(err)
		}
	}
	code, out, stderr := parley(t, "--home", homeA, "group", "history", g.GroupID)
	if code != 0 {
		t.Fatal(stderr)
	}
	by := " (by you (" + shortPeer(a.Host().ID().String()) + "))"
	bobby := "bobby (" + shortPeer(b.Host().ID().String()) + ")"
	carol := "carol (" + shortPeer(c.Host().ID().String()) + ")"
	want := []string{
		"m0",
		"* the group was renamed from climbers to crag rats" + by,
		"m1",
		"* " + carol + " joined" + by,
		"m2",
		"* " + bobby + " is now admin" + by,
		"m3",
		"* " + carol + " left or was removed" + by,
		"m4",
	}
	rest := out
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("group history does not say %q in order:\n%s", w, out)
		}
		rest = rest[i+len(w):]
	}
	if n := strings.Count(out, " * "); n != 4 {
		t.Errorf("group history shows %d notices, want 4:\n%s", n, out)
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("group history prints a raw escape:\n%q", out)
	}
	// Page by page, each notice is on one page, with its messages.
	var pages string
	args := []string{"--home", homeA, "group", "history", g.GroupID, "--limit", "2"}
	for range 4 {
		code, out, stderr := parley(t, args...)
		if code != 0 {
			t.Fatal(stderr)
		}
		pages = out + pages
		_, cursor, ok := strings.Cut(out, "--before ")
		if !ok {
			break
		}
		args = append(args[:7:7], "--before", strings.TrimSpace(cursor))
	}
	for _, w := range want {
		if n := strings.Count(pages, w); n != 1 {
			t.Errorf("the pages say %q %d times, want once:\n%s", w, n, pages)
		}
	}
}
