package node

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	"github.com/libp2p/go-libp2p/p2p/host/eventbus"
	ma "github.com/multiformats/go-multiaddr"
)

// Bootstrap redial backoff: from minBackoff, doubling, up to maxBackoff,
// with ±20% jitter so that many nodes don't retry in step. A connection
// resets the backoff only once it has held for stableConn, so that a peer
// that accepts and then drops us is not redialed in a loop.
const (
	minBackoff = time.Second
	maxBackoff = 5 * time.Minute
	stableConn = time.Minute
)

// bootstrapTag protects connections to bootstrap peers from the
// connection manager.
const bootstrapTag = "parley-bootstrap"

// BootstrapStatus describes one bootstrap peer, for GET /v1/bootstrap.
type BootstrapStatus struct {
	PeerID string `json:"peer_id"`
	// Addrs are the peer's configured addresses, with /p2p/<id>.
	Addrs     []string `json:"addrs"`
	Connected bool     `json:"connected"`
	// Failures counts the dials that failed since the last connection.
	Failures  int    `json:"failures,omitempty"`
	LastError string `json:"last_error,omitempty"`
	// NextRetry is when the next dial is due, while one is pending.
	NextRetry *time.Time `json:"next_retry,omitempty"`
}

// bootstrapSet keeps the node connected to its bootstrap peers, one
// goroutine per peer; peers come and go while the node runs. One
// subscription to connectedness events feeds every peer's goroutine, and
// it is always drained: the event bus blocks on a full subscriber.
type bootstrapSet struct {
	host host.Host
	gate *holdGater // a peer the user disconnected is not redialed while held
	self peer.ID
	log  *slog.Logger
	ctx  context.Context

	mu     sync.Mutex
	peers  map[peer.ID]*bootstrapPeer
	closed bool
	wg     sync.WaitGroup
}

type bootstrapPeer struct {
	id      peer.ID
	cancel  context.CancelFunc
	done    chan struct{}
	changed chan struct{} // connectedness of id changed (cap 1)
	kick    chan struct{} // dial now instead of waiting out the backoff (cap 1)

	// Guarded by bootstrapSet.mu.
	addrs     []ma.Multiaddr
	connected bool
	failures  int
	lastErr   string
	nextRetry time.Time
}

// newBootstrapSet starts watching connections; add peers with add, stop
// everything with close.
func newBootstrapSet(ctx context.Context, h host.Host, gate *holdGater, log *slog.Logger) (*bootstrapSet, error) {
	sub, err := h.EventBus().Subscribe(new(event.EvtPeerConnectednessChanged), eventbus.Name("parley bootstrap"))
	if err != nil {
		return nil, fmt.Errorf("bootstrap: watch connections: %w", err)
	}
	s := &bootstrapSet{host: h, gate: gate, self: h.ID(), log: log, ctx: ctx, peers: make(map[peer.ID]*bootstrapPeer)}
	s.wg.Go(func() { s.dispatch(sub) })
	return s, nil
}

// dispatch hands connectedness changes to the goroutine of the peer
// concerned, without ever blocking.
func (s *bootstrapSet) dispatch(sub event.Subscription) {
	defer sub.Close()
	for {
		select {
		case <-s.ctx.Done():
			return
		case e, ok := <-sub.Out():
			if !ok {
				return
			}
			ev := e.(event.EvtPeerConnectednessChanged)
			s.mu.Lock()
			bp := s.peers[ev.Peer]
			s.mu.Unlock()
			if bp != nil {
				signal(bp.changed)
			}
		}
	}
}

