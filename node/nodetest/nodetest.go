// Package nodetest starts real Parley nodes in one process for tests: each
// on 127.0.0.1 with the local profile and a temporary home, stopped by
// t.Cleanup.
package nodetest

import (
	"context"
	"testing"
	"time"

	"github.com/parley-im/parley/node"
)

// Option changes a node's config before it starts.
type Option func(*node.Config)

// New starts one node in a fresh temporary home.
func New(t testing.TB, opts ...Option) *node.Node {
	t.Helper()
	home := node.Home{Dir: t.TempDir()}
	if _, err := node.Init(home, node.ProfileLocal, nil); err != nil {
		t.Fatalf("init node home: %v", err)
	}
	return Start(t, home, opts...)
}

// Start starts a node on an existing home (to restart a stopped node).
func Start(t testing.TB, home node.Home, opts ...Option) *node.Node {
	t.Helper()
	cfg, err := node.LoadConfig(home.ConfigPath())
	if err != nil {
		t.Fatalf("load config: %v", err)
	}
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

// Network starts n nodes.
func Network(t testing.TB, n int, opts ...Option) []*node.Node {
	t.Helper()
	nodes := make([]*node.Node, n)
	for i := range nodes {
		nodes[i] = New(t, opts...)
	}
	return nodes
}

// Connect connects a to b and waits until the connection is up.
func Connect(t testing.TB, a, b *node.Node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := a.Connect(ctx, b.Info().ListenAddrs[0]); err != nil {
		t.Fatalf("connect %s to %s: %v", a.Host().ID(), b.Host().ID(), err)
	}
}

// Line connects each node to the next one only.
func Line(t testing.TB, nodes []*node.Node) {
	t.Helper()
	for i := 0; i+1 < len(nodes); i++ {
		Connect(t, nodes[i], nodes[i+1])
	}
}

// FullMesh connects every pair of nodes.
func FullMesh(t testing.TB, nodes []*node.Node) {
	t.Helper()
	for i := range nodes {
		for j := i + 1; j < len(nodes); j++ {
			Connect(t, nodes[i], nodes[j])
		}
	}
}
