package node_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/transport/quicreuse"
	manet "github.com/multiformats/go-multiaddr/net"

	"github.com/parley-im/parley/node"
	"github.com/parley-im/parley/node/nodetest"
	"github.com/parley-im/parley/storage"
)

// floodConns is how many connections the flood opens from one address:
// more than the resource manager's inbound limit of a local node (192),
// which one address filled before the fix.
const floodConns = 200

// perIPDefault is the default profile's network.max_inbound_per_ip; the
// local profile has none, since its peers all share 127.0.0.1.
const perIPDefault = 8

func capPerIP(c *node.Config) { c.Network.MaxInboundPerIP = perIPDefault }

// One address opens 200 connections, each from a throwaway identity;
// then a friend dials in from that same address and gets through, a
// stranger from another address gets through, and the node's own dial of
// a new peer gets through. Before the inbound limits, the flood took every
// inbound slot of the resource manager and the friend was refused.
func TestConnectionFloodLeavesRoomForFriends(t *testing.T) {
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		a := nodetest.New(t, tr, capPerIP)
		friend := nodetest.New(t, tr)
		befriendInStore(t, a, friend.Host().ID())

		opened := flood(t, tr, a, floodConns)
		strangers := inboundFrom(a, "127.0.0.1", friend.Host().ID())
		t.Logf("%s: the flood opened %d of %d connections; the node holds %d from 127.0.0.1", tr, opened, floodConns, strangers)
		if strangers > perIPDefault {
			t.Errorf("the node holds %d stranger connections from 127.0.0.1, want at most %d", strangers, perIPDefault)
		}

		nodetest.Connect(t, tr, friend, a)
		waitConnected(t, a, friend.Host().ID(), "the friend from the flooding address")

		other := hostFrom(t, tr, "127.0.0.2")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := other.Connect(ctx, addrInfo(t, tr, a)); err != nil {
			t.Fatalf("a stranger from 127.0.0.2: %v", err)
		}
		waitConnected(t, a, other.ID(), "a stranger from 127.0.0.2")
		if got := remoteIP(t, a, other.ID()); got != "127.0.0.2" {
			t.Fatalf("the second stranger arrived from %s, want 127.0.0.2 (the test needs another address)", got)
		}

		dialed := nodetest.New(t, tr)
		nodetest.Connect(t, tr, a, dialed)
		waitConnected(t, a, dialed.Host().ID(), "a peer the node dials")
	})
}

// befriendInStore records p as a's friend, as an accepted request does.
func befriendInStore(t *testing.T, a *node.Node, p peer.ID) {
	t.Helper()
	err := a.Store().Update(func(tx *storage.Tx) error {
		return tx.PutContact(storage.ContactInfo{UserID: p.String(), Friend: true, AddedAt: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// flood connects n throwaway hosts to target over tr from 127.0.0.1 and
// keeps them connected until the test ends; it returns how many got a
// connection (the node may refuse the rest).
func flood(t *testing.T, tr nodetest.Transport, target *node.Node, n int) int {
	t.Helper()
	info := addrInfo(t, tr, target)
	hosts := make([]host.Host, n)
	var opened atomic.Int32
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range hosts {
		h, err := libp2p.New(libp2p.NoListenAddrs, libp2p.DisableRelay(), libp2p.ResourceManager(&network.NullResourceManager{}))
		if err != nil {
			t.Fatal(err)
		}
		hosts[i] = h
		t.Cleanup(func() { h.Close() })
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if h.Connect(ctx, info) == nil {
				opened.Add(1)
			}
		})
	}
	wg.Wait()
	return int(opened.Load())
}

// inboundFrom counts n's inbound connections from ip, except those of
// except.
func inboundFrom(n *node.Node, ip string, except peer.ID) int {
	count := 0
	for _, c := range n.Host().Network().Conns() {
		got, err := manet.ToIP(c.RemoteMultiaddr())
		if err == nil && got.String() == ip && c.Stat().Direction == network.DirInbound && c.RemotePeer() != except {
			count++
		}
	}
	return count
}

// waitConnected waits until n holds a connection to p.
func waitConnected(t *testing.T, n *node.Node, p peer.ID, who string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for n.Host().Network().Connectedness(p) != network.Connected {
		if time.Now().After(deadline) {
			t.Fatalf("%s never got a connection", who)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// remoteIP is the IP address n sees p connect from.
func remoteIP(t *testing.T, n *node.Node, p peer.ID) string {
	t.Helper()
	for _, c := range n.Host().Network().ConnsToPeer(p) {
		if ip, err := manet.ToIP(c.RemoteMultiaddr()); err == nil {
			return ip.String()
		}
	}
	t.Fatalf("no connection to %s", p)
	return ""
}

// addrInfo is n's address on tr.
func addrInfo(t *testing.T, tr nodetest.Transport, n *node.Node) peer.AddrInfo {
	t.Helper()
	ai, err := peer.AddrInfoFromString(nodetest.Addr(t, tr, n))
	if err != nil {
		t.Fatal(err)
	}
	return *ai
}

// hostFrom starts a raw libp2p host that listens on ip over tr and dials
// from there: TCP dials reuse the listening port, and QUIC is told to pick
// ip as its source (it would take the route's 127.0.0.1 otherwise).
func hostFrom(t *testing.T, tr nodetest.Transport, ip string) host.Host {
	t.Helper()
	opts := []libp2p.Option{
		libp2p.ListenAddrStrings(strings.Replace(tr.ListenAddr(), "127.0.0.1", ip, 1)),
		libp2p.DisableRelay(),
	}
	if tr == nodetest.QUIC {
		src := fixedSource(net.ParseIP(ip))
		opts = append(opts, libp2p.QUICReuse(quicreuse.NewConnManager,
			quicreuse.OverrideSourceIPSelector(func() (quicreuse.SourceIPSelector, error) { return src, nil })))
	}
	h, err := libp2p.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// fixedSource is a QUIC source address selector that always picks one IP.
type fixedSource net.IP

func (s fixedSource) PreferredSourceIPForDestination(*net.UDPAddr) (net.IP, error) {
	return net.IP(s), nil
}