// add starts keeping a connection to ai, or, for a peer already in the
// set, adds the new addresses and dials at once if it is waiting. Adding a
// peer the user disconnected ends its hold: it is a request to connect.
func (s *bootstrapSet) add(ai peer.AddrInfo) (BootstrapStatus, error) {
	if ai.ID == s.self {
		return BootstrapStatus{}, fmt.Errorf("%w: bootstrap peer %s", ErrSelf, ai.ID)
	}
	s.gate.release(ai.ID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.ctx.Err() != nil {
		return BootstrapStatus{}, ErrClosed
	}
	s.host.Peerstore().AddAddrs(ai.ID, ai.Addrs, peerstore.PermanentAddrTTL)
	if bp := s.peers[ai.ID]; bp != nil {
		for _, a := range ai.Addrs {
			if !slices.ContainsFunc(bp.addrs, a.Equal) {
				bp.addrs = append(bp.addrs, a)
			}
		}
		signal(bp.kick)
		return bp.statusLocked(), nil
	}
	ctx, cancel := context.WithCancel(s.ctx)
	bp := &bootstrapPeer{
		id:      ai.ID,
		cancel:  cancel,
		done:    make(chan struct{}),
		changed: make(chan struct{}, 1),
		kick:    make(chan struct{}, 1),
		addrs:   slices.Clone(ai.Addrs),
	}
	s.peers[ai.ID] = bp
	s.host.ConnManager().Protect(ai.ID, bootstrapTag)
	s.wg.Go(func() {
		defer close(bp.done)
		s.keep(ctx, bp)
	})
	return bp.statusLocked(), nil
}

// remove stops keeping a connection to p; an open connection stays for the
// connection manager to judge.
func (s *bootstrapSet) remove(p peer.ID) error {
	s.mu.Lock()
	bp := s.peers[p]
	delete(s.peers, p)
	s.mu.Unlock()
	if bp == nil {
		return fmt.Errorf("%w: %s", ErrNotBootstrap, p)
	}
	bp.cancel()
	<-bp.done
	s.host.ConnManager().Unprotect(p, bootstrapTag)
	s.host.Peerstore().UpdateAddrs(p, peerstore.PermanentAddrTTL, peerstore.RecentlyConnectedAddrTTL)
	return nil
}

// list returns the status of every peer, sorted by peer ID.
func (s *bootstrapSet) list() []BootstrapStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]BootstrapStatus, 0, len(s.peers))
	for _, bp := range s.peers {
		out = append(out, bp.statusLocked())
	}
	slices.SortFunc(out, func(a, b BootstrapStatus) int { return strings.Compare(a.PeerID, b.PeerID) })
	return out
}

// addrInfos returns the peers with their addresses, for AutoRelay.
func (s *bootstrapSet) addrInfos() []peer.AddrInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]peer.AddrInfo, 0, len(s.peers))
	for _, bp := range s.peers {
		out = append(out, peer.AddrInfo{ID: bp.id, Addrs: slices.Clone(bp.addrs)})
	}
	return out
}

// close stops every goroutine of the set and waits for them.
func (s *bootstrapSet) close() error {
	s.mu.Lock()
	s.closed = true
	for _, bp := range s.peers {
		bp.cancel()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

func (bp *bootstrapPeer) statusLocked() BootstrapStatus {
	st := BootstrapStatus{
		PeerID:    bp.id.String(),
		Addrs:     p2pAddrs(bp.addrs, bp.id),
		Connected: bp.connected,
		Failures:  bp.failures,
		LastError: bp.lastErr,
	}
	if !bp.nextRetry.IsZero() {
		t := bp.nextRetry.UTC()
		st.NextRetry = &t
	}
	return st
}

func (s *bootstrapSet) update(bp *bootstrapPeer, f func(bp *bootstrapPeer)) {
	s.mu.Lock()
	f(bp)
	s.mu.Unlock()
}

// keep holds a connection to bp for the life of ctx: it dials, waits for
// the connection to drop, and redials, backing off while dials fail or
// connections do not hold. Every failure is a warning in the log. While
// the user's disconnect holds the peer, it waits for the hold to end.
func (s *bootstrapSet) keep(ctx context.Context, bp *bootstrapPeer) {
	backoff := minBackoff
	for ctx.Err() == nil {
		if held := s.gate.heldFor(bp.id); held > 0 && !s.isConnected(bp.id) {
			s.update(bp, func(bp *bootstrapPeer) { bp.nextRetry = time.Now().Add(held) })
			s.log.Info("bootstrap peer disconnected by the user; redialing when the hold ends", "peer", bp.id, "retry_in", held.Round(time.Second))
			if !s.pause(ctx, bp, held) {
				return
			}
			continue
		}
		if !s.isConnected(bp.id) {
			err := s.dial(ctx, bp)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				wait := jitter(backoff)
				s.update(bp, func(bp *bootstrapPeer) {
					bp.failures++
					bp.lastErr = err.Error()
					bp.nextRetry = time.Now().Add(wait)
				})
				s.log.Warn("bootstrap peer unreachable", "peer", bp.id, "retry_in", wait.Round(10*time.Millisecond), "err", err)
				backoff = min(backoff*2, maxBackoff)
				if !s.pause(ctx, bp, wait) {
					return
				}
				continue
			}
		}
		// Also when another part of the node (the DHT's own bootstrap)
		// connected first.
		s.log.Info("connected to bootstrap peer", "peer", bp.id)
		s.update(bp, func(bp *bootstrapPeer) {
			bp.connected, bp.failures, bp.lastErr, bp.nextRetry = true, 0, "", time.Time{}
		})
		since := time.Now()
		if !s.waitDisconnect(ctx, bp) {
			return
		}
		s.update(bp, func(bp *bootstrapPeer) { bp.connected = false })
		if s.gate.heldFor(bp.id) > 0 {
			continue // the user's disconnect, not the peer's doing
		}
		if time.Since(since) >= stableConn {
			backoff = minBackoff
			s.log.Info("bootstrap peer disconnected; redialing", "peer", bp.id)
			continue
		}
		wait := jitter(backoff)
		backoff = min(backoff*2, maxBackoff)
		s.update(bp, func(bp *bootstrapPeer) { bp.nextRetry = time.Now().Add(wait) })
		s.log.Warn("bootstrap peer dropped the connection soon after it opened", "peer", bp.id, "held", time.Since(since).Round(time.Millisecond), "retry_in", wait.Round(10*time.Millisecond))
		if !s.pause(ctx, bp, wait) {
			return
		}
	}
}

func (s *bootstrapSet) isConnected(p peer.ID) bool {
	return s.host.Network().Connectedness(p) == network.Connected
}

func (s *bootstrapSet) dial(ctx context.Context, bp *bootstrapPeer) error {
	s.mu.Lock()
	ai := peer.AddrInfo{ID: bp.id, Addrs: slices.Clone(bp.addrs)}
	s.mu.Unlock()
	dctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := s.host.Connect(dctx, ai); err != nil {
		return fmt.Errorf("dial %s: %w", bp.id, err)
	}
	return nil
}

// pause waits for d, or less when the peer connects by itself or a kick
// asks for a dial now. It reports false when ctx ended.
func (s *bootstrapSet) pause(ctx context.Context, bp *bootstrapPeer, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		case <-bp.kick:
			return true
		case <-bp.changed:
			if s.isConnected(bp.id) {
				return true
			}
		}
	}
}

