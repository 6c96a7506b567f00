package node

import (
	"sync/atomic"
	"testing"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	ma "github.com/multiformats/go-multiaddr"
)

// lastReachability returns the reachability the host's event bus holds
// (the event is stateful), or false when it holds none.
func lastReachability(t *testing.T, h host.Host) (network.Reachability, bool) {
	t.Helper()
	sub, err := h.EventBus().Subscribe(new(event.EvtLocalReachabilityChanged))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	em, held, err := reachabilityEmitter(h)
	if err != nil {
		t.Fatal(err)
	}
	em.Close()
	if !held {
		return 0, false
	}
	return (<-sub.Out()).(event.EvtLocalReachabilityChanged).Reachability, true
}

func newBareHost(t *testing.T, opts ...libp2p.Option) host.Host {
	t.Helper()
	h, err := libp2p.New(append([]libp2p.Option{libp2p.NoListenAddrs}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// With AutoRelay on and AutoNAT deciding, the node states at start that
// its reachability is unknown, which starts AutoRelay's relay finder
// without waiting 15 s for AutoNAT; a verdict already given stays, and
// nodes that do not use AutoRelay or force their reachability get
// nothing.
func TestStartRelayFinder(t *testing.T) {
	auto := NetworkConfig{AutoRelay: true, Reachability: ReachabilityAuto}

	h := newBareHost(t)
	if _, ok := lastReachability(t, h); ok {
		t.Fatal("a new host already holds a reachability event; the test cannot tell what startRelayFinder does")
	}
	if err := startRelayFinder(h, auto); err != nil {
		t.Fatal(err)
	}
	if r, ok := lastReachability(t, h); !ok || r != network.ReachabilityUnknown {
		t.Errorf("after startRelayFinder: reachability %v (held: %v), want unknown", r, ok)
	}

	forced := newBareHost(t, libp2p.ForceReachabilityPrivate())
	if err := startRelayFinder(forced, auto); err != nil {
		t.Fatal(err)
	}
	if r, ok := lastReachability(t, forced); !ok || r != network.ReachabilityPrivate {
		t.Errorf("with a verdict given: reachability %v (held: %v), want private to stay", r, ok)
	}

	for _, cfg := range []NetworkConfig{
		{AutoRelay: false, Reachability: ReachabilityAuto},
		{AutoRelay: true, Reachability: ReachabilityPublic},
	} {
		h := newBareHost(t)
		if err := startRelayFinder(h, cfg); err != nil {
			t.Fatal(err)
		}
		if r, ok := lastReachability(t, h); ok {
			t.Errorf("%+v: reachability %v sent, want nothing", cfg, r)
		}
	}
}

// The host advertises relay addresses while reachability is unknown,
// and leaves the addresses to libp2p once AutoNAT has decided.
func TestEarlyRelayAddrs(t *testing.T) {
	var reach atomic.Int32
	e := earlyRelay{reach: &reach}
	local := []ma.Multiaddr{ma.StringCast("/ip4/10.0.1.2/udp/4001/quic-v1")}
	relay := ma.StringCast("/ip4/7.0.0.10/udp/4001/quic-v1/p2p/12D3KooWPDDegm63JkTESNwiBARWTcWv9cSd9N1oGgydttPqfY86/p2p-circuit")

	if got := e.factory(local); len(got) != 1 {
		t.Errorf("no reservation yet: %v, want the local address only", got)
	}
	e.setRelayAddrs([]ma.Multiaddr{relay})
	got := e.factory(local)
	if len(got) != 2 || !got[1].Equal(relay) || len(local) != 1 {
		t.Errorf("unknown reachability with a reservation: %v, want the local and the relay address (input untouched: %v)", got, local)
	}
	withRelay := append(local[:1:1], relay)
	if got := e.factory(withRelay); len(got) != 2 {
		t.Errorf("libp2p added the relay address already: %v, want it once", got)
	}
	for _, r := range []network.Reachability{network.ReachabilityPrivate, network.ReachabilityPublic} {
		reach.Store(int32(r))
		if got := e.factory(local); len(got) != 1 {
			t.Errorf("reachability %v: %v, want the addresses as libp2p made them", r, got)
		}
	}
}
