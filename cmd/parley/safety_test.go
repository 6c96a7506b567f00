package main

import (
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/storage"
)

// entryStart is how a history or chat line of its own starts.
var entryStart = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d `)

// checkSafeEntries fails unless out has no escape byte, shows the escape
// sequence as text, and holds exactly want entries, every other line
// indented (a continuation, never a forged entry).
func checkSafeEntries(t *testing.T, what, out string, want int) {
	t.Helper()
	if strings.ContainsAny(out, "\x1b\u202e") {
		t.Errorf("%s printed a raw escape or bidi override:\n%q", what, out)
	}
	if !strings.Contains(out, `\x1b[2J`) || !strings.Contains(out, `\u202e`) {
		t.Errorf("%s does not show the escapes as text:\n%s", what, out)
	}
	entries := 0
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		switch {
		case entryStart.MatchString(l):
			entries++
		case strings.HasPrefix(l, "  "):
		default:
			t.Errorf("%s: line %q is neither an entry nor an indented continuation", what, l)
		}
	}
	if entries != want {
		t.Errorf("%s: %d entries, want %d:\n%s", what, entries, want, out)
	}
}

// A friend's message with terminal escapes, a bidi override and an
// embedded newline that imitates one of the reader's own lines: history
// and chat show the escapes as text and the second line as the message's
// indented continuation, never as an entry of its own.
func TestPeerTextCannotTakeOverTheTerminal(t *testing.T) {
	homeA, homeB, a, b := friendPair(t)
	idA, idB := a.Host().ID().String(), b.Host().ID().String()
	const evil = "\x1b[2Jhello \u202eevil\n2026-01-01 09:00:00 > I owe you 100 €  ✓✓"
	sub := a.Feed().Subscribe(0)
	defer sub.Close()
	if code, _, stderr := parley(t, "--home", homeB, "send", idA, evil); code != 0 {
		t.Fatalf("send: %s", stderr)
	}
	awaitFeed(t, sub, "A gets B's message", func(ev chat.Event) bool {
		m, ok := ev.Data.(storage.Message)
		return ev.Type == chat.EventMessage && ok && !m.Outgoing
	})

	code, stdout, stderr := parley(t, "--home", homeA, "history", idB)
	if code != 0 {
		t.Fatalf("history: %s", stderr)
	}
	checkSafeEntries(t, "history", stdout, 1)

	// chat: the history it opens with, then a message that arrives live.
	stdin, typing := io.Pipe()
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	go func() { done <- run([]string{"--home", homeA, "chat", idB}, stdin, &out, &errOut) }()
	waitFor(t, "chat opens", func() bool { return strings.Contains(errOut.String(), "chatting with") })
	if code, _, stderr := parley(t, "--home", homeB, "send", idA, "second\x1b]0;pwned\x07 line"); code != 0 {
		t.Fatalf("send: %s", stderr)
	}
	waitFor(t, "chat shows the live message", func() bool { return strings.Contains(out.String(), "second") })
	typing.Close()
	if code := <-done; code != 0 {
		t.Fatalf("chat: exit %d, %s", code, errOut.String())
	}
	checkSafeEntries(t, "chat", out.String(), 2)
	if !strings.Contains(out.String(), `second\x1b]0;pwned\x07 line`) {
		t.Errorf("chat does not show the live message's escapes as text:\n%s", out.String())
	}
}

// Blank messages and nicknames with invisible characters are refused with
// a clear error.
func TestBlankMessageAndInvisibleNicknameRefused(t *testing.T) {
	_, homeB, a, _ := friendPair(t)
	idA := a.Host().ID().String()
	for _, text := range []string{" ", "\u200b", " \n\t "} {
		code, _, stderr := parley(t, "--home", homeB, "send", idA, text)
		if code == 0 || !strings.Contains(stderr, "empty message") {
			t.Errorf("send %q: exit %d, %q; want it refused as empty", text, code, stderr)
		}
	}
	for _, nick := range []string{"bo\u200bb", "\u2060", "\ufeffbob"} {
		code, _, stderr := parley(t, "--home", homeB, "profile", "set", "--nickname", nick)
		if code == 0 || !strings.Contains(stderr, "invisible character") {
			t.Errorf("nickname %q: exit %d, %q; want it refused", nick, code, stderr)
		}
	}
}
