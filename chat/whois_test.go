package chat

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/identity"
)

// The profile is published once a nickname is set, and a failed put is
// retried until it lands, without a busy loop (memDHT counts the tries
// only through what it stores; the backoff keeps tries apart).
func TestProfilePublishedAndRetried(t *testing.T) { forTransports(t, testProfilePublishedAndRetried) }

func testProfilePublishedAndRetried(t *testing.T, tr transport) {
	dht := newMemDHT()
	dht.set(func(m *memDHT) { m.failPut = errors.New("no peers in the routing table") })
	a := newRecordPeer(t, tr, dht, 4*time.Second)
	if _, err := a.svc.SetNickname("alice"); err != nil {
		t.Fatal(err)
	}
	me, err := a.svc.Me()
	if err != nil || me.Nickname != "alice" {
		t.Fatalf("Me = %+v, %v", me, err)
	}
	dht.set(func(m *memDHT) { m.failPut = nil })
	dht.waitPut(t, identity.ProfileKey(a.id()), 10*time.Second)
	dht.waitPut(t, identity.PresenceKey(a.id()), 10*time.Second)
	// Presence is signed anew at half its TTL, with a higher seq. The
	// retry may put the first record more than once; the republish is the
	// first put with another seq.
	key := identity.PresenceKey(a.id())
	first, _ := dht.GetValue(context.Background(), key)
	p1, err := identity.OpenPresence(first)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		dht.waitPut(t, key, time.Until(deadline))
		second, _ := dht.GetValue(context.Background(), key)
		p2, err := identity.OpenPresence(second)
		if err != nil {
			t.Fatal(err)
		}
		if p2.Seq == p1.Seq {
			continue
		}
		if p2.Seq < p1.Seq || !p2.ExpiresAt.After(p1.ExpiresAt) {
			t.Fatalf("republished presence seq %d→%d, expiry %v→%v", p1.Seq, p2.Seq, p1.ExpiresAt, p2.ExpiresAt)
		}
		break
	}
	me, err = a.svc.Me()
	if err != nil || me.Published.ProfileAt.IsZero() || me.Published.ProfileError != "" {
		t.Fatalf("publish state = %+v, %v", me.Published, err)
	}
}

// Whois reads the DHT, caches what it finds, and serves the cache with
// its age and source "cache" when the DHT stalls.
func TestWhoisFallsBackToTheCache(t *testing.T) { forTransports(t, testWhoisFallsBackToTheCache) }

func testWhoisFallsBackToTheCache(t *testing.T, tr transport) {
	dht := newMemDHT()
	a := newRecordPeer(t, tr, dht, time.Hour)
	b := newRecordPeer(t, tr, dht, time.Hour)
	if _, err := a.svc.SetNickname("alice"); err != nil {
		t.Fatal(err)
	}
	dht.waitPut(t, identity.ProfileKey(a.id()), 10*time.Second)
	ctx := context.Background()

	v, err := b.svc.Whois(ctx, a.id(), WhoisOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Profile == nil || v.Profile.Nickname != "alice" || v.Profile.Source != SourceDHT {
		t.Fatalf("whois profile = %+v, want alice from the dht", v.Profile)
	}
	if v.Presence.Status != identity.Online || v.Presence.Source != SourceDHT {
		t.Fatalf("whois presence = %+v, want online from the dht", v.Presence)
	}

	dht.set(func(m *memDHT) { m.stall = true })
	start := time.Now()
	v, err = b.svc.Whois(ctx, a.id(), WhoisOptions{Refresh: true})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("whois took %v with a stalled DHT; the lookup timeout is 300ms", took)
	}
	if v.Profile == nil || v.Profile.Nickname != "alice" || v.Profile.Source != SourceCache || v.Profile.AgeSeconds <= 0 {
		t.Fatalf("whois profile = %+v, want alice from the cache with an age", v.Profile)
	}
	if v.Presence.Status != identity.Online || v.Presence.Source != SourceCache || len(v.Warnings) != 2 {
		t.Fatalf("whois presence = %+v, warnings %q; want online from the cache and two warnings", v.Presence, v.Warnings)
	}

	// Nothing cached and nothing in the DHT: no profile, offline.
	c := newRecordPeer(t, tr, nil, time.Hour)
	dht.set(func(m *memDHT) { m.stall = false })
	v, err = b.svc.Whois(ctx, c.id(), WhoisOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Profile != nil || v.Presence.Status != identity.Offline || v.Presence.Source != "" {
		t.Fatalf("whois of an unpublished user = %+v", v)
	}
}

// A contact's profile change reaches its friends as a profile event: the
// changed profile is put in the DHT, the next presence push makes the
// friend look it up.
func TestFriendSeesProfileChange(t *testing.T) { forTransports(t, testFriendSeesProfileChange) }

func testFriendSeesProfileChange(t *testing.T, tr transport) {
	dht := newMemDHT()
	a := newRecordPeer(t, tr, dht, time.Hour)
	b := newRecordPeer(t, tr, dht, time.Hour)
	connect(t, a, b)
	befriend(t, a, b)
	if _, err := a.svc.SetNickname("alice"); err != nil {
		t.Fatal(err)
	}
	b.waitEvent(20*time.Second, func(ev Event) bool {
		pe, ok := ev.Data.(ProfileEvent)
		return ok && pe.UserID == a.id().String() && pe.Profile.Nickname == "alice"
	})
	if _, err := a.svc.SetNickname("alice2"); err != nil {
		t.Fatal(err)
	}
	b.waitEvent(30*time.Second, func(ev Event) bool {
		pe, ok := ev.Data.(ProfileEvent)
		return ok && pe.UserID == a.id().String() && pe.Profile.Nickname == "alice2"
	})
	views, err := b.svc.ContactViews("")
	if err != nil {
		t.Fatal(err)
	}
	if len(views) != 1 || views[0].Profile == nil || views[0].Profile.Nickname != "alice2" || views[0].Presence.Status != identity.Online {
		t.Fatalf("contact views = %+v", views)
	}
}

func TestSetNicknameRefusesBadInput(t *testing.T) { forTransports(t, testSetNicknameRefusesBadInput) }

func testSetNicknameRefusesBadInput(t *testing.T, tr transport) {
	a := newRecordPeer(t, tr, nil, time.Hour)
	for _, nick := range []string{"", " alice", "al\x00ice", "a\u202Eb", strings.Repeat("a", 65)} {
		if _, err := a.svc.SetNickname(nick); !errors.Is(err, identity.ErrInvalidNickname) {
			t.Errorf("SetNickname(%q) = %v, want ErrInvalidNickname", nick, err)
		}
	}
}
