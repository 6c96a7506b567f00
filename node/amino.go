package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"testing"

	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// The public IPFS DHT, Amino (/ipfs/kad/1.0.0), is where a personal node
// with nothing configured finds its friends and relays: thousands of
// go-libp2p nodes, many of them circuit relays. Parley joins it as a
// client only, to announce itself and to look others up (rendezvous.go);
// Parley's own records stay in Parley's DHT (/parley), and Amino would
// refuse them anyway (it stores only /pk and /ipns records).

// publicAminoBootstrap returns the well-known public bootstrap peers of
// the Amino DHT, as go-libp2p-kad-dht lists them: the default profile's
// network.amino_bootstrap.
func publicAminoBootstrap() []string {
	out := make([]string, len(dht.DefaultBootstrapPeers))
	for i, a := range dht.DefaultBootstrapPeers {
		out[i] = a.String()
	}
	return out
}

// UsesPublicAmino reports whether a node with cfg would contact any peer
// of the public Amino bootstrap list: public rendezvous is on and one of
// network.amino_bootstrap names a peer of that list. No test may start a
// node for which this is true; node.New refuses it inside a test binary.
func UsesPublicAmino(cfg Config) bool {
	if !cfg.Network.PublicRendezvous {
		return false
	}
	public := make(map[peer.ID]bool)
	for _, a := range dht.DefaultBootstrapPeers {
		if ai, err := peer.AddrInfoFromP2pAddr(a); err == nil {
			public[ai.ID] = true
		}
	}
	for _, s := range cfg.Network.AminoBootstrap {
		ai, err := ParsePeerAddr(s)
		if err != nil || public[ai.ID] || slices.ContainsFunc(dht.DefaultBootstrapPeers, func(a ma.Multiaddr) bool {
			return a.String() == s
		}) {
			return true
		}
	}
	return false
}

// refusePublicAminoInTests is New's safety net: a node started inside a
// test binary never reaches the real public network, whatever its config.
func refusePublicAminoInTests(cfg Config) error {
	if testing.Testing() && UsesPublicAmino(cfg) {
		return fmt.Errorf("%w: network.amino_bootstrap: a test must not reach the public IPFS bootstrap peers; set network.public_rendezvous = false or give stand-ins", ErrBadConfig)
	}
	return nil
}

// validateAmino checks network.public_rendezvous and network.amino_bootstrap.
func (nc NetworkConfig) validateAmino() error {
	if _, err := ParseBootstrap(nc.AminoBootstrap); err != nil {
		return fmt.Errorf("%w: network.amino_bootstrap: %v", ErrBadConfig, err)
	}
	if nc.PublicRendezvous && len(nc.AminoBootstrap) == 0 {
		return fmt.Errorf("%w: network.amino_bootstrap: empty while network.public_rendezvous is on: give Amino bootstrap peers or set public_rendezvous = false", ErrBadConfig)
	}
	return nil
}

// amino is the node's client of the Amino DHT.
type amino struct {
	dht *dht.IpfsDHT
	log *slog.Logger
}

// startAmino joins the Amino DHT as a client through bootstrap. Only
// public addresses (relay addresses included) are announced there when a
// bootstrap peer is on a public address or a DNS name; stand-ins on
// loopback or a LAN get every address.
func startAmino(ctx context.Context, h host.Host, bootstrap []peer.AddrInfo, log *slog.Logger) (*amino, error) {
	opts := []dht.Option{
		dht.Mode(dht.ModeClient),
		dht.BootstrapPeers(bootstrap...),
	}
	if anyPublic(bootstrap) {
		opts = append(opts, dht.AddressFilter(publicAddrs))
	}
	d, err := dht.New(h, opts...)
	if err != nil {
		return nil, fmt.Errorf("amino dht: %w", err)
	}
	if err := d.Bootstrap(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("amino dht bootstrap: %w", err), d.Close())
	}
	return &amino{dht: d, log: log}, nil
}

// close stops the Amino DHT.
func (a *amino) close() error {
	if err := a.dht.Close(); err != nil {
		return fmt.Errorf("close amino dht: %w", err)
	}
	return nil
}

// peers lists the Amino DHT servers the node knows (its routing table):
// the count in Info, and relay candidates.
func (a *amino) peers() []peer.ID {
	if a == nil {
		return nil
	}
	return a.dht.RoutingTable().ListPeers()
}

func anyPublic(ais []peer.AddrInfo) bool {
	for _, ai := range ais {
		for _, a := range ai.Addrs {
			if manet.IsPublicAddr(a) || isDNS(a) {
				return true
			}
		}
	}
	return false
}

func isDNS(a ma.Multiaddr) bool {
	for _, c := range a {
		switch c.Code() {
		case ma.P_DNS, ma.P_DNS4, ma.P_DNS6, ma.P_DNSADDR:
			return true
		}
	}
	return false
}

// publicAddrs keeps the public addresses, relay addresses through public
// relays included: LAN addresses are no use to strangers and say more
// than needed.
func publicAddrs(addrs []ma.Multiaddr) []ma.Multiaddr {
	out := make([]ma.Multiaddr, 0, len(addrs))
	for _, a := range addrs {
		if manet.IsPublicAddr(a) {
			out = append(out, a)
		}
	}
	return out
}

// startAmino joins Amino when network.public_rendezvous is on.
func (n *Node) startAmino(ctx context.Context) error {
	if !n.cfg.Network.PublicRendezvous {
		return nil
	}
	bootstrap, err := ParseBootstrap(n.cfg.Network.AminoBootstrap)
	if err != nil {
		return fmt.Errorf("%w: network.amino_bootstrap: %v", ErrBadConfig, err)
	}
	log := n.log.With("component", "amino")
	n.amino, err = startAmino(ctx, n.host, bootstrap, log)
	if err != nil {
		return err
	}
	n.closers = append(n.closers, n.amino.close)
	n.rdv = &rendezvous{amino: n.amino, host: n.host}
	return nil
}

// joinPeerLists concatenates what the lists give, skipping nil ones.
func joinPeerLists(lists ...func() []peer.ID) func() []peer.ID {
	return func() []peer.ID {
		var out []peer.ID
		for _, l := range lists {
			if l != nil {
				out = append(out, l()...)
			}
		}
		return out
	}
}
