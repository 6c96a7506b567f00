package api

import (
	"testing"
	"time"
)

func TestUILinkExpiresAfterAMinute(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	a := newUIAuth()
	a.now = func() time.Time { return now }
	late, _ := a.newLink()
	onTime, _ := a.newLink()
	now = now.Add(LinkTTL - time.Second)
	if _, ok := a.redeem(onTime); !ok {
		t.Error("a link used before it expired was refused")
	}
	now = now.Add(time.Second)
	if _, ok := a.redeem(late); ok {
		t.Error("a link used a minute after it was made was accepted")
	}
}

func TestUILinksAndSessionsAreBounded(t *testing.T) {
	a := newUIAuth()
	now := time.Unix(1_000_000, 0)
	a.now = func() time.Time { now = now.Add(time.Millisecond); return now }
	first, _ := a.newLink()
	for range maxLinks {
		a.newLink()
	}
	if len(a.links) != maxLinks {
		t.Errorf("%d links kept, want %d", len(a.links), maxLinks)
	}
	if _, ok := a.redeem(first); ok {
		t.Error("the oldest link survived the cap")
	}
	var tokens []string
	for range maxSessions + 1 {
		code, _ := a.newLink()
		tok, ok := a.redeem(code)
		if !ok {
			t.Fatal("fresh link refused")
		}
		tokens = append(tokens, tok)
	}
	if len(a.sessions) != maxSessions {
		t.Errorf("%d sessions kept, want %d", len(a.sessions), maxSessions)
	}
	if a.valid(tokens[0]) || !a.valid(tokens[len(tokens)-1]) {
		t.Error("the cap did not end the oldest session")
	}
}
