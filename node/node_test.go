package node_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"go.uber.org/goleak"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/node"
	"github.com/parley-im/parley/node/nodetest"
)

// isPeerEvent matches a peer_connected or peer_disconnected event about p.
func isPeerEvent(typ chat.EventType, p peer.ID) func(chat.Event) bool {
	return func(e chat.Event) bool {
		pe, ok := e.Data.(chat.PeerEvent)
		return e.Type == typ && ok && pe.PeerID == p.String()
	}
}

// findPeer returns the entry of p in peers.
func findPeer(peers []node.PeerInfo, p peer.ID) (node.PeerInfo, bool) {
	for _, pi := range peers {
		if pi.PeerID == p.String() {
			return pi, true
		}
	}
	return node.PeerInfo{}, false
}

// Two nodes connect: both list each other and both feeds report it; after
// Disconnect both feeds report the peer gone and neither lists the other.
func TestConnectPeersDisconnect(t *testing.T) {
	t.Parallel()
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		a, b := nodetest.New(t, tr), nodetest.New(t, tr)
		subA, subB := a.Feed().Subscribe(0), b.Feed().Subscribe(0)
		t.Cleanup(subA.Close)
		t.Cleanup(subB.Close)

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		addr := nodetest.Addr(t, tr, b)
		pi, err := a.Connect(ctx, addr)
		if err != nil {
			t.Fatalf("connect to %s: %v", addr, err)
		}
		if pi.PeerID != b.Host().ID().String() || pi.Direction != "Outbound" || pi.Relayed {
			t.Errorf("Connect = %+v, want B, outbound, direct", pi)
		}

		ev := waitEvent(t, subA, isPeerEvent(chat.EventPeerConnected, b.Host().ID()))
		if ev.ID == 0 || ev.Time.IsZero() {
			t.Errorf("event without id or time: %+v", ev)
		}
		if pe := ev.Data.(chat.PeerEvent); pe.Addr == "" || pe.Direction == "" {
			t.Errorf("A's peer_connected = %+v, want address and direction", pe)
		}
		waitEvent(t, subB, isPeerEvent(chat.EventPeerConnected, a.Host().ID()))

		if got, ok := findPeer(a.Peers(), b.Host().ID()); !ok || got.Addr == "" || got.OpenedAt.IsZero() {
			t.Errorf("A's peers = %+v, want B with its address", a.Peers())
		}
		if got, ok := findPeer(b.Peers(), a.Host().ID()); !ok || got.Direction != "Inbound" {
			t.Errorf("B's peers = %+v, want A, inbound", b.Peers())
		}

		if err := a.Disconnect(b.Host().ID().String()); err != nil {
			t.Fatal(err)
		}
		waitEvent(t, subA, isPeerEvent(chat.EventPeerDisconnected, b.Host().ID()))
		waitEvent(t, subB, isPeerEvent(chat.EventPeerDisconnected, a.Host().ID()))
		if _, ok := findPeer(a.Peers(), b.Host().ID()); ok {
			t.Errorf("A still lists B after disconnect: %+v", a.Peers())
		}
		// B is not held off from A: a redial of B's (its DHT, say) can open a
		// connection on B's side before A's gater refuses it, so B may list A
		// for a moment; it must drop A again.
		pollUntil(t, 10*time.Second, func() bool {
			_, ok := findPeer(b.Peers(), a.Host().ID())
			return !ok
		})
		if err := a.Disconnect(b.Host().ID().String()); !errors.Is(err, node.ErrNotConnected) {
			t.Errorf("second disconnect: %v, want ErrNotConnected", err)
		}
	})
}

// Connect and Disconnect refuse what they cannot do with the error the API
// maps to its codes.
func TestConnectDisconnectBadInput(t *testing.T) {
	t.Parallel()
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		a := nodetest.New(t, tr)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()

		for _, bad := range []string{
			"not-a-multiaddr",
			"/ip4/127.0.0.1/tcp/",
			"/ip4/127.0.0.1/tcp/4001", // no /p2p/
			"/ip4/127.0.0.1/tcp/4001/p2p/not-a-peer",
			"",
		} {
			_, err := a.Connect(ctx, bad)
			if !errors.Is(err, node.ErrBadAddr) || (bad != "" && !strings.Contains(err.Error(), bad)) {
				t.Errorf("Connect(%q) = %v, want ErrBadAddr naming it", bad, err)
			}
		}
		if _, err := a.Connect(ctx, "/ip4/127.0.0.1/tcp/4001"); err == nil || !strings.Contains(err.Error(), "/p2p/") {
			t.Errorf("an address without /p2p/: %v, want a hint about /p2p/<peer id>", err)
		}
		for _, self := range a.Info().ListenAddrs {
			if _, err := a.Connect(ctx, self); !errors.Is(err, node.ErrSelf) {
				t.Errorf("Connect(own address %s) = %v, want ErrSelf", self, err)
			}
		}
		if _, err := a.Connect(ctx, unreachablePeer(t, tr)); !errors.Is(err, node.ErrUnreachable) {
			t.Errorf("Connect(nobody listening) = %v, want ErrUnreachable", err)
		}

		stranger := nodetest.New(t, tr).Host().ID().String()
		if err := a.Disconnect(stranger); !errors.Is(err, node.ErrNotConnected) || !strings.Contains(err.Error(), stranger) {
			t.Errorf("Disconnect(unknown peer) = %v, want ErrNotConnected naming it", err)
		}
		if err := a.Disconnect("not-a-peer"); !errors.Is(err, node.ErrBadPeerID) || !strings.Contains(err.Error(), "not-a-peer") {
			t.Errorf("Disconnect(bad id) = %v, want ErrBadPeerID naming it", err)
		}
		if peers := a.Peers(); len(peers) != 0 {
			t.Errorf("peers after refused requests: %+v", peers)
		}
	})
}

