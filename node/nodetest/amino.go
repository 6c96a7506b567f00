package nodetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/libp2p/go-libp2p"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/node"
)

// AminoStandIn is a stand-in for a server of the public IPFS DHT: a plain
// go-libp2p host with kad-dht in server mode and the default /ipfs
// prefix and, when public, the circuit relay v2 and AutoNAT services, as
// many public Amino servers run them. Tests give its addresses to nodes as
// network.amino_bootstrap, so that no test reaches the real network.
type AminoStandIn struct {
	Host host.Host
	DHT  *dht.IpfsDHT
}

// StartAminoStandIn starts a stand-in listening on listen. public forces
// public reachability and runs the relay and AutoNAT services (the
// namespace suite's "internet"); on loopback they would be refused.
// bootstrap are other stand-ins to join.
func StartAminoStandIn(listen []string, public bool, bootstrap []peer.AddrInfo) (*AminoStandIn, error) {
	opts := []libp2p.Option{libp2p.ListenAddrStrings(listen...)}
	if public {
		opts = append(opts, libp2p.ForceReachabilityPublic(), libp2p.EnableRelayService(), libp2p.EnableNATService())
	}
	h, err := libp2p.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("stand-in host: %w", err)
	}
	d, err := dht.New(h, dht.Mode(dht.ModeServer), dht.BootstrapPeers(bootstrap...))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("stand-in dht: %w", err), h.Close())
	}
	return &AminoStandIn{Host: h, DHT: d}, nil
}

// Close stops the stand-in.
func (s *AminoStandIn) Close() error {
	return errors.Join(s.DHT.Close(), s.Host.Close())
}

// Addrs returns the stand-in's addresses with /p2p/<id>.
func (s *AminoStandIn) Addrs() []string {
	addrs, err := peer.AddrInfoToP2pAddrs(&peer.AddrInfo{ID: s.Host.ID(), Addrs: s.Host.Addrs()})
	if err != nil {
		return nil
	}
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out
}

// AminoNetwork starts n stand-ins on loopback over tr, each joined to
// the first, stopped by t.Cleanup.
func AminoNetwork(t testing.TB, tr Transport, n int) []*AminoStandIn {
	t.Helper()
	var out []*AminoStandIn
	var first []peer.AddrInfo
	for range n {
		s, err := StartAminoStandIn([]string{tr.ListenAddr()}, false, first)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("close amino stand-in: %v", err)
			}
		})
		if first == nil {
			first = []peer.AddrInfo{{ID: s.Host.ID(), Addrs: s.Host.Addrs()}}
		}
		out = append(out, s)
	}
	return out
}

// PublicRendezvous turns public rendezvous on with the stand-ins as the
// Amino bootstrap peers.
func PublicRendezvous(standIns []*AminoStandIn) Option {
	return func(c *node.Config) {
		c.Network.PublicRendezvous = true
		c.Network.AminoBootstrap = nil
		for _, s := range standIns {
			c.Network.AminoBootstrap = append(c.Network.AminoBootstrap, s.Addrs()...)
		}
	}
}
