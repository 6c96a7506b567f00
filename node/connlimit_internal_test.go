package node

import (
	"testing"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// fakeConn is just enough of a connection for the inbound limiter.
type fakeConn struct {
	network.Conn
	p    peer.ID
	addr ma.Multiaddr
	dir  network.Direction
}

func (c *fakeConn) RemotePeer() peer.ID           { return c.p }
func (c *fakeConn) RemoteMultiaddr() ma.Multiaddr { return c.addr }
func (c *fakeConn) Stat() network.ConnStats {
	return network.ConnStats{Stats: network.Stats{Direction: c.dir}}
}

// The caps count strangers by address (IPv6 by /56), by peer and in all;
// friends and outbound connections pass uncounted, and a closed
// connection frees its place.
func TestInboundLimiterCaps(t *testing.T) {
	friend := peer.ID("friend")
	l := newInboundLimiter(func(p peer.ID) bool { return p == friend }, 2, 5)
	conn := func(p, addr string, dir network.Direction) *fakeConn {
		return &fakeConn{p: peer.ID(p), addr: ma.StringCast(addr), dir: dir}
	}
	admit := func(c *fakeConn) bool {
		ok, _ := l.InterceptUpgraded(c)
		return ok
	}
	in := network.DirInbound
	first := conn("s1", "/ip4/203.0.113.1/tcp/1", in)
	if !admit(first) || !admit(conn("s2", "/ip4/203.0.113.1/tcp/2", in)) {
		t.Fatal("the first two strangers from one address were refused")
	}
	if admit(conn("s3", "/ip4/203.0.113.1/tcp/3", in)) {
		t.Error("a third stranger from the address passed a cap of 2")
	}
	if !admit(conn("friend", "/ip4/203.0.113.1/tcp/4", in)) {
		t.Error("a friend from the full address was refused")
	}
	if !admit(conn("s4", "/ip4/203.0.113.1/tcp/5", network.DirOutbound)) {
		t.Error("an outbound connection to the full address was refused")
	}
	l.Disconnected(nil, first)
	if !admit(conn("s3", "/ip4/203.0.113.1/tcp/3", in)) {
		t.Error("a stranger was refused after a place was freed")
	}

	// IPv6: one /56 is one address.
	if !admit(conn("v1", "/ip6/2001:db8:0:1::1/tcp/1", in)) || !admit(conn("v2", "/ip6/2001:db8:0:2::1/tcp/1", in)) {
		t.Fatal("IPv6 strangers refused below the cap")
	}
	if admit(conn("v3", "/ip6/2001:db8:0:3::1/tcp/1", in)) {
		t.Error("a third stranger from the same IPv6 /56 passed")
	}
	// Per peer: maxInboundPerStranger, whatever the addresses.
	for i, a := range []string{"/ip4/198.51.100.1/tcp/1", "/ip4/198.51.100.2/tcp/1", "/ip4/198.51.100.3/tcp/1", "/ip4/198.51.100.4/tcp/1"} {
		if got := admit(conn("many", a, in)); got != (i < 1) {
			// total is 5: four are held (s2, s3, v1, v2), so "many" gets one.
			t.Errorf("connection %d of one stranger: admitted %v", i+1, got)
		}
	}
	if n := len(l.counted); n != 5 {
		t.Errorf("%d connections counted, want 5 (the total)", n)
	}
}
