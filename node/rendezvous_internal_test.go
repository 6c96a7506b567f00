package node

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/routing"
)

// noRoute is a Parley DHT that knows nobody.
type noRoute struct{}

func (noRoute) FindPeer(context.Context, peer.ID) (peer.AddrInfo, error) {
	return peer.AddrInfo{}, routing.ErrNotFound
}

// loopbackListen is the one listen address of each transport the internal
// tests run on (they cannot use nodetest, which imports this package).
var loopbackListen = map[string]string{
	"quic": "/ip4/127.0.0.1/udp/0/quic-v1",
	"tcp":  "/ip4/127.0.0.1/tcp/0",
}

func loopbackHost(t *testing.T, listen string) host.Host {
	t.Helper()
	h, err := libp2p.New(libp2p.ListenAddrStrings(listen))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// A peer that Parley's DHT does not know is found through its
// announcement on (a stand-in of) Amino, with the addresses it announced;
// without the rendezvous the lookup fails with ErrPeerNotFound.
func TestPeerRouterFindsAnnouncedPeer(t *testing.T) {
	t.Parallel()
	for name, listen := range loopbackListen {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testPeerRouterFindsAnnouncedPeer(t, listen)
		})
	}
}

func testPeerRouterFindsAnnouncedPeer(t *testing.T, listen string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := loopbackHost(t, listen)
	srvDHT, err := dht.New(srv, dht.Mode(dht.ModeServer))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srvDHT.Close() })
	standIn := []peer.AddrInfo{{ID: srv.ID(), Addrs: srv.Addrs()}}
	join := func(h host.Host) *amino {
		a, err := startAmino(ctx, h, standIn, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.close() })
		return a
	}
	hA, hB := loopbackHost(t, listen), loopbackHost(t, listen)
	aminoA, aminoB := join(hA), join(hB)
	rdvB := &rendezvous{amino: aminoB, host: hB}
	for err := rdvB.announce(ctx); err != nil; err = rdvB.announce(ctx) {
		// The routing table fills right after start.
		select {
		case <-ctx.Done():
			t.Fatalf("B never announced: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if hA.Network().Connectedness(hB.ID()) != network.NotConnected {
		t.Fatal("A is connected to B before the lookup")
	}

	found := newFoundLog()
	ai, err := peerRouter{dht: noRoute{}, amino: aminoA, found: found}.FindPeer(ctx, hB.ID())
	if err != nil || ai.ID != hB.ID() || len(ai.Addrs) == 0 {
		t.Fatalf("FindPeer(B) through the rendezvous = %v, %v; want B's addresses", ai, err)
	}
	if f, ok := found.get(hB.ID()); !ok || f.via != FoundViaPublicRendezvous || len(f.addrs) != len(ai.Addrs) {
		t.Errorf("found log for B = %+v, %v; want public_rendezvous with its addresses", f, ok)
	}
	if err := hA.Connect(ctx, ai); err != nil {
		t.Errorf("dial B at the announced addresses %v: %v", ai.Addrs, err)
	}

	_, err = peerRouter{dht: noRoute{}}.FindPeer(ctx, hB.ID())
	if !errors.Is(err, ErrPeerNotFound) {
		t.Errorf("FindPeer(B) without the rendezvous: %v, want ErrPeerNotFound", err)
	}
}
