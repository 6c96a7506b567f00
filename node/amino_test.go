package node_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/node"
	"github.com/parley-im/parley/node/nodetest"
	"github.com/parley-im/parley/storage"
)

// The safety net: only the default profile reaches the real Amino
// bootstrap list; the local and server profiles, nodetest's nodes (with
// or without stand-ins) and a default config with public_rendezvous off
// do not; and node.New refuses the real list inside a test binary.
func TestNoTestConfigReachesPublicAmino(t *testing.T) {
	t.Parallel()
	def, _ := node.ProfileConfig(node.ProfileDefault)
	if !node.UsesPublicAmino(def) {
		t.Fatalf("the default profile does not use the public list: the check cannot fail; amino_bootstrap = %q", def.Network.AminoBootstrap)
	}
	for _, p := range []string{node.ProfileLocal, node.ProfileServer} {
		c, _ := node.ProfileConfig(p)
		if node.UsesPublicAmino(c) || c.Network.PublicRendezvous || len(c.Network.AminoBootstrap) > 0 {
			t.Errorf("profile %s: public rendezvous %v, amino_bootstrap %q; want off and empty", p, c.Network.PublicRendezvous, c.Network.AminoBootstrap)
		}
	}
	off, err := node.ParseConfig([]byte("profile = \"default\"\n[network]\npublic_rendezvous = false\n"), "config.toml")
	if err != nil || node.UsesPublicAmino(off) {
		t.Errorf("default with public_rendezvous = false: err %v, uses public Amino %v", err, node.UsesPublicAmino(off))
	}
	// A public list under another spelling is still the public list.
	sneaky := off
	sneaky.Network.PublicRendezvous = true
	sneaky.Network.AminoBootstrap = []string{strings.Replace(def.Network.AminoBootstrap[len(def.Network.AminoBootstrap)-1], "/p2p/", "/ipfs/", 1)}
	if !node.UsesPublicAmino(sneaky) {
		t.Errorf("amino_bootstrap %q not recognized as a public bootstrap peer", sneaky.Network.AminoBootstrap)
	}

	for _, tr := range nodetest.Transports {
		if c := nodetest.New(t, tr).Config(); node.UsesPublicAmino(c) || c.Network.PublicRendezvous {
			t.Errorf("nodetest over %s: public rendezvous %v, amino_bootstrap %q", tr, c.Network.PublicRendezvous, c.Network.AminoBootstrap)
		}
		standIns := nodetest.AminoNetwork(t, tr, 1)
		if c := nodetest.New(t, tr, nodetest.PublicRendezvous(standIns)).Config(); node.UsesPublicAmino(c) {
			t.Errorf("nodetest with stand-ins over %s reaches the public list: %q", tr, c.Network.AminoBootstrap)
		}
	}

	home := node.Home{Dir: t.TempDir()}
	if _, err := node.Init(home, node.ProfileLocal, nil); err != nil {
		t.Fatal(err)
	}
	cfg := def
	cfg.Network.Listen = []string{nodetest.TCP.ListenAddr()}
	n, err := node.New(node.Options{Home: home, Config: cfg})
	if err == nil {
		n.Close()
		t.Fatal("node.New started a node with the public Amino list inside a test")
	}
	if !errors.Is(err, node.ErrBadConfig) || !strings.Contains(err.Error(), "amino_bootstrap") {
		t.Errorf("node.New with the public list: %v, want ErrBadConfig naming network.amino_bootstrap", err)
	}
}

func TestPublicRendezvousNeedsBootstrapPeers(t *testing.T) {
	t.Parallel()
	_, err := node.ParseConfig([]byte("profile = \"local\"\n[network]\npublic_rendezvous = true\n"), "config.toml")
	if !errors.Is(err, node.ErrBadConfig) || !strings.Contains(err.Error(), "network.amino_bootstrap") {
		t.Errorf("public_rendezvous without amino_bootstrap: %v, want ErrBadConfig naming network.amino_bootstrap", err)
	}
	_, err = node.ParseConfig([]byte("profile = \"local\"\n[network]\npublic_rendezvous = true\namino_bootstrap = [\"/ip4/127.0.0.1/tcp/1\"]\n"), "config.toml")
	if !errors.Is(err, node.ErrBadConfig) || !strings.Contains(err.Error(), "network.amino_bootstrap") {
		t.Errorf("amino_bootstrap without /p2p/: %v, want ErrBadConfig naming network.amino_bootstrap", err)
	}
}

