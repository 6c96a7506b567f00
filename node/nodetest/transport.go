package nodetest

import (
	"testing"

	ma "github.com/multiformats/go-multiaddr"

	"github.com/parley-im/parley/node"
)

// Transport is one libp2p transport a test network runs on. Nodes started
// for a transport listen on it alone, so every connection between them,
// including the redials of their DHTs and outboxes, uses it.
type Transport struct {
	name   string
	listen string
	proto  int
}

// The transports of the daemons: QUIC v1, which libp2p prefers between
// two daemons, and TCP.
var (
	QUIC = Transport{name: "quic", listen: "/ip4/127.0.0.1/udp/0/quic-v1", proto: ma.P_QUIC_V1}
	TCP  = Transport{name: "tcp", listen: "/ip4/127.0.0.1/tcp/0", proto: ma.P_TCP}
)

// Transports lists every transport a node integration test runs on.
var Transports = []Transport{QUIC, TCP}

// String is the transport's name, which is also its subtest's name.
func (tr Transport) String() string { return tr.name }

// ListenAddr is a loopback listen address on the transport, port 0.
func (tr Transport) ListenAddr() string { return tr.listen }

// Carries reports whether addr is an address of this transport.
func (tr Transport) Carries(addr ma.Multiaddr) bool {
	if tr.proto == ma.P_TCP {
		// QUIC addresses have no TCP component, and TCP ones no UDP.
		_, err := addr.ValueForProtocol(ma.P_TCP)
		return err == nil
	}
	_, err := addr.ValueForProtocol(tr.proto)
	return err == nil
}

// Matrix runs test once per transport, as the subtests TestX/quic and
// TestX/tcp.
func Matrix(t *testing.T, test func(t *testing.T, tr Transport)) {
	t.Helper()
	for _, tr := range Transports {
		t.Run(tr.name, func(t *testing.T) { test(t, tr) })
	}
}

// Only makes a node listen on tr alone.
func Only(tr Transport) Option {
	return func(c *node.Config) { c.Network.Listen = []string{tr.listen} }
}

// Addr returns n's listen address (with /p2p/) on tr; the test fails when
// n has none.
func Addr(t testing.TB, tr Transport, n *node.Node) string {
	t.Helper()
	for _, s := range n.Info().ListenAddrs {
		a, err := ma.NewMultiaddr(s)
		if err == nil && tr.Carries(a) {
			return s
		}
	}
	t.Fatalf("node %s has no %s address among %v", n.Host().ID(), tr, n.Info().ListenAddrs)
	return ""
}
