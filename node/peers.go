package node

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"

	"github.com/parley-im/parley/chat"
)

// connectTimeout bounds a dial started from the API.
const connectTimeout = 15 * time.Second

// Info describes this node, for GET /v1/node and `parley id`.
type Info struct {
	PeerID string `json:"peer_id"`
	// ListenAddrs are the addresses the host listens on, with /p2p/<id>.
	ListenAddrs []string `json:"listen_addrs"`
	// Addrs are the addresses the node announces to peers: listen
	// addresses, those observed by peers and port mappings.
	Addrs []string `json:"addrs"`
	// Reachability is public, private or unknown (AutoNAT's verdict).
	Reachability string `json:"reachability"`
	// RelayAddrs are the addresses through relays that hold a slot for
	// this node (AutoRelay, when it is not publicly reachable).
	RelayAddrs []string `json:"relay_addrs"`
	// PublicNetwork is true when the node is on the public IPFS network
	// (network.public_rendezvous); AminoPeers counts the Amino DHT
	// servers it knows, and AnnouncedAt is when it last announced itself
	// there (absent before the first time).
	PublicNetwork bool       `json:"public_network"`
	AminoPeers    int        `json:"amino_peers"`
	AnnouncedAt   *time.Time `json:"announced_at,omitempty"`
	Version       string     `json:"version"`
	Profile       string     `json:"profile"`
	StartedAt     time.Time  `json:"started_at"`
	UptimeSeconds float64    `json:"uptime_seconds"`
}

// Info returns a description of this node.
func (n *Node) Info() Info {
	id := n.host.ID()
	listen, err := n.host.Network().InterfaceListenAddresses()
	if err != nil {
		listen = n.host.Network().ListenAddresses()
	}
	var announced *time.Time
	if at := n.rdv.announcedAt(); !at.IsZero() {
		at = at.UTC()
		announced = &at
	}
	return Info{
		PublicNetwork: n.amino != nil,
		AminoPeers:    len(n.amino.peers()),
		AnnouncedAt:   announced,
		PeerID:        id.String(),
		ListenAddrs:   p2pAddrs(listen, id),
		Addrs:         p2pAddrs(n.host.Addrs(), id),
		Reachability:  reachabilityName(network.Reachability(n.reach.Load())),
		RelayAddrs:    n.RelayAddrs(),
		Version:       Version,
		Profile:       n.cfg.Profile,
		StartedAt:     n.started.UTC(),
		UptimeSeconds: time.Since(n.started).Seconds(),
	}
}

func reachabilityName(r network.Reachability) string {
	switch r {
	case network.ReachabilityPublic:
		return "public"
	case network.ReachabilityPrivate:
		return "private"
	default:
		return "unknown"
	}
}

func p2pAddrs(addrs []ma.Multiaddr, id peer.ID) []string {
	out := make([]string, 0, len(addrs))
	for _, a := range addrs {
		full, err := peer.AddrInfoToP2pAddrs(&peer.AddrInfo{ID: id, Addrs: []ma.Multiaddr{a}})
		if err != nil || len(full) == 0 {
			continue
		}
		out = append(out, full[0].String())
	}
	slices.Sort(out)
	return out
}

// PeerInfo describes one connected peer.
type PeerInfo struct {
	PeerID    string `json:"peer_id"`
	Addr      string `json:"addr"`
	Direction string `json:"direction"`
	// Relayed is true when the connection runs through a circuit relay.
	Relayed      bool      `json:"relayed"`
	Streams      int       `json:"streams"`
	OpenedAt     time.Time `json:"opened_at"`
	LatencyMS    float64   `json:"latency_ms,omitempty"`
	AgentVersion string    `json:"agent_version,omitempty"`
}

// Peers lists the connected peers, sorted by peer ID.
func (n *Node) Peers() []PeerInfo {
	var out []PeerInfo
	for _, p := range n.host.Network().Peers() {
		if pi, ok := n.peerInfo(p); ok {
			out = append(out, pi)
		}
	}
	slices.SortFunc(out, func(a, b PeerInfo) int {
		if a.PeerID < b.PeerID {
			return -1
		}
		if a.PeerID > b.PeerID {
			return 1
		}
		return 0
	})
	return out
}

// peerInfo describes the best connection to p: a direct one when there is
// one.
func (n *Node) peerInfo(p peer.ID) (PeerInfo, bool) {
	conns := n.host.Network().ConnsToPeer(p)
	if len(conns) == 0 {
		return PeerInfo{}, false
	}
	best := bestConn(conns)
	st := best.Stat()
	pi := PeerInfo{
		PeerID:    p.String(),
		Addr:      best.RemoteMultiaddr().String(),
		Direction: st.Direction.String(),
		Relayed:   isRelayedConn(best),
		Streams:   st.NumStreams,
		OpenedAt:  st.Opened.UTC(),
	}
	if lat := n.host.Peerstore().LatencyEWMA(p); lat > 0 {
		pi.LatencyMS = float64(lat.Microseconds()) / 1000
	}
	if av, err := n.host.Peerstore().Get(p, "AgentVersion"); err == nil {
		if s, ok := av.(string); ok {
			pi.AgentVersion = s
		}
	}
	return pi, true
}

