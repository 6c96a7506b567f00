package node

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/host/autorelay"
	relayv2 "github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/relay"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// relayHopProtocol is the protocol a circuit relay v2 service speaks.
const relayHopProtocol = "/libp2p/circuit/relay/0.2.0/hop"

// Reservation targets of AutoRelay: hold slots on up to desiredRelays
// relays, from at most maxRelayCandidates candidates at a time.
const (
	desiredRelays      = 2
	maxRelayCandidates = 8
)

// relaySource hands AutoRelay its relay candidates, in this order: the
// configured relays (network.relays), the bootstrap peers as they are now
// (they change at run time), then peers found through the DHT or otherwise
// connected that offer the relay service on a public address. AutoRelay
// starts before New has the host and the DHT, so those come later through
// setHost and stay nil-safe until then.
type relaySource struct {
	static []peer.AddrInfo

	mu        sync.Mutex
	host      host.Host
	bootstrap func() []peer.AddrInfo
	known     func() []peer.ID // DHT routing table peers
}

func newRelaySource(static []peer.AddrInfo) *relaySource {
	return &relaySource{static: static}
}

// setHost completes the source once the node's parts exist.
func (s *relaySource) setHost(h host.Host, bootstrap func() []peer.AddrInfo, known func() []peer.ID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.host, s.bootstrap, s.known = h, bootstrap, known
}

// peers is the autorelay.PeerSource: it sends at most num candidates on a
// buffered channel and closes it at once, so it never blocks AutoRelay.
func (s *relaySource) peers(_ context.Context, num int) <-chan peer.AddrInfo {
	out := make(chan peer.AddrInfo, max(num, 0))
	defer close(out)
	s.mu.Lock()
	h, bootstrap, known := s.host, s.bootstrap, s.known
	s.mu.Unlock()

	seen := make(map[peer.ID]bool)
	send := func(ai peer.AddrInfo) bool {
		if len(out) == cap(out) {
			return false
		}
		if seen[ai.ID] || (h != nil && ai.ID == h.ID()) {
			return true
		}
		seen[ai.ID] = true
		out <- ai
		return true
	}
	for _, ai := range s.static {
		if !send(ai) {
			return out
		}
	}
	if bootstrap != nil {
		for _, ai := range bootstrap() {
			if !send(ai) {
				return out
			}
		}
	}
	if h == nil {
		return out
	}
	candidates := h.Network().Peers()
	if known != nil {
		candidates = append(candidates, known()...)
	}
	for _, p := range candidates {
		if seen[p] || !offersRelay(h, p) {
			continue
		}
		if !send(peer.AddrInfo{ID: p, Addrs: h.Peerstore().Addrs(p)}) {
			return out
		}
	}
	return out
}

// offersRelay reports whether identify saw p offer the relay service and
// p has a public, direct address: a relay behind a NAT is of no use.
func offersRelay(h host.Host, p peer.ID) bool {
	protos, err := h.Peerstore().SupportsProtocols(p, relayHopProtocol)
	if err != nil || len(protos) == 0 {
		return false
	}
	return slices.ContainsFunc(h.Peerstore().Addrs(p), func(a ma.Multiaddr) bool {
		return manet.IsPublicAddr(a) && !isCircuit(a)
	})
}

// autoRelayOption turns on AutoRelay with src as the candidate source.
func autoRelayOption(cfg NetworkConfig, src *relaySource) libp2p.Option {
	interval := time.Duration(cfg.RelaySearchInterval)
	return libp2p.EnableAutoRelayWithPeerSource(src.peers,
		// One good candidate is enough to start: a personal node often
		// knows a single relay, its bootstrap node.
		autorelay.WithMinCandidates(1),
		autorelay.WithMaxCandidates(maxRelayCandidates),
		autorelay.WithNumRelays(desiredRelays),
		autorelay.WithMinInterval(interval),
		autorelay.WithBackoff(6*interval),
	)
}

// relayServiceOption runs the circuit relay v2 service within the limits
// of rc.
func relayServiceOption(rc RelayConfig) libp2p.Option {
	res := relayv2.DefaultResources()
	res.MaxReservations = rc.MaxReservations
	res.MaxReservationsPerIP = rc.MaxReservationsPerIP
	res.MaxCircuits = rc.MaxCircuits
	res.ReservationTTL = time.Duration(rc.ReservationTTL)
	res.Limit = &relayv2.RelayLimit{
		Duration: time.Duration(rc.CircuitDuration),
		Data:     int64(rc.CircuitDataKiB) << 10,
	}
	return libp2p.EnableRelayService(relayv2.WithResources(res))
}

// isCircuit reports whether a runs through a relay (…/p2p-circuit…).
func isCircuit(a ma.Multiaddr) bool {
	_, err := a.ValueForProtocol(ma.P_CIRCUIT)
	return err == nil
}

// isRelayedConn reports whether c runs through a relay. Limited is the
// usual sign, but a relay without limits gives unlimited relayed
// connections, so the address decides as well.
func isRelayedConn(c network.Conn) bool {
	return c.Stat().Limited || isCircuit(c.RemoteMultiaddr())
}