// A second node on a home that a running node holds fails at once with
// ErrHomeLocked and names the home; the first node is unaffected, and the
// home is free again once it stops.
func TestSecondNodeOnSameHomeFails(t *testing.T) {
	t.Parallel()
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		home := initHome(t, node.ProfileLocal)
		first := startUnmanaged(t, tr, home)
		t.Cleanup(func() { first.Close() })
		cfg, err := node.LoadConfig(home.ConfigPath())
		if err != nil {
			t.Fatal(err)
		}
		nodetest.Only(tr)(&cfg)

		start := time.Now()
		second, err := node.New(node.Options{Home: home, Config: cfg})
		if err == nil {
			second.Close()
			t.Fatal("a second node started on a home held by a running node")
		}
		if !errors.Is(err, node.ErrHomeLocked) || !strings.Contains(err.Error(), home.Dir) {
			t.Errorf("second node: %v, want ErrHomeLocked naming %s", err, home.Dir)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("the second node took %s to fail, want at once", d)
		}
		if len(first.Info().ListenAddrs) == 0 || first.Store() == nil {
			t.Error("the first node was disturbed by the failed start")
		}

		if err := first.Close(); err != nil {
			t.Fatal(err)
		}
		again, err := node.New(node.Options{Home: home, Config: cfg})
		if err != nil {
			t.Fatalf("start after the first node stopped: %v", err)
		}
		if err := again.Close(); err != nil {
			t.Error(err)
		}
	})
}

// A node restarted on its home keeps its peer ID, and Close may be called
// more than once.
func TestRestartKeepsPeerID(t *testing.T) {
	t.Parallel()
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		home := initHome(t, node.ProfileLocal)
		cfg, err := node.LoadConfig(home.ConfigPath())
		if err != nil {
			t.Fatal(err)
		}
		nodetest.Only(tr)(&cfg)
		n, err := node.New(node.Options{Home: home, Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		id := n.Host().ID()
		if err := n.Close(); err != nil {
			t.Fatal(err)
		}
		if err := n.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		restarted := nodetest.Start(t, tr, home)
		if restarted.Host().ID() != id || restarted.Info().PeerID != id.String() {
			t.Errorf("peer ID after restart = %s, want %s", restarted.Host().ID(), id)
		}
	})
}

// Starting, connecting and closing nodes (and a start refused because the
// home is locked) leaves no goroutine behind. Not parallel: goleak looks
// at every goroutine of the process.
func TestNodeCloseLeavesNoGoroutines(t *testing.T) {
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		ignore := goleak.IgnoreCurrent()

		homeA, homeB := initHome(t, node.ProfileLocal), initHome(t, node.ProfileLocal)
		a, b := startUnmanaged(t, tr, homeA), startUnmanaged(t, tr, homeB)
		sub := b.Feed().Subscribe(0)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := a.Connect(ctx, nodetest.Addr(t, tr, b)); err != nil {
			t.Fatal(err)
		}
		waitEvent(t, sub, isPeerEvent(chat.EventPeerConnected, a.Host().ID()))
		cfg, _ := node.LoadConfig(homeA.ConfigPath())
		if _, err := node.New(node.Options{Home: homeA, Config: cfg}); !errors.Is(err, node.ErrHomeLocked) {
			t.Errorf("start on a locked home: %v", err)
		}
		if err := a.Close(); err != nil {
			t.Error(err)
		}
		if err := b.Close(); err != nil {
			t.Error(err)
		}
		sub.Close()
		if err := goleak.Find(ignore); err != nil {
			t.Errorf("goroutines left after Close: %v", err)
		}
	})
}

// startUnmanaged starts a node on home, listening on tr, and leaves
// closing it to the test.
func startUnmanaged(t *testing.T, tr nodetest.Transport, home node.Home) *node.Node {
	t.Helper()
	cfg, err := node.LoadConfig(home.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	nodetest.Only(tr)(&cfg)
	n, err := node.New(node.Options{Home: home, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
