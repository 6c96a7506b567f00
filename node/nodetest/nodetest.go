// Package nodetest starts real Parley nodes in one process for tests: each
// on 127.0.0.1 with the local profile and a temporary home, listening on
// one transport (QUIC or TCP, see Matrix), stopped by t.Cleanup.
package nodetest

import (
	"context"
	"testing"
	"time"

	"github.com/parley-im/parley/node"
)

// Option changes a node's config before it starts.
type Option func(*node.Config)

// New starts one node on tr in a fresh temporary home.
func New(t testing.TB, tr Transport, opts ...Option) *node.Node {
	t.Helper()
	home := node.Home{Dir: t.TempDir()}
	if _, err := node.Init(home, node.ProfileLocal, nil); err != nil {
		t.Fatalf("init node home: %v", err)
	}
	return Start(t, tr, home, opts...)
}

// Start starts a node on tr on an existing home (to restart a stopped
// node).
func Start(t testing.TB, tr Transport, home node.Home, opts ...Option) *node.Node {
	t.Helper()
	cfg, err := node.LoadConfig(home.ConfigPath())
	if err != nil {
		t.Fatalf("load config: %v", err)
	}
	Only(tr)(&cfg)
	for _, o := range opts {
		o(&cfg)
	}
	n, err := node.New(node.Options{Home: home, Config: cfg})
	if err != nil {
		t.Fatalf("start node: %v", err)
	}
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Errorf("close node: %v", err)
		}
	})
	return n
}

// Network starts n nodes on tr.
func Network(t testing.TB, tr Transport, n int, opts ...Option) []*node.Node {
	t.Helper()
	nodes := make([]*node.Node, n)
	for i := range nodes {
		nodes[i] = New(t, tr, opts...)
	}
	return nodes
}

// Connect connects a to b over tr and waits until the connection is up;
// the test fails if a connection between them runs on another transport.
func Connect(t testing.TB, tr Transport, a, b *node.Node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := a.Connect(ctx, Addr(t, tr, b)); err != nil {
		t.Fatalf("connect %s to %s: %v", a.Host().ID(), b.Host().ID(), err)
	}
	for _, c := range a.Host().Network().ConnsToPeer(b.Host().ID()) {
		if !tr.Carries(c.RemoteMultiaddr()) {
			t.Fatalf("%s test: %s reached %s on %s", tr, a.Host().ID(), b.Host().ID(), c.RemoteMultiaddr())
		}
	}
}

// Line connects each node to the next one only, over tr.
func Line(t testing.TB, tr Transport, nodes []*node.Node) {
	t.Helper()
	for i := 0; i+1 < len(nodes); i++ {
		Connect(t, tr, nodes[i], nodes[i+1])
	}
}

// FullMesh connects every pair of nodes over tr.
func FullMesh(t testing.TB, tr Transport, nodes []*node.Node) {
	t.Helper()
	for i := range nodes {
		for j := i + 1; j < len(nodes); j++ {
			Connect(t, tr, nodes[i], nodes[j])
		}
	}
}
