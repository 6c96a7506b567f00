package node_test

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/node"
	"github.com/parley-im/parley/node/nodetest"
)

// hostileHost is a plain go-libp2p host on the transport of listen, as a
// peer that forges frames by hand would run.
func hostileHost(t *testing.T, listen string) host.Host {
	t.Helper()
	h, err := libp2p.New(libp2p.ListenAddrStrings(listen), libp2p.DisableRelay())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// dialNode connects h to n at n's address on tr.
func dialNode(ctx context.Context, t *testing.T, tr nodetest.Transport, h host.Host, n *node.Node) error {
	addr, err := ma.NewMultiaddr(nodetest.Addr(t, tr, n))
	if err != nil {
		return err
	}
	ai, err := peer.AddrInfoFromP2pAddr(addr)
	if err != nil {
		return err
	}
	return h.Connect(ctx, *ai)
}

// streamAnswered opens a stream of proto to p, writes data and reports
// whether anything came back before the stream ended.
func streamAnswered(ctx context.Context, h host.Host, p peer.ID, proto protocol.ID, data []byte) (bool, error) {
	st, err := h.NewStream(ctx, p, proto)
	if err != nil {
		return false, err
	}
	defer st.Reset()
	st.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := st.Write(data); err != nil {
		return false, err
	}
	st.CloseWrite()
	n, err := st.Read(make([]byte, 1))
	return n > 0, err
}

// A peer banned for breaking the DM protocol is cut off for the whole ban:
// it cannot connect again (the gater refuses it), the node does not dial
// it, and no protocol answers it, history sync included.
func TestBanHoldsOnEveryProtocol(t *testing.T) {
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		a := nodetest.New(t, tr)
		h := hostileHost(t, tr.ListenAddr())
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		aID := a.Host().ID()

		if err := dialNode(ctx, t, tr, h, a); err != nil {
			t.Fatal(err)
		}
		// Before the ban, sync answers (with an error: h is in no group).
		syncReq := []byte{0} // an empty SyncRequest, length-delimited
		if answered, err := streamAnswered(ctx, h, aID, chat.SyncProtocol, syncReq); !answered {
			t.Fatalf("sync did not answer before the ban: %v", err)
		}
		oversized := binary.AppendUvarint(nil, chat.MaxFrameSize+1)
		for range 3 {
			streamAnswered(ctx, h, aID, chat.DMProtocol, oversized)
		}
		pollUntil(t, 10*time.Second, func() bool {
			return a.Host().Network().Connectedness(h.ID()) == network.NotConnected
		})

		// The banned peer reconnects at once: refused.
		if err := dialNode(ctx, t, tr, h, a); err == nil {
			// Over QUIC the dialer's side may count as connected before
			// the listener's gater has spoken; only a's side tells.
			pollUntil(t, 5*time.Second, func() bool {
				return a.Host().Network().Connectedness(h.ID()) == network.NotConnected
			})
		}
		if answered, err := streamAnswered(ctx, h, aID, chat.SyncProtocol, syncReq); answered {
			t.Fatal("sync answered a banned peer")
		} else {
			t.Logf("banned peer's sync stream: %v", err)
		}
		// Nor does a dial it.
		h.Peerstore().AddAddrs(h.ID(), h.Addrs(), time.Minute)
		a.Host().Peerstore().AddAddrs(h.ID(), h.Addrs(), time.Minute)
		if err := a.Host().Connect(ctx, peer.AddrInfo{ID: h.ID()}); err == nil {
			t.Fatal("the node dialed a peer it banned")
		}
		if c := a.Host().Network().Connectedness(h.ID()); c != network.NotConnected {
			t.Fatalf("a's connectedness to the banned peer: %s", c)
		}
	})
}

// A ban outlasts a clean restart of the node that imposed it: the
// restarted node's gater refuses the banned peer and no protocol answers
// it (before bans were stored, the restarted node let it in at once).
func TestBanSurvivesRestart(t *testing.T) {
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		home := initHome(t, node.ProfileLocal)
		a := nodetest.Start(t, tr, home)
		h := hostileHost(t, tr.ListenAddr())
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := dialNode(ctx, t, tr, h, a); err != nil {
			t.Fatal(err)
		}
		oversized := binary.AppendUvarint(nil, chat.MaxFrameSize+1)
		for range 3 {
			streamAnswered(ctx, h, a.Host().ID(), chat.DMProtocol, oversized)
		}
		pollUntil(t, 10*time.Second, func() bool {
			return a.Host().Network().Connectedness(h.ID()) == network.NotConnected
		})
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		h.Network().ClosePeer(a.Host().ID())
		h.Peerstore().ClearAddrs(a.Host().ID())

		a = nodetest.Start(t, tr, home)
		if err := dialNode(ctx, t, tr, h, a); err == nil {
			pollUntil(t, 5*time.Second, func() bool {
				return a.Host().Network().Connectedness(h.ID()) == network.NotConnected
			})
		}
		syncReq := []byte{0}
		if answered, err := streamAnswered(ctx, h, a.Host().ID(), chat.SyncProtocol, syncReq); answered {
			t.Fatal("after a restart, sync answered a banned peer")
		} else {
			t.Logf("banned peer's sync stream after the restart: %v", err)
		}
	})
}