// bestConn picks the connection that describes a peer: a direct one when
// there is one (libp2p prefers it for new streams too).
func bestConn(conns []network.Conn) network.Conn {
	best := conns[0]
	for _, c := range conns[1:] {
		if isRelayedConn(best) && !isRelayedConn(c) {
			best = c
		}
	}
	return best
}

// ShareAddrs returns the addresses to give to others who want to use this
// node as a bootstrap peer: its public addresses when it has any, its LAN
// addresses otherwise; never loopback, link-local or relay addresses.
func (n *Node) ShareAddrs() []string {
	var public, lan []ma.Multiaddr
	for _, a := range n.host.Addrs() {
		switch {
		case isCircuit(a), manet.IsIPLoopback(a), manet.IsIPUnspecified(a), isLinkLocal(a):
		case manet.IsPublicAddr(a):
			public = append(public, a)
		default:
			lan = append(lan, a)
		}
	}
	if len(public) > 0 {
		return p2pAddrs(public, n.host.ID())
	}
	return p2pAddrs(lan, n.host.ID())
}

func isLinkLocal(a ma.Multiaddr) bool {
	ip, err := manet.ToIP(a)
	return err == nil && (ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast())
}

// Connect dials the peer named by a multiaddr ending in /p2p/<id>, or by
// a bare peer ID, whose addresses are then looked up as chat looks up a
// friend's (Parley's DHT, the public rendezvous). It ends the hold that a
// Disconnect put on the peer.
func (n *Node) Connect(ctx context.Context, addr string) (PeerInfo, error) {
	ai, err := parseConnectTarget(addr)
	if err != nil {
		return PeerInfo{}, err
	}
	if ai.ID == n.host.ID() {
		return PeerInfo{}, ErrSelf
	}
	if n.chat.Refuses(ai.ID) {
		// The gater would refuse the dial with a generic error.
		return PeerInfo{}, fmt.Errorf("%w: %s is blocked, or banned for a while for breaking the protocol; unblock it first", chat.ErrBlocked, ai.ID)
	}
	if n.gate.release(ai.ID) {
		// A dial that the hold stopped mid-way left a backoff; the user
		// asks for a dial now.
		if sw, ok := n.host.Network().(*swarm.Swarm); ok {
			sw.Backoff().Clear(ai.ID)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	dial := n.host.Connect
	if len(ai.Addrs) == 0 {
		dial = n.routed.Connect // finds the addresses
	}
	if err := dial(ctx, *ai); err != nil {
		if errors.Is(err, ErrPeerNotFound) {
			return PeerInfo{}, fmt.Errorf("%w: %w", ErrUnreachable, err)
		}
		return PeerInfo{}, fmt.Errorf("%w: %s: %v", ErrUnreachable, ai.ID, err)
	}
	if len(ai.Addrs) == 1 {
		if err := n.checkGivenAddr(ctx, ai.ID, ai.Addrs[0]); err != nil {
			return PeerInfo{}, err
		}
	}
	pi, ok := n.peerInfo(ai.ID)
	if !ok {
		return PeerInfo{}, fmt.Errorf("%w: %s: connection closed right after it opened", ErrUnreachable, ai.ID)
	}
	return pi, nil
}

// Disconnect closes every connection to the peer and keeps it away for
// DisconnectHold: for that long the node neither dials the peer (the DHT,
// the bootstrap keeper, the outbox sender, GossipSub and relays all dial
// through the host) nor accepts its connections, and the peer is removed
// from the DHT's routing tables. Without the hold the disconnect does not
// stick: each side's DHT checks a newly identified peer with a request
// that redials it within milliseconds, and later lookups and refreshes
// dial the peers in the routing table. Messages to and from the peer wait
// in the outboxes until the hold ends. Connect (or adding the peer as a
// bootstrap peer) ends the hold at once.
func (n *Node) Disconnect(id string) error {
	p, err := peer.Decode(id)
	if err != nil {
		return fmt.Errorf("%w %q: %v", ErrBadPeerID, id, err)
	}
	if n.host.Network().Connectedness(p) == network.NotConnected {
		return fmt.Errorf("%w: %s", ErrNotConnected, p)
	}
	// Hold first, so that no redial slips in between the close and the
	// removal from the routing tables.
	n.gate.hold(p, DisconnectHold)
	forgetPeer(n.dht, p)
	if err := n.host.Network().ClosePeer(p); err != nil {
		return fmt.Errorf("disconnect %s: %w", p, err)
	}
	return nil
}

// parseConnectTarget parses a multiaddr with /p2p/<id> or a bare peer ID.
func parseConnectTarget(s string) (*peer.AddrInfo, error) {
	if !strings.HasPrefix(strings.TrimSpace(s), "/") {
		p, err := peer.Decode(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("%w %q: want a multiaddr ending in /p2p/<peer id>, or a peer id", ErrBadAddr, s)
		}
		return &peer.AddrInfo{ID: p}, nil
	}
	return ParsePeerAddr(s)
}
