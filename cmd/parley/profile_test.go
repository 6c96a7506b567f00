package main

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/node"
	"github.com/parley-im/parley/node/api"
	"github.com/parley-im/parley/node/nodetest"
)

// daemonHome starts a node in this process on a fresh home and serves its
// API where the CLI finds it, as `parley daemon` would.
func daemonHome(t *testing.T) (string, *node.Node) {
	t.Helper()
	home := node.Home{Dir: t.TempDir()}
	if _, err := node.Init(home, node.ProfileLocal, nil); err != nil {
		t.Fatal(err)
	}
	n := nodetest.Start(t, nodetest.QUIC, home)
	token, err := home.ReadToken()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.NewServer(n, token, nil))
	t.Cleanup(srv.Close)
	if err := home.WriteAPIAddr(strings.TrimPrefix(srv.URL, "http://")); err != nil {
		t.Fatal(err)
	}
	return home.Dir, n
}

func TestProfileCommands(t *testing.T) {
	home, n := daemonHome(t)
	self := n.Host().ID().String()
	avatar := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(avatar, []byte("not a picture"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		out  string // in stdout (code 0) or stderr
	}{
		{[]string{"profile"}, 0, "not published until you set one"},
		{[]string{"profile", "set"}, 1, "nothing to set"},
		{[]string{"profile", "set", "--nickname", ""}, 1, "invalid nickname: empty"},
		{[]string{"profile", "set", "--nickname", strings.Repeat("x", 65)}, 1, "65 characters, limit 64"},
		{[]string{"profile", "set", "--avatar", avatar}, 1, "not an image"},
		{[]string{"profile", "set", "--nickname", "Alice"}, 0, "nickname:  Alice"},
		{[]string{"presence", "set", "sleeping"}, 1, "want online, away, busy, invisible or offline"},
		{[]string{"presence", "set", "invisible", "--note", "hidden"}, 0, "invisible (hidden), others see offline"},
		{[]string{"presence", "set", "busy", "--note", "in a meeting"}, 0, "busy (in a meeting)"},
		{[]string{"whois", self}, 0, "presence:  busy (in a meeting)"},
		{[]string{"whois", "nobody"}, 1, "is neither a peer id"},
		{[]string{"contacts"}, 0, "no contacts yet"},
	} {
		code, stdout, stderr := parley(t, append([]string{"--home", home}, tc.args...)...)
		got := stdout
		if tc.code != 0 {
			got = stderr
		}
		if code != tc.code || !strings.Contains(got, tc.out) {
			t.Errorf("parley %s: exit %d, stdout %q, stderr %q; want exit %d with %q", strings.Join(tc.args, " "), code, stdout, stderr, tc.code, tc.out)
		}
	}
	code, stdout, _ := parley(t, "--home", home, "--json", "whois", self)
	var v chat.UserView
	if err := json.Unmarshal([]byte(stdout), &v); code != 0 || err != nil || v.Profile == nil || v.Profile.Nickname != "Alice" {
		t.Fatalf("whois --json: exit %d, %v: %s", code, err, stdout)
	}
}
