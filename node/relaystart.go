package node

import (
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/p2p/host/eventbus"
	ma "github.com/multiformats/go-multiaddr"
)

// startRelayFinder starts AutoRelay at once, without waiting for
// AutoNAT's first verdict. AutoRelay starts its relay finder on the
// first reachability event, and AutoNAT v1 sends none until its first
// probes, 15 s after start (a boot delay libp2p.New does not let us
// change): a node behind a NAT was unreachable for those 15 s, and a
// friend's first message waited for it. So when AutoRelay is on and
// AutoNAT decides (reachability auto), the node states what it knows at
// start, unknown, and AutoRelay reserves on its candidates (the
// configured relays and bootstrap peers first) as it does for a private
// node; once AutoNAT says public, AutoRelay stops. A public node thus
// holds one reservation on its bootstrap relay for its first seconds:
// one request per start, what every private node sends anyway.
//
// The event is stateful: if AutoNAT has given a verdict already, that
// verdict stays and nothing is sent.
func startRelayFinder(h host.Host, cfg NetworkConfig) error {
	if !cfg.AutoRelay || cfg.Reachability != ReachabilityAuto {
		return nil
	}
	em, held, err := reachabilityEmitter(h)
	if err != nil {
		return err
	}
	defer em.Close()
	if held {
		return nil
	}
	if err := em.Emit(event.EvtLocalReachabilityChanged{Reachability: network.ReachabilityUnknown}); err != nil {
		return fmt.Errorf("emit reachability unknown: %w", err)
	}
	return nil
}

// reachabilityEmitter returns an emitter of the stateful reachability
// event and whether the bus holds a value already. A subscription gets
// the held value asynchronously, under the event's lock; making the
// emitter takes that lock, so once it exists the value, if any, is in
// the subscription's channel.
func reachabilityEmitter(h host.Host) (_ event.Emitter, held bool, err error) {
	sub, err := h.EventBus().Subscribe(new(event.EvtLocalReachabilityChanged), eventbus.Name("parley relay start"))
	if err != nil {
		return nil, false, fmt.Errorf("subscribe to reachability: %w", err)
	}
	defer sub.Close()
	em, err := h.EventBus().Emitter(new(event.EvtLocalReachabilityChanged), eventbus.Stateful)
	if err != nil {
		return nil, false, fmt.Errorf("reachability emitter: %w", err)
	}
	select {
	case <-sub.Out():
		held = true
	default:
	}
	return em, held, nil
}

// earlyRelay advertises the node's relay addresses while AutoNAT has not
// decided yet. libp2p (with AutoNAT v1) adds them to the host's addresses
// only once AutoNAT says private; until then a friend looking the node
// up found no address that reaches it, although startRelayFinder had the
// reservation within a second. Once AutoNAT decides, libp2p's own rule
// applies: relay addresses when private, none when public.
type earlyRelay struct {
	reach *atomic.Int32 // the node's network.Reachability
	addrs atomic.Pointer[[]ma.Multiaddr]
}

// setRelayAddrs keeps AutoRelay's current addresses (without /p2p/).
func (e *earlyRelay) setRelayAddrs(addrs []ma.Multiaddr) {
	c := slices.Clone(addrs)
	e.addrs.Store(&c)
}

// factory is the host's AddrsFactory: it adds the relay addresses while
// reachability is unknown and libp2p has not added them itself.
func (e *earlyRelay) factory(addrs []ma.Multiaddr) []ma.Multiaddr {
	if network.Reachability(e.reach.Load()) != network.ReachabilityUnknown {
		return addrs
	}
	relay := e.addrs.Load()
	if relay == nil || len(*relay) == 0 || slices.ContainsFunc(addrs, isCircuit) {
		return addrs
	}
	return append(slices.Clone(addrs), *relay...)
}
