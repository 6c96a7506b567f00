package node_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	record "github.com/libp2p/go-libp2p-record"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/identity"
	"github.com/parley-im/parley/node"
	"github.com/parley-im/parley/node/nodetest"
)

// presenceTTL is short so that expiry shows within the test.
const presenceTTL = 4 * time.Second

func shortTTL(c *node.Config) { c.Presence.TTL = node.Duration(presenceTTL) }

// waitWhois asks n about p, bypassing the cache, until ok accepts the
// answer or timeout passes. Nothing signals that a record reached the
// DHT (puts happen in the background on another node), so this polls on a
// short ticker; every round is a real DHT lookup.
func waitWhois(t *testing.T, n *node.Node, p peer.ID, timeout time.Duration, what string, ok func(chat.UserView) bool) chat.UserView {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var last chat.UserView
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		v, err := n.Chat().Whois(ctx, p, chat.WhoisOptions{Refresh: true})
		cancel()
		if err != nil {
			t.Fatalf("whois %s: %v", p, err)
		}
		if ok(v) {
			return v
		}
		last = v
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("%s: not within %v; last answer: profile %+v, presence %+v, warnings %q", what, timeout, last.Profile, last.Presence, last.Warnings)
		}
	}
}

func nick(v chat.UserView) string {
	if v.Profile == nil {
		return ""
	}
	return v.Profile.Nickname
}

// Three nodes in a line, A–B–C: C finds A's profile and presence through
// the DHT, sees A's new nickname, and sees A offline after A stops
// gracefully. A forged record and a replayed older one put into the DHT
// never replace A's.
func TestProfileAndPresenceThroughTheDHT(t *testing.T) {
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		nodes := nodetest.Network(t, tr, 3, shortTTL)
		nodetest.Line(t, tr, nodes)
		a, c := nodes[0], nodes[2]
		aID := a.Host().ID()
		if _, err := a.Chat().SetNickname("alice"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Chat().SetPresence(identity.Away, "in a line"); err != nil {
			t.Fatal(err)
		}
		v := waitWhois(t, c, aID, 30*time.Second, "C finds A's profile and presence", func(v chat.UserView) bool {
			return nick(v) == "alice" && v.Presence.Status == identity.Away
		})
		if v.Profile.Source != chat.SourceDHT || v.Presence.Source != chat.SourceDHT || v.Presence.Note != "in a line" {
			t.Fatalf("C's view of A: profile %+v, presence %+v; want both from the dht", v.Profile, v.Presence)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		oldProfile, err := c.Routing().GetValue(ctx, identity.ProfileKey(aID))
		if err != nil {
			t.Fatal(err)
		}

		if _, err := a.Chat().SetNickname("alice2"); err != nil {
			t.Fatal(err)
		}
		waitWhois(t, c, aID, 30*time.Second, "C sees A's new nickname", func(v chat.UserView) bool { return nick(v) == "alice2" })

		// An attacker outside Parley's rules puts a profile and a presence
		// signed by its own key under A's keys, and replays A's older profile.
		mallory := newRawDHT(t, tr, nodes[1], permissive())
		forgedKey, _, _ := crypto.GenerateEd25519Key(rand.Reader)
		now := time.Now()
		forgedProfile := forgedRecord(t, func() ([]byte, error) {
			return identity.SignProfile(forgedKey, identity.UserInfo{Nickname: "mallory", Seq: ^uint64(0), UpdatedAt: now})
		})
		forgedPresence := forgedRecord(t, func() ([]byte, error) {
			return identity.SignPresence(forgedKey, identity.Presence{Status: identity.Busy, Seq: ^uint64(0), UpdatedAt: now, ExpiresAt: now.Add(time.Hour)})
		})
		for _, put := range []struct {
			key string
			val []byte
		}{
			{identity.ProfileKey(aID), forgedProfile},
			{identity.ProfileKey(aID), oldProfile},
			{identity.PresenceKey(aID), forgedPresence},
		} {
			// Every node refuses them, so the put reports nothing useful.
			_ = mallory.PutValue(ctx, put.key, put.val)
		}
		v = waitWhois(t, c, aID, 10*time.Second, "C still sees A's own records", func(chat.UserView) bool { return true })
		if nick(v) != "alice2" || v.Presence.Status != identity.Away {
			t.Fatalf("after the forgeries C sees %q, %s; want alice2, away", nick(v), v.Presence.Status)
		}
		// A clean observer collects what every node serves: only A's latest.
		spy := &spyValidator{}
		observer := newRawDHT(t, tr, nodes[1], spy)
		if _, err := observer.GetValue(ctx, identity.ProfileKey(aID)); err != nil {
			t.Fatal(err)
		}
		seen := spy.values()
		if len(seen) == 0 {
			t.Fatal("the observer saw no profile record at all")
		}
		for _, val := range seen {
			u, err := identity.OpenProfile(val)
			if err != nil || u.UserID != aID || u.Nickname != "alice2" || bytes.Equal(val, oldProfile) {
				t.Fatalf("a node serves %q of %s (%v); want only A's latest", u.Nickname, u.UserID, err)
			}
		}

		// A stops gracefully: C sees offline right away, not at expiry.
		stopped := time.Now()
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		v = waitWhois(t, c, aID, presenceTTL, "C sees A offline after a graceful stop", func(v chat.UserView) bool {
			return v.Presence.Status == identity.Offline
		})
		if v.Presence.Expired || v.Presence.Source != chat.SourceDHT {
			t.Fatalf("presence after the stop = %+v; want a published offline record, %v after the stop", v.Presence, time.Since(stopped))
		}
	})
}

