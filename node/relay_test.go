package node

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/holepunch"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/parley-im/parley/chat"
)

func mustInfos(t *testing.T, addrs ...string) []peer.AddrInfo {
	t.Helper()
	infos, err := ParseBootstrap(addrs)
	if err != nil {
		t.Fatal(err)
	}
	return infos
}

// The relay source works before the host exists, never sends more than
// asked, puts configured relays first, and closes its channel.
func TestRelaySource(t *testing.T) {
	const (
		a = "/ip4/198.51.100.7/tcp/4001/p2p/12D3KooWPDDegm63JkTESNwiBARWTcWv9cSd9N1oGgydttPqfY86"
		b = "/ip4/198.51.100.8/tcp/4001/p2p/12D3KooWQ6j32pirhmLfk81xigfnMusBSWVGR8YpYMqzVNKz2HkD"
	)
	src := newRelaySource(mustInfos(t, a))
	drain := func(num int) []peer.ID {
		var out []peer.ID
		for ai := range src.peers(context.Background(), num) {
			out = append(out, ai.ID)
		}
		return out
	}
	if got := drain(4); len(got) != 1 {
		t.Errorf("before setHost: %v, want the static relay", got)
	}
	boot := mustInfos(t, b, a)
	src.setHost(nil, func() []peer.AddrInfo { return boot }, nil)
	got := drain(4)
	if len(got) != 2 || got[0] != boot[1].ID || got[1] != boot[0].ID {
		t.Errorf("with bootstrap peers: %v, want the static relay first, no duplicates", got)
	}
	if got := drain(1); len(got) != 1 {
		t.Errorf("num 1: %v", got)
	}
	if got := drain(0); len(got) != 0 {
		t.Errorf("num 0: %v", got)
	}
}

func TestIsCircuit(t *testing.T) {
	for s, want := range map[string]bool{
		"/ip4/198.51.100.7/tcp/4001": false,
		"/ip4/198.51.100.7/tcp/4001/p2p/12D3KooWPDDegm63JkTESNwiBARWTcWv9cSd9N1oGgydttPqfY86/p2p-circuit": true,
	} {
		if got := isCircuit(ma.StringCast(s)); got != want {
			t.Errorf("isCircuit(%s) = %v", s, got)
		}
	}
}

// Hole punching outcomes reach the feed; failed direct dials (expected
// behind a NAT) do not.
func TestHolePunchTracer(t *testing.T) {
	feed := chat.NewFeed(0)
	defer feed.Close()
	sub := feed.Subscribe(0)
	defer sub.Close()
	tr := &holePunchTracer{log: discardLogger(), feed: feed}
	remote, _ := peer.Decode("12D3KooWPDDegm63JkTESNwiBARWTcWv9cSd9N1oGgydttPqfY86")
	tr.Trace(&holepunch.Event{Remote: remote, Type: holepunch.DirectDialEvtT, Evt: &holepunch.DirectDialEvt{Success: false, Error: "nope"}})
	tr.Trace(&holepunch.Event{Remote: remote, Type: holepunch.EndHolePunchEvtT, Evt: &holepunch.EndHolePunchEvt{Success: false, Error: "timeout", EllapsedTime: time.Second}})
	tr.Trace(&holepunch.Event{Remote: remote, Type: holepunch.EndHolePunchEvtT, Evt: &holepunch.EndHolePunchEvt{Success: true, EllapsedTime: 200 * time.Millisecond}})
	want := []string{HolePunchFailed, HolePunchDirect}
	for _, w := range want {
		select {
		case e := <-sub.Events():
			hp, ok := e.Data.(HolePunchEvent)
			if e.Type != EventHolePunch || !ok || hp.Outcome != w || hp.PeerID != remote.String() {
				t.Errorf("event %+v, want a %s hole_punch event", e, w)
			}
		case <-time.After(time.Second):
			t.Fatalf("no %s event", w)
		}
	}
	select {
	case e := <-sub.Events():
		t.Errorf("unexpected event %+v", e)
	default:
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
