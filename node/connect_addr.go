package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	ma "github.com/multiformats/go-multiaddr"
	madns "github.com/multiformats/go-multiaddr-dns"
)

// checkGivenAddr makes sure the address a user gave connect answers as the
// peer, so that a connection over another address (one that existed, or
// another known address that answered first) is not reported as success
// for an address where nothing listens. A connection over the address
// itself is enough; otherwise the address is dialed on its own.
func (n *Node) checkGivenAddr(ctx context.Context, p peer.ID, addr ma.Multiaddr) error {
	for _, c := range n.host.Network().ConnsToPeer(p) {
		if c.RemoteMultiaddr().Equal(addr) {
			return nil
		}
	}
	if err := n.dialOnly(ctx, p, addr); err != nil {
		via := ""
		if pi, ok := n.peerInfo(p); ok {
			via = fmt.Sprintf(" (the peer is connected via %s)", pi.Addr)
		}
		return fmt.Errorf("%w: %s did not answer as %s%s: %v", ErrUnreachable, addr, p, via, err)
	}
	return nil
}

// dialOnly dials the peer at addr alone (its DNS names resolved), with the
// swarm's transports but outside the swarm, and closes the connection at
// once: the node's connection to the peer is the swarm's.
func (n *Node) dialOnly(ctx context.Context, p peer.ID, addr ma.Multiaddr) error {
	sw, ok := n.host.Network().(*swarm.Swarm)
	if !ok {
		return errors.New("the network cannot dial one address")
	}
	addrs := []ma.Multiaddr{addr}
	if madns.Matches(addr) {
		resolved, err := madns.DefaultResolver.Resolve(ctx, addr)
		if err != nil {
			return fmt.Errorf("resolve %s: %w", addr, err)
		}
		addrs = resolved
	}
	var errs []error
	for _, a := range addrs {
		t := sw.TransportForDialing(a)
		if t == nil {
			errs = append(errs, fmt.Errorf("%s: no transport of this node dials it", a))
			continue
		}
		c, err := t.Dial(ctx, a, p)
		if err == nil {
			_ = c.Close() // only the answer mattered
			return nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return fmt.Errorf("%s resolves to no address", addr)
	}
	return errors.Join(errs...)
}
