package node

import (
	"errors"
	"net/netip"
	"sync"

	coreconnmgr "github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"

	"github.com/parley-im/parley/storage"
)

// maxInboundPerStranger bounds the inbound connections one stranger peer
// holds: a dial race over TCP and QUIC may leave two, a third is spare.
const maxInboundPerStranger = 3

// friendReserve is how many of the resource manager's inbound connection
// slots strangers may never take: the room that friends and handshakes in
// progress always find.
const friendReserve = 64

// maxConnsPerSubnet replaces libp2p's limit of 8 connections per IPv4
// address (and IPv6 /56), which counts friends and the node's own dials
// as well: a stranger holding its 8 would lock out a friend behind the
// same NAT. The resource manager still bounds what one address opens
// before any handshake, and the inbound limiter holds strangers to far
// less once their peer is known.
const maxConnsPerSubnet = 64

// subnetLimits is the resource manager's per-address connection limit.
func subnetLimits() rcmgr.Option {
	return rcmgr.WithLimitPerSubnet(
		[]rcmgr.ConnLimitPerSubnet{{PrefixLength: 32, ConnCount: maxConnsPerSubnet}},
		[]rcmgr.ConnLimitPerSubnet{{PrefixLength: 56, ConnCount: maxConnsPerSubnet}, {PrefixLength: 48, ConnCount: 8 * maxConnsPerSubnet}},
	)
}

// inboundLimiter caps the inbound connections strangers hold, so that no
// one address, peer or crowd of them takes the slots a friend needs: at
// most perIP from one IP address (0: no cap), maxInboundPerStranger per
// peer, and total in all. A friend's connections and every connection the
// node dialed itself pass uncounted. It judges a connection once its
// peer is known and it is fully set up (InterceptUpgraded), and forgets
// it when it closes (Disconnected). (chat protects friends' connections
// from the connection manager's trimming.)
type inboundLimiter struct {
	network.NoopNotifiee
	friend func(peer.ID) bool
	perIP  int
	total  int

	mu      sync.Mutex
	counted map[network.Conn]strangerConn
	byIP    map[string]int
	byPeer  map[peer.ID]int
}

// strangerConn is what a counted connection adds to the counts.
type strangerConn struct {
	ip   string // addressKey; "" when not counted per address (relayed)
	peer peer.ID
}

var (
	_ coreconnmgr.ConnectionGater = (*inboundLimiter)(nil)
	_ network.Notifiee            = (*inboundLimiter)(nil)
)

func newInboundLimiter(friend func(peer.ID) bool, perIP, total int) *inboundLimiter {
	return &inboundLimiter{
		friend:  friend,
		perIP:   perIP,
		total:   total,
		counted: make(map[network.Conn]strangerConn),
		byIP:    make(map[string]int),
		byPeer:  make(map[peer.ID]int),
	}
}

// InterceptPeerDial allows every dial: the node's own dials are never
// limited here.
func (l *inboundLimiter) InterceptPeerDial(peer.ID) bool { return true }

// InterceptAddrDial allows every address.
func (l *inboundLimiter) InterceptAddrDial(peer.ID, ma.Multiaddr) bool { return true }

// InterceptAccept allows every connection until its peer is known.
func (l *inboundLimiter) InterceptAccept(network.ConnMultiaddrs) bool { return true }

// InterceptSecured allows every connection until it is set up.
func (l *inboundLimiter) InterceptSecured(network.Direction, peer.ID, network.ConnMultiaddrs) bool {
	return true
}

// InterceptUpgraded refuses a stranger's inbound connection over the caps
// and counts the others.
func (l *inboundLimiter) InterceptUpgraded(c network.Conn) (bool, control.DisconnectReason) {
	if c.Stat().Direction != network.DirInbound || l.friend(c.RemotePeer()) {
		return true, 0
	}
	sc := strangerConn{peer: c.RemotePeer()}
	if !isCircuit(c.RemoteMultiaddr()) {
		sc.ip = addressKey(c.RemoteMultiaddr())
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case len(l.counted) >= l.total,
		l.byPeer[sc.peer] >= maxInboundPerStranger,
		sc.ip != "" && l.perIP > 0 && l.byIP[sc.ip] >= l.perIP:
		return false, 0
	}
	l.counted[c] = sc
	l.byPeer[sc.peer]++
	if sc.ip != "" {
		l.byIP[sc.ip]++
	}
	return true, 0
}

// Disconnected frees what a counted connection took.
func (l *inboundLimiter) Disconnected(_ network.Network, c network.Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	sc, ok := l.counted[c]
	if !ok {
		return
	}
	delete(l.counted, c)
	decrement(l.byPeer, sc.peer)
	if sc.ip != "" {
		decrement(l.byIP, sc.ip)
	}
}

// addressKey names the address a connection comes from: its IPv4 address,
// or the /56 of its IPv6 address (one user or site usually holds a whole
// /56 or /64); "" when it has none.
func addressKey(a ma.Multiaddr) string {
	ip, err := manet.ToIP(a)
	if err != nil {
		return ""
	}
	addr, ok := netip.AddrFromSlice(ip)
	if !ok {
		return ""
	}
	addr = addr.Unmap()
	if addr.Is4() {
		return addr.String()
	}
	return netip.PrefixFrom(addr, 56).Masked().String()
}

func decrement[K comparable](m map[K]int, k K) {
	if m[k] <= 1 {
		delete(m, k)
		return
	}
	m[k]--
}

// isFriend reports whether p is a friend the node has not blocked, as
// storage holds it.
func (n *Node) isFriend(p peer.ID) bool {
	friend := false
	err := n.store.View(func(tx *storage.Tx) error {
		c, err := tx.Contact(p.String())
		if err != nil {
			return err
		}
		friend = c.Friend && !c.Blocked
		return nil
	})
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		n.log.Debug("friend check", "peer", p, "err", err)
	}
	return friend
}