// A node that dies without a word shows as offline once its last
// presence record expires.
func TestKilledNodeGoesOfflineAtExpiry(t *testing.T) {
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		nodes := nodetest.Network(t, tr, 3, shortTTL)
		nodetest.Line(t, tr, nodes)
		a, c := nodes[0], nodes[2]
		aID := a.Host().ID()
		waitWhois(t, c, aID, 30*time.Second, "C finds A online", func(v chat.UserView) bool {
			return v.Presence.Status == identity.Online && !v.Presence.Expired
		})
		// Kill A: its host goes away with no offline record, as with kill -9
		// (the node's own Close, at cleanup, can no longer reach anyone).
		killed := time.Now()
		if err := a.Host().Close(); err != nil {
			t.Fatal(err)
		}
		v := waitWhois(t, c, aID, presenceTTL+15*time.Second, "C sees the killed A offline", func(v chat.UserView) bool {
			return v.Presence.Status == identity.Offline
		})
		if !v.Presence.Expired {
			t.Fatalf("presence = %+v; want the last record, expired", v.Presence)
		}
		if took := time.Since(killed); took > presenceTTL+10*time.Second {
			t.Fatalf("offline after %v; the TTL is %v", took, presenceTTL)
		}
		t.Logf("killed node shown offline after %v (TTL %v)", time.Since(killed).Round(time.Millisecond), presenceTTL)
	})
}

func forgedRecord(t *testing.T, sign func() ([]byte, error)) []byte {
	t.Helper()
	rec, err := sign()
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// newRawDHT starts a bare libp2p host with a client-mode kad-dht on
// Parley's prefix and validator v, listening on tr, connected to via.
func newRawDHT(t *testing.T, tr nodetest.Transport, via *node.Node, v record.Validator) *dht.IpfsDHT {
	t.Helper()
	h, err := libp2p.New(libp2p.ListenAddrStrings(tr.ListenAddr()), libp2p.DisableRelay())
	if err != nil {
		t.Fatal(err)
	}
	d, err := dht.New(h, dht.ProtocolPrefix(node.DHTPrefix), dht.Mode(dht.ModeClient), dht.Validator(v))
	if err != nil {
		h.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.Close()
		h.Close()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.Connect(ctx, peer.AddrInfo{ID: via.Host().ID(), Addrs: via.Host().Addrs()}); err != nil {
		t.Fatal(err)
	}
	// The client learns its first server from the connection; wait for it
	// to enter the routing table (identify and the DHT's own check).
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for d.RoutingTable().Size() == 0 {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatal("raw DHT never added its peer")
		}
	}
	return d
}

// permissive is a validator that accepts anything in Parley's namespaces:
// what an attacker who skips the rules runs.
func permissive() record.Validator {
	return record.NamespacedValidator{"profile": acceptAll{}, "presence": acceptAll{}}
}

type acceptAll struct{}

func (acceptAll) Validate(string, []byte) error        { return nil }
func (acceptAll) Select(string, [][]byte) (int, error) { return 0, nil }

// spyValidator accepts everything and remembers every value it saw.
type spyValidator struct {
	mu   sync.Mutex
	seen [][]byte
}

func (s *spyValidator) Validate(_ string, v []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, bytes.Clone(v))
	return nil
}

func (s *spyValidator) Select(string, [][]byte) (int, error) { return 0, nil }

func (s *spyValidator) values() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen
}