// waitDisconnect waits until bp is no longer connected; false when ctx
// ended first.
func (s *bootstrapSet) waitDisconnect(ctx context.Context, bp *bootstrapPeer) bool {
	for s.isConnected(bp.id) {
		select {
		case <-ctx.Done():
			return false
		case <-bp.changed:
		}
	}
	return true
}

func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// signal wakes the receiver of a cap-1 channel, never blocking.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// BootstrapPeers returns the status of the bootstrap peers.
func (n *Node) BootstrapPeers() []BootstrapStatus { return n.boot.list() }

// AddBootstrap adds bootstrap peers to the running node (multiaddrs with
// /p2p/; give all addresses of a peer together, so that its first dial can
// choose among them) and dials them at once. A bad address is an error
// that names it, and then nothing is added. It does not change
// config.toml: see AddBootstrapToConfig.
func (n *Node) AddBootstrap(addrs ...string) ([]BootstrapStatus, error) {
	if len(addrs) == 0 {
		return nil, fmt.Errorf("%w: no address given", ErrBadAddr)
	}
	infos, err := ParseBootstrap(addrs)
	if err != nil {
		return nil, err
	}
	out := make([]BootstrapStatus, 0, len(infos))
	for _, ai := range infos {
		st, err := n.boot.add(ai)
		if err != nil {
			return out, err
		}
		out = append(out, st)
	}
	return out, nil
}

// RemoveBootstrap stops keeping a connection to a bootstrap peer, named by
// peer ID or by a multiaddr ending in /p2p/<id>.
func (n *Node) RemoveBootstrap(idOrAddr string) error {
	p, err := peerOf(idOrAddr)
	if err != nil {
		return err
	}
	return n.boot.remove(p)
}

// peerOf reads a peer ID, or the peer of a multiaddr ending in /p2p/<id>.
func peerOf(s string) (peer.ID, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "/") {
		ai, err := ParsePeerAddr(s)
		if err != nil {
			return "", err
		}
		return ai.ID, nil
	}
	p, err := peer.Decode(s)
	if err != nil {
		return "", fmt.Errorf("%w %q: %v", ErrBadPeerID, s, err)
	}
	return p, nil
}