// Two nodes that know nothing of each other, only the stand-in Amino
// network: A adds B by peer ID, B accepts, DMs go both ways. A third node
// with public rendezvous off cannot find B, and says so at once.
func TestRendezvousFindsAFriendByPeerID(t *testing.T) {
	t.Parallel()
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		standIns := nodetest.AminoNetwork(t, tr, 3)
		a := nodetest.New(t, tr, nodetest.PublicRendezvous(standIns))
		b := nodetest.New(t, tr, nodetest.PublicRendezvous(standIns))
		subB := b.Feed().Subscribe(0)
		t.Cleanup(subB.Close)
		pollUntil(t, 30*time.Second, func() bool { return b.Info().AnnouncedAt != nil })
		if info := a.Info(); !info.PublicNetwork || info.AminoPeers == 0 {
			t.Errorf("A's info: public network %v with %d Amino peers, want on with the stand-ins", info.PublicNetwork, info.AminoPeers)
		}

		if _, err := a.Chat().AddFriend(b.Host().ID(), "hi"); err != nil {
			t.Fatal(err)
		}
		waitEvent(t, subB, func(e chat.Event) bool {
			r, ok := e.Data.(storage.FriendRequest)
			return e.Type == chat.EventFriendRequest && ok && !r.Outgoing
		})
		reqs, err := b.Chat().Requests()
		if err != nil || len(reqs) != 1 {
			t.Fatalf("B's requests: %+v, %v", reqs, err)
		}
		if _, err := b.Chat().AcceptRequest(reqs[0].ID); err != nil {
			t.Fatal(err)
		}
		subA := a.Feed().Subscribe(0)
		t.Cleanup(subA.Close)
		pollUntil(t, 30*time.Second, func() bool { _, err := a.Chat().Send(b.Host().ID(), "to b"); return err == nil })
		waitEvent(t, subB, isMessage("to b"))
		if _, err := b.Chat().Send(a.Host().ID(), "to a"); err != nil {
			t.Fatal(err)
		}
		waitEvent(t, subA, isMessage("to a"))

		if r, err := a.Route(b.Host().ID().String()); err != nil || r.Path == "" || len(r.KnownAddrs) == 0 {
			t.Errorf("A's route to B = %+v, %v; want a connection and known addresses", r, err)
		}
		if _, err := a.Route("not-a-peer"); !errors.Is(err, node.ErrBadPeerID) {
			t.Errorf("Route(not-a-peer): %v, want ErrBadPeerID", err)
		}

		c := nodetest.New(t, tr)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		start := time.Now()
		_, err = c.Connect(ctx, b.Host().ID().String())
		if !errors.Is(err, node.ErrPeerNotFound) || !strings.Contains(err.Error(), "public rendezvous is off") {
			t.Errorf("connect by peer ID with public rendezvous off: %v, want cannot find peer, saying rendezvous is off", err)
		}
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("cannot find peer took %s", took)
		}
		if c.Host().Network().Connectedness(b.Host().ID()) == network.Connected {
			t.Error("C is connected to B")
		}
	})
}

// Parley nodes meet on the shared rendezvous key: with no bootstrap node
// configured and no connect, each finds the other and Parley's DHT gets a
// peer.
func TestParleyNodesMeetOnTheSharedKey(t *testing.T) {
	t.Parallel()
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		standIns := nodetest.AminoNetwork(t, tr, 2)
		a := nodetest.New(t, tr, nodetest.PublicRendezvous(standIns))
		b := nodetest.New(t, tr, nodetest.PublicRendezvous(standIns))
		pollUntil(t, 30*time.Second, func() bool {
			return a.Host().Network().Connectedness(b.Host().ID()) == network.Connected
		})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// B's Parley DHT knows A: it finds A's address without asking Amino.
		if ai, err := b.Routing().FindPeer(ctx, a.Host().ID()); err != nil || len(ai.Addrs) == 0 {
			t.Errorf("B's Parley DHT: FindPeer(A) = %v, %v", ai, err)
		}
	})
}

func isMessage(content string) func(chat.Event) bool {
	return func(e chat.Event) bool {
		if e.Type != chat.EventMessage {
			return false
		}
		m, ok := e.Data.(storage.Message)
		return ok && m.Content == content
	}
}
