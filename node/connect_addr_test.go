package node_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	ma "github.com/multiformats/go-multiaddr"

	"github.com/parley-im/parley/node"
	"github.com/parley-im/parley/node/nodetest"
)

// closedAddr is n's address on tr with its port replaced by one where
// nothing listens.
func closedAddr(t *testing.T, tr nodetest.Transport, n *node.Node) string {
	t.Helper()
	var port int
	if tr == nodetest.TCP {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port = l.Addr().(*net.TCPAddr).Port
		l.Close()
	} else {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port = c.LocalAddr().(*net.UDPAddr).Port
		c.Close()
	}
	live := ma.StringCast(nodetest.Addr(t, tr, n))
	var out []string
	ma.ForEach(live, func(c ma.Component) bool {
		v := c.Value()
		if c.Protocol().Code == ma.P_TCP || c.Protocol().Code == ma.P_UDP {
			v = strconv.Itoa(port)
		}
		out = append(out, c.Protocol().Name)
		if v != "" {
			out = append(out, v)
		}
		return true
	})
	return "/" + strings.Join(out, "/")
}

// Connect to an address where nothing listens fails and names it, also
// when the node is connected to the peer over another address; the live
// address still succeeds.
func TestConnectToDeadAddressFails(t *testing.T) {
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		a, b := nodetest.New(t, tr), nodetest.New(t, tr)
		nodetest.Connect(t, tr, a, b)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		dead := closedAddr(t, tr, b)
		_, err := a.Connect(ctx, dead)
		deadHost, _, _ := strings.Cut(dead, "/p2p/")
		if !errors.Is(err, node.ErrUnreachable) || !strings.Contains(err.Error(), deadHost) {
			t.Fatalf("connect to %s (nothing listens): err = %v, want ErrUnreachable naming the address", dead, err)
		}
		pi, err := a.Connect(ctx, nodetest.Addr(t, tr, b))
		if err != nil || pi.PeerID != b.Host().ID().String() {
			t.Fatalf("connect to the live address after it: %+v, %v", pi, err)
		}
	})
}

// Connect to another live address of a connected peer succeeds, and says
// which address carries the connection.
func TestConnectToAnotherLiveAddress(t *testing.T) {
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		other := nodetest.TCP
		if tr == nodetest.TCP {
			other = nodetest.QUIC
		}
		both := func(c *node.Config) { c.Network.Listen = []string{tr.ListenAddr(), other.ListenAddr()} }
		a, b := nodetest.New(t, tr, both), nodetest.New(t, tr, both)
		nodetest.Connect(t, tr, a, b)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		given := nodetest.Addr(t, other, b)
		pi, err := a.Connect(ctx, given)
		if err != nil {
			t.Fatalf("connect to %s, a live address: %v", given, err)
		}
		if pi.Addr == "" || !tr.Carries(ma.StringCast(pi.Addr)) && !other.Carries(ma.StringCast(pi.Addr)) {
			t.Fatalf("connect to %s: carried by %q, want the connection's address", given, pi.Addr)
		}
	})
}
