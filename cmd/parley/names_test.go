package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/node/nodetest"
	"github.com/parley-im/parley/storage"
)

// Wherever a command takes a peer it takes a unique peer ID prefix (six
// characters after 12D3KooW at least), a …suffix as shown, or a remark
// name; friend requests and groups take unique ID prefixes; peers are
// shown by name with a short ID.
func TestNamesInsteadOfIDs(t *testing.T) {
	homeA, homeB, a, b := friendPair(t)
	idA, idB := a.Host().ID().String(), b.Host().ID().String()
	prefixB := idB[:len("12D3KooW")+6]
	shortB := "…" + idB[len(idB)-6:]

	for _, tc := range []struct {
		args []string
		code int
		out  string // in stdout (code 0) or stderr
	}{
		{[]string{"contacts", "set", prefixB, "--remark", "bobby"}, 0, "bobby"},
		{[]string{"whois", shortB}, 0, idB},
		{[]string{"whois", idB[:len("12D3KooW")+5]}, 1, "at least 6 characters after 12D3KooW"},
		{[]string{"send", "bobby", "hello"}, 0, "queued for bobby (" + shortB + ")"},
		{[]string{"conversations"}, 0, "bobby (" + shortB + ")"},
		{[]string{"disconnect", "bobby"}, 0, ""},
	} {
		code, stdout, stderr := parley(t, append([]string{"--home", homeA}, tc.args...)...)
		got := stdout
		if tc.code != 0 {
			got = stderr
		}
		if code != tc.code || !strings.Contains(got, tc.out) {
			t.Errorf("parley %s: exit %d, stdout %q, stderr %q; want exit %d with %q", strings.Join(tc.args, " "), code, stdout, stderr, tc.code, tc.out)
		}
	}
	nodetest.Connect(t, nodetest.QUIC, a, b)

	// A stranger's request, listed with a short ID and answered by a
	// prefix of the request's ID.
	homeC, c := daemonHome(t)
	nodetest.Connect(t, nodetest.QUIC, c, a)
	sub := a.Feed().Subscribe(0)
	defer sub.Close()
	code, stdout, stderr := parley(t, "--home", homeC, "--json", "friend", "add", prefixOf(idA))
	var req storage.FriendRequest
	if err := json.Unmarshal([]byte(stdout), &req); code != 0 || err != nil {
		t.Fatalf("friend add by prefix: exit %d, %q %q", code, stdout, stderr)
	}
	awaitFeed(t, sub, "A gets C's request", func(ev chat.Event) bool {
		r, ok := ev.Data.(storage.FriendRequest)
		return ev.Type == chat.EventFriendRequest && ok && r.ID == req.ID
	})
	idC := c.Host().ID().String()
	code, stdout, _ = parley(t, "--home", homeA, "friend", "requests")
	if code != 0 || !strings.Contains(stdout, req.ID[:8]+" ") || strings.Contains(stdout, req.ID) || !strings.Contains(stdout, "…"+idC[len(idC)-6:]) {
		t.Errorf("friend requests: want the short request id %s and C's short id:\n%s", req.ID[:8], stdout)
	}
	if code, stdout, stderr := parley(t, "--home", homeA, "friend", "accept", req.ID[:8]); code != 0 || !strings.Contains(stdout, "accepted") {
		t.Errorf("friend accept by prefix: exit %d, %q %q", code, stdout, stderr)
	}

	// A group by a prefix of its ID; members by name.
	code, stdout, stderr = parley(t, "--home", homeA, "--json", "group", "create", "climbers", "--member", "bobby")
	var g chat.GroupView
	if err := json.Unmarshal([]byte(stdout), &g); code != 0 || err != nil {
		t.Fatalf("group create: exit %d, %q %q", code, stdout, stderr)
	}
	code, stdout, stderr = parley(t, "--home", homeA, "group", "members", g.GroupID[:6])
	if code != 0 || !strings.Contains(stdout, "bobby ("+shortB+")") || !strings.Contains(stdout, "you (…"+idA[len(idA)-6:]+")") {
		t.Errorf("group members by id prefix: exit %d, %q %q", code, stdout, stderr)
	}
	if code, _, stderr := parley(t, "--home", homeB, "group", "info", "nosuch"); code == 0 || !strings.Contains(stderr, `no group "nosuch"`) {
		t.Errorf("group info nosuch: exit %d, %q", code, stderr)
	}
}

// prefixOf is the shortest peer ID prefix the CLI takes.
func prefixOf(id string) string { return id[:len("12D3KooW")+6] }

// Group history shows each author by name with the short ID.
func TestGroupHistoryShowsAuthorsByName(t *testing.T) {
	const id = "12D3KooWPDDegm63JkTESNwiBARWTcWv9cSd9N1oGgydttPqfY86"
	names := peerNames{names: map[string]string{id: "bobby"}}
	got := formatGroupMessage(storage.Message{Sender: id, Content: "saturday?"}, names)
	if !strings.HasSuffix(got, " bobby (…PqfY86): saturday?") {
		t.Errorf("group line %q: want the author as bobby (…PqfY86)", got)
	}
	if got := formatGroupMessage(storage.Message{Sender: id, Content: "hi"}, peerNames{}); !strings.HasSuffix(got, " …PqfY86: hi") {
		t.Errorf("group line of a stranger %q: want its short id", got)
	}
}

