package node

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/host/eventbus"
	routedhost "github.com/libp2p/go-libp2p/p2p/host/routed"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/multiformats/go-multihash"
)

// Rendezvous on Amino. A node behind a NAT is in nobody's routing table,
// so FindPeer on Amino does not find it. Instead each node announces
// itself as the provider of a key derived from its peer ID; the provider
// record carries its addresses, relay addresses included. Only the peer
// itself can add itself as a provider (the DHT server takes the provider
// from the authenticated connection), and a dial checks the peer ID, so
// a forged record can only waste a dial. All Parley nodes also provide
// one shared key, so that they meet each other and Parley's own DHT gets
// peers without a configured bootstrap node.
const (
	// peerRendezvousPrefix + peer ID is the key a node announces itself under.
	peerRendezvousPrefix = "parley/rendezvous/v1/"
	// nodesRendezvous is the key every Parley node announces.
	nodesRendezvous = "parley/nodes/v1"

	// announceInterval refreshes the announcement (Amino keeps provider
	// records for 48 h and their addresses for less).
	announceInterval = 30 * time.Minute
	// announceDebounce waits for a burst of address changes to settle;
	// announceSpacing keeps announcements apart.
	announceDebounce = time.Second
	announceSpacing  = 5 * time.Second
	// announceRetryMin and announceRetryMax bound the backoff after a
	// failed announcement (an empty routing table right after start).
	announceRetryMin = 2 * time.Second
	announceRetryMax = 2 * time.Minute
	announceTimeout  = time.Minute
	// meetInterval is how often a node looks for other Parley nodes;
	// meetPeers is how many it connects to at most per round.
	meetInterval = 5 * time.Minute
	meetPeers    = 8
	meetTimeout  = 30 * time.Second
)

// rendezvousKey is the CID announced on Amino for a rendezvous name: a
// raw CIDv1 of its SHA-256.
func rendezvousKey(name string) cid.Cid {
	mh, err := multihash.Sum([]byte(name), multihash.SHA2_256, -1)
	if err != nil {
		// SHA2_256 is always registered; this cannot happen.
		return cid.Undef
	}
	return cid.NewCidV1(cid.Raw, mh)
}

// peerRendezvousKey is the key p announces itself under.
func peerRendezvousKey(p peer.ID) cid.Cid {
	return rendezvousKey(peerRendezvousPrefix + p.String())
}

// rendezvous announces the node on Amino and meets other Parley nodes.
type rendezvous struct {
	amino *amino
	host  host.Host
	// announced is the time of the last successful announcement (unix
	// nanoseconds, 0: none yet).
	announced atomic.Int64
}

// start runs the announcer until ctx ends; wg owns its goroutine.
func (r *rendezvous) start(ctx context.Context, wg *sync.WaitGroup) error {
	sub, err := r.host.EventBus().Subscribe(new(event.EvtLocalAddressesUpdated), eventbus.Name("parley rendezvous"))
	if err != nil {
		return fmt.Errorf("subscribe to address changes: %w", err)
	}
	wg.Go(func() {
		defer sub.Close()
		r.run(ctx, sub.Out())
	})
	return nil
}

// run announces soon after start and after every change of the node's
// addresses, refreshes every announceInterval, and meets other Parley
// nodes after each announcement and every meetInterval.
func (r *rendezvous) run(ctx context.Context, addrsChanged <-chan any) {
	announce := time.NewTimer(announceDebounce)
	defer announce.Stop()
	meet := time.NewTicker(meetInterval)
	defer meet.Stop()
	retry := announceRetryMin
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-addrsChanged:
			if !ok {
				return
			}
			announce.Reset(max(announceDebounce, time.Until(last.Add(announceSpacing))))
		case <-meet.C:
			r.meet(ctx)
		case <-announce.C:
			last = time.Now()
			if err := r.announce(ctx); err != nil {
				if ctx.Err() != nil {
					return
				}
				wait := jitter(retry)
				r.amino.log.Debug("rendezvous: announcement failed", "err", err, "retry_in", wait)
				announce.Reset(wait)
				retry = min(2*retry, announceRetryMax)
				continue
			}
			retry = announceRetryMin
			announce.Reset(jitter(announceInterval))
			r.meet(ctx)
		}
	}
}

