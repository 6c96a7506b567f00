package chat

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"

	"github.com/parley-im/parley/identity"
)

// A friend sees a status change as an event at once, with no DHT at all:
// the record travels on the DM protocol.
func TestPresencePushedLiveToFriends(t *testing.T) { forTransports(t, testPresencePushedLiveToFriends) }

func testPresencePushedLiveToFriends(t *testing.T, tr transport) {
	a, b := newRecordPeer(t, tr, nil, time.Hour), newRecordPeer(t, tr, nil, time.Hour)
	connect(t, a, b)
	befriend(t, a, b)
	// Becoming friends exchanges presence both ways.
	b.waitEvent(10*time.Second, presenceEventOf(a, identity.Online))
	a.waitEvent(10*time.Second, presenceEventOf(b, identity.Online))

	if _, err := a.svc.SetPresence(identity.Away, "lunch"); err != nil {
		t.Fatal(err)
	}
	ev := b.waitEvent(10*time.Second, presenceEventOf(a, identity.Away))
	pe := ev.Data.(PresenceEvent)
	if pe.Presence.Note != "lunch" || pe.Presence.Source != SourceLive {
		t.Fatalf("presence event = %+v, want note lunch from live", pe.Presence)
	}
	v, err := b.svc.Whois(context.Background(), a.id(), WhoisOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Presence.Status != identity.Away || v.Presence.Source != SourceLive {
		t.Fatalf("whois presence = %+v; want away from live", v.Presence)
	}

	// Invisible shows as offline, without the note.
	if _, err := a.svc.SetPresence(identity.Invisible, "secret"); err != nil {
		t.Fatal(err)
	}
	ev = b.waitEvent(10*time.Second, presenceEventOf(a, identity.Offline))
	if note := ev.Data.(PresenceEvent).Presence.Note; note != "" {
		t.Fatalf("invisible leaked its note %q", note)
	}
	me, err := a.svc.Me()
	if err != nil || me.Presence.Status != identity.Invisible || me.Presence.Published.Status != identity.Offline {
		t.Fatalf("own presence = %+v, %v; want invisible, published offline", me.Presence, err)
	}

	// A graceful stop tells friends at once.
	if _, err := a.svc.SetPresence(identity.Busy, ""); err != nil {
		t.Fatal(err)
	}
	b.waitEvent(10*time.Second, presenceEventOf(a, identity.Busy))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.svc.PublishOffline(ctx); err != nil {
		t.Fatal(err)
	}
	b.waitEvent(10*time.Second, presenceEventOf(a, identity.Offline))
}

// Pushed records are checked as DHT validators check them: from a
// stranger, signed by another key, or expired, they are refused; an older
// record never replaces a newer one.
func TestPresencePushRules(t *testing.T) { forTransports(t, testPresencePushRules) }

func testPresencePushRules(t *testing.T, tr transport) {
	a, b, stranger := newRecordPeer(t, tr, nil, time.Hour), newRecordPeer(t, tr, nil, time.Hour), newRecordPeer(t, tr, nil, time.Hour)
	connect(t, a, b)
	connect(t, stranger, b)
	befriend(t, a, b)
	b.waitEvent(10*time.Second, presenceEventOf(a, identity.Online))
	ctx := context.Background()
	now := time.Now()

	sign := func(key crypto.PrivKey, st identity.PresenceStatus, seq uint64, updated, expires time.Time) []byte {
		t.Helper()
		rec, err := identity.SignPresence(key, identity.Presence{Status: st, Seq: seq, UpdatedAt: updated, ExpiresAt: expires})
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	strangerRec := sign(stranger.key, identity.Away, 1, now, now.Add(time.Hour))
	if err := stranger.svc.sendPresence(ctx, b.id(), strangerRec); err == nil || !strings.Contains(err.Error(), "NOT_FRIEND") {
		t.Fatalf("push from a stranger: %v, want NOT_FRIEND", err)
	}

	otherKey, _, _ := crypto.GenerateEd25519Key(rand.Reader)
	forged := sign(otherKey, identity.Busy, ^uint64(0), now, now.Add(time.Hour))
	if err := a.svc.sendPresence(ctx, b.id(), forged); err == nil || !strings.Contains(err.Error(), "INVALID") {
		t.Fatalf("push of another key's record: %v, want INVALID", err)
	}
	expired := sign(a.key, identity.Busy, ^uint64(0), now.Add(-2*time.Hour), now.Add(-time.Hour))
	if err := a.svc.sendPresence(ctx, b.id(), expired); err == nil || !strings.Contains(err.Error(), "INVALID") {
		t.Fatalf("push of an expired record: %v, want INVALID", err)
	}
	older := sign(a.key, identity.Busy, 1, now, now.Add(time.Hour))
	if err := a.svc.sendPresence(ctx, b.id(), older); err != nil {
		t.Fatalf("push of an older record: %v (it is acked, and ignored)", err)
	}

	for _, p := range []*testPeer{a, stranger} {
		v, err := b.svc.Whois(ctx, p.id(), WhoisOptions{CacheOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		want := identity.Online
		if p == stranger {
			want = identity.Offline
		}
		if v.Presence.Status != want {
			t.Fatalf("b sees %s as %s, want %s", p.id(), v.Presence.Status, want)
		}
	}
}

// Bad statuses and notes are refused before anything is stored.
func TestSetPresenceRefusesBadInput(t *testing.T) { forTransports(t, testSetPresenceRefusesBadInput) }

func testSetPresenceRefusesBadInput(t *testing.T, tr transport) {
	a := newRecordPeer(t, tr, nil, time.Hour)
	for _, tc := range []struct {
		status identity.PresenceStatus
		note   string
	}{
		{"sleeping", ""},
		{"", ""},
		{identity.Away, "bell\a"},
		{identity.Away, strings.Repeat("n", identity.MaxPresenceNoteLength+1)},
	} {
		if _, err := a.svc.SetPresence(tc.status, tc.note); err == nil {
			t.Errorf("SetPresence(%q, %q) succeeded", tc.status, tc.note)
		}
	}
	me, err := a.svc.Me()
	if err != nil || me.Presence.Status != identity.Online || me.Presence.Note != "" {
		t.Fatalf("presence after refusals = %+v, %v; want untouched online", me.Presence, err)
	}
}
