package node

import (
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// A hold refuses the peer both ways until it expires or is released, and
// no other peer.
func TestHoldGater(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	g := newHoldGater(func() time.Time { return now })
	p, other := peer.ID("held"), peer.ID("other")
	allowed := func(id peer.ID) bool {
		dial := g.InterceptPeerDial(id)
		in := g.InterceptSecured(network.DirInbound, id, nil)
		out := g.InterceptSecured(network.DirOutbound, id, nil)
		if dial != in || in != out {
			t.Fatalf("%s: dial %v, inbound %v, outbound %v: want one verdict", id, dial, in, out)
		}
		return dial
	}

	g.hold(p, time.Minute)
	if allowed(p) || !allowed(other) {
		t.Fatal("a hold must refuse its peer and only it")
	}
	now = now.Add(59 * time.Second)
	if got := g.heldFor(p); got != time.Second || allowed(p) {
		t.Fatalf("after 59s: held for %s, allowed %v; want 1s, refused", got, allowed(p))
	}
	now = now.Add(time.Second)
	if !allowed(p) || g.release(p) {
		t.Fatal("an expired hold must allow the peer and be gone")
	}

	g.hold(p, time.Minute)
	if !g.release(p) || !allowed(p) {
		t.Fatal("release must end a hold at once")
	}
}