// announce provides the node's own key and the shared key.
func (r *rendezvous) announce(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, announceTimeout)
	defer cancel()
	if err := r.amino.dht.Provide(ctx, peerRendezvousKey(r.host.ID()), true); err != nil {
		return fmt.Errorf("announce %s: %w", r.host.ID(), err)
	}
	if err := r.amino.dht.Provide(ctx, rendezvousKey(nodesRendezvous), true); err != nil {
		return fmt.Errorf("announce on %s: %w", nodesRendezvous, err)
	}
	r.announced.Store(time.Now().UnixNano())
	r.amino.log.Debug("rendezvous: announced", "addrs", r.amino.dht.FilteredAddrs())
	return nil
}

// announcedAt is the time of the last successful announcement, zero
// before the first.
func (r *rendezvous) announcedAt() time.Time {
	if r == nil {
		return time.Time{}
	}
	ns := r.announced.Load()
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// meet connects to up to meetPeers other Parley nodes that announce the
// shared key and are not connected yet; Parley's DHT adds those that are
// DHT servers to its routing table. Relay addresses are skipped: a relayed
// connection carries no DHT traffic.
func (r *rendezvous) meet(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, meetTimeout)
	defer cancel()
	met := 0
	for ai := range r.amino.dht.FindProvidersAsync(ctx, rendezvousKey(nodesRendezvous), 4*meetPeers) {
		if met == meetPeers {
			break
		}
		if ai.ID == r.host.ID() || r.host.Network().Connectedness(ai.ID) == network.Connected {
			continue
		}
		ai.Addrs = directAddrs(ai.Addrs)
		if len(ai.Addrs) == 0 {
			continue
		}
		if err := r.host.Connect(ctx, ai); err != nil {
			r.amino.log.Debug("rendezvous: cannot reach a Parley node", "peer", ai.ID, "err", err)
			continue
		}
		met++
	}
}

// findPeer looks p's announcement up on Amino.
func (a *amino) findPeer(ctx context.Context, p peer.ID) (peer.AddrInfo, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for ai := range a.dht.FindProvidersAsync(ctx, peerRendezvousKey(p), 4) {
		if ai.ID == p && len(ai.Addrs) > 0 {
			return ai, nil
		}
	}
	if err := ctx.Err(); err != nil {
		return peer.AddrInfo{}, fmt.Errorf("public rendezvous: %w", err)
	}
	return peer.AddrInfo{}, errors.New("public rendezvous: no announcement of it on the public network")
}

// peerRouter finds a peer's addresses for the chat host: in Parley's DHT
// and, when public rendezvous is on, through its announcement on Amino,
// both at once; the first answer with addresses wins.
type peerRouter struct {
	dht   routedhost.Routing
	amino *amino    // nil: public rendezvous is off
	found *foundLog // records which lookup answered (nil: none)
}

// FindPeer returns p's addresses, or an error wrapping ErrPeerNotFound
// that says where it looked.
func (r peerRouter) FindPeer(ctx context.Context, p peer.ID) (peer.AddrInfo, error) {
	type result struct {
		ai  peer.AddrInfo
		via string
		err error
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	res := make(chan result, 2)
	lookups := 1
	wg.Go(func() {
		ai, err := r.dht.FindPeer(ctx, p)
		if err != nil {
			err = fmt.Errorf("parley dht: %w", err)
		}
		res <- result{ai, FoundViaParleyDHT, err}
	})
	if r.amino != nil {
		lookups++
		wg.Go(func() {
			ai, err := r.amino.findPeer(ctx, p)
			res <- result{ai, FoundViaPublicRendezvous, err}
		})
	}
	var errs []error
	for range lookups {
		f := <-res
		if f.err == nil && len(f.ai.Addrs) > 0 {
			r.found.record(f.ai, f.via)
			return f.ai, nil
		}
		if f.err == nil {
			f.err = errors.New("parley dht: no addresses")
		}
		errs = append(errs, f.err)
	}
	if r.amino == nil {
		errs = append(errs, errors.New("public rendezvous is off (network.public_rendezvous)"))
	}
	why := make([]string, len(errs))
	for i, err := range errs {
		why[i] = err.Error()
	}
	return peer.AddrInfo{}, fmt.Errorf("%w %s: %s", ErrPeerNotFound, p, strings.Join(why, "; "))
}

// directAddrs drops relay addresses.
func directAddrs(addrs []ma.Multiaddr) []ma.Multiaddr {
	out := make([]ma.Multiaddr, 0, len(addrs))
	for _, a := range addrs {
		if !isCircuit(a) {
			out = append(out, a)
		}
	}
	return out
}