// contacts set shows the nickname and presence the node knows; a label
// nobody has is said so.
func TestContactsSetShowsWhatItKnows(t *testing.T) {
	homeA, _, a, b := friendPair(t)
	sub := a.Feed().Subscribe(0)
	defer sub.Close()
	if _, err := b.Chat().SetNickname("Bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Chat().SetPresence("busy", "climbing"); err != nil {
		t.Fatal(err)
	}
	var nick, presence bool
	awaitFeed(t, sub, "A learns B's nickname and presence", func(ev chat.Event) bool {
		switch d := ev.Data.(type) {
		case chat.PresenceEvent:
			presence = presence || d.Presence.Note == "climbing"
		case chat.ProfileEvent:
			nick = nick || d.Profile.Nickname == "Bob"
		}
		return nick && presence
	})
	code, stdout, stderr := parley(t, "--home", homeA, "contacts", "set", b.Host().ID().String(), "--label", "family")
	if code != 0 || !strings.Contains(stdout, "Bob") || !strings.Contains(stdout, "busy (climbing)") {
		t.Errorf("contacts set: exit %d, %q %q; want nickname Bob and presence busy (climbing)", code, stdout, stderr)
	}
	if code, stdout, _ := parley(t, "--home", homeA, "contacts", "--label", "nosuch"); code != 0 || !strings.Contains(stdout, "no contact has the label nosuch") {
		t.Errorf("contacts --label nosuch: exit %d, %q", code, stdout)
	}
}

// read marks a conversation read; whois --avatar saves a friend's avatar;
// a group name already used by one of your active groups is refused at
// create and rename.
func TestReadAvatarAndGroupNames(t *testing.T) {
	homeA, _, a, b := friendPair(t)
	idB := b.Host().ID().String()
	sub := a.Feed().Subscribe(0)
	defer sub.Close()
	var img bytes.Buffer
	if err := png.Encode(&img, image.NewGray(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Chat().SetNickname("Bob"); err != nil { // a profile is published with a nickname
		t.Fatal(err)
	}
	if _, err := b.Chat().SetAvatar(img.Bytes(), "image/png"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Chat().Send(a.Host().ID(), "unread"); err != nil {
		t.Fatal(err)
	}
	awaitFeed(t, sub, "A gets B's message", func(ev chat.Event) bool {
		m, ok := ev.Data.(storage.Message)
		return ev.Type == chat.EventMessage && ok && !m.Outgoing
	})
	if code, stdout, stderr := parley(t, "--home", homeA, "read", idB); code != 0 || !strings.Contains(stdout, "marked 1 message read") {
		t.Errorf("read: exit %d, %q %q", code, stdout, stderr)
	}
	if code, stdout, _ := parley(t, "--home", homeA, "conversations"); code != 0 || !regexp.MustCompile(`…\S+\s+0\s`).MatchString(stdout) {
		t.Errorf("conversations after read: want 0 unread:\n%s", stdout)
	}

	file := filepath.Join(t.TempDir(), "bob.png")
	var lastErr string
	waitFor(t, "B's avatar saved", func() bool {
		code, _, stderr := parley(t, "--home", homeA, "whois", idB, "--avatar", file)
		if code != 0 && lastErr != stderr {
			lastErr = stderr
			t.Log(stderr)
		}
		return code == 0
	})
	if got, err := os.ReadFile(file); err != nil || len(got) == 0 || http.DetectContentType(got) != "image/png" {
		t.Errorf("saved avatar: %d bytes, %v", len(got), err)
	}
	if code, _, stderr := parley(t, "--home", homeA, "whois", idB, "--avatar", file); code == 0 || !strings.Contains(stderr, "exists") {
		t.Errorf("whois --avatar onto an existing file: exit %d, %q", code, stderr)
	}

	for _, args := range [][]string{{"group", "create", "climbers"}, {"group", "create", "hikers"}} {
		if code, _, stderr := parley(t, append([]string{"--home", homeA}, args...)...); code != 0 {
			t.Fatal(stderr)
		}
	}
	for _, args := range [][]string{{"group", "create", "climbers"}, {"group", "rename", "hikers", "climbers"}} {
		code, _, stderr := parley(t, append([]string{"--home", homeA}, args...)...)
		if code == 0 || !strings.Contains(stderr, `you already have a group named "climbers"`) {
			t.Errorf("%s: exit %d, %q; want the name refused", strings.Join(args, " "), code, stderr)
		}
	}
	if code, _, stderr := parley(t, "--home", homeA, "group", "rename", "climbers", "climbers"); code != 0 {
		t.Errorf("renaming a group to its own name: %s", stderr)
	}
}

// connect to an address where nothing listens fails and names it: an
// existing connection over another address is not a success of that one.
func TestConnectSaysWhichAddress(t *testing.T) {
	homeA, _, _, b := friendPair(t) // connected over QUIC
	bogus := "/ip4/127.0.0.1/tcp/1/p2p/" + b.Host().ID().String()
	code, stdout, stderr := parley(t, "--home", homeA, "connect", bogus)
	if code == 0 || !strings.Contains(stderr, "/ip4/127.0.0.1/tcp/1 did not answer") {
		t.Errorf("connect to an address where nothing listens: exit %d, %q %q; want it refused, naming the address", code, stdout, stderr)
	}
}
