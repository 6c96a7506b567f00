package node

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// DisconnectHold is how long a peer stays away after Node.Disconnect: long
// enough to outlast what redials a peer on its own (the DHT's check of a
// newly identified peer, on either side, within milliseconds; routing
// table refreshes; the bootstrap keeper; the outbox sender's retries),
// short enough that a mistaken disconnect heals by itself.
const DisconnectHold = time.Minute

// holdGater is the host's connection gater. It refuses connections, in
// both directions, to peers the user disconnected less than a hold ago,
// so that a disconnect sticks, and to peers the messenger refuses (blocked
// by the user, or banned for breaking the protocol) for as long as it
// refuses them; everything else passes. A dial already under way when the
// hold starts is stopped when its security handshake ends
// (InterceptSecured), before the connection counts as open.
type holdGater struct {
	now func() time.Time
	// refuses, once set, is the messenger's verdict on a peer; it must be
	// quick, as every dial and every handshake asks it.
	refuses atomic.Pointer[func(peer.ID) bool]

	mu    sync.Mutex
	until map[peer.ID]time.Time
}

var _ connmgr.ConnectionGater = (*holdGater)(nil)

func newHoldGater(now func() time.Time) *holdGater {
	return &holdGater{now: now, until: make(map[peer.ID]time.Time)}
}

// hold keeps p away for d.
func (g *holdGater) hold(p peer.ID, d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.until[p] = g.now().Add(d)
}

// release ends p's hold; it reports whether there was one.
func (g *holdGater) release(p peer.ID) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, held := g.until[p]
	delete(g.until, p)
	return held
}

// heldFor returns how long p's hold still lasts: zero when p is not held.
func (g *holdGater) heldFor(p peer.ID) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	until, ok := g.until[p]
	if !ok {
		return 0
	}
	left := until.Sub(g.now())
	if left <= 0 {
		delete(g.until, p)
		return 0
	}
	return left
}

// refuseWith makes the gater refuse every peer for which refuses is true.
func (g *holdGater) refuseWith(refuses func(peer.ID) bool) { g.refuses.Store(&refuses) }

// allowed reports whether p may be connected now.
func (g *holdGater) allowed(p peer.ID) bool {
	if g.heldFor(p) > 0 {
		return false
	}
	if f := g.refuses.Load(); f != nil && (*f)(p) {
		return false
	}
	return true
}

// InterceptPeerDial refuses to dial a held or refused peer, whoever asks.
func (g *holdGater) InterceptPeerDial(p peer.ID) bool { return g.allowed(p) }

// InterceptAddrDial allows every address of a peer that may be dialed.
func (g *holdGater) InterceptAddrDial(peer.ID, ma.Multiaddr) bool { return true }

// InterceptAccept allows every inbound connection until its peer is known.
func (g *holdGater) InterceptAccept(network.ConnMultiaddrs) bool { return true }

// InterceptSecured refuses a held or refused peer's inbound connections,
// and outbound ones dialed before the hold began.
func (g *holdGater) InterceptSecured(_ network.Direction, p peer.ID, _ network.ConnMultiaddrs) bool {
	return g.allowed(p)
}

// InterceptUpgraded allows every connection that got this far.
func (g *holdGater) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) {
	return true, 0
}
