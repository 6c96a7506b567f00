package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/node"
	"github.com/parley-im/parley/storage"
)

// The scenarios that measure Parley's protocols (dm, first-message,
// groups) run whole nodes in this process: node.Init, node.LoadConfig and
// node.New on temporary homes with the local profile. That is the node a
// daemon runs, host options, resource limits, connection manager, DHT,
// GossipSub parameters and Badger tuning included, minus the HTTP API;
// building chat.Service on bare hosts instead would leave all of those out
// of the figures. In-process nodes let a scenario call Send and see the
// receipt event without an HTTP and SSE round trip in the way, which is
// what the latency targets are about. Process-level figures (RSS, cold
// start) use the real binary instead (burst.go).

// benchNode is a full Parley node running in this process.
type benchNode struct {
	*node.Node
	home node.Home
}

// newNode initializes a temporary home with the local profile (127.0.0.1
// only, no mDNS, no NAT mapping, no bootstrap) and starts a node on it.
func (e *env) newNode(prefix string) (*benchNode, error) {
	dir, err := e.tempDir(prefix)
	if err != nil {
		return nil, err
	}
	home := node.Home{Dir: dir}
	if _, err := node.Init(home, node.ProfileLocal, nil); err != nil {
		return nil, fmt.Errorf("init %s: %w", dir, err)
	}
	cfg, err := node.LoadConfig(home.ConfigPath())
	if err != nil {
		return nil, err
	}
	n, err := node.New(node.Options{Home: home, Config: cfg})
	if err != nil {
		return nil, fmt.Errorf("start node in %s: %w", dir, err)
	}
	return &benchNode{Node: n, home: home}, nil
}

// newNodes starts n nodes concurrently; on error it closes those started.
func (e *env) newNodes(prefix string, n int) ([]*benchNode, error) {
	nodes := make([]*benchNode, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i := range nodes {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			nodes[i], errs[i] = e.newNode(prefix)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		closeNodes(nodes)
		return nil, err
	}
	return nodes, nil
}

// closeNodes closes the non-nil nodes, in parallel.
func closeNodes(nodes []*benchNode) {
	var wg sync.WaitGroup
	for _, n := range nodes {
		if n != nil {
			wg.Go(func() { _ = n.Close() })
		}
	}
	wg.Wait()
}

// id returns the node's peer ID.
func (n *benchNode) id() peer.ID { return n.Host().ID() }

// addrInfo is how other hosts dial h.
func addrInfo(h host.Host) peer.AddrInfo {
	return peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()}
}

// connectHosts connects a to b.
func connectHosts(ctx context.Context, a, b host.Host) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := a.Connect(ctx, addrInfo(b)); err != nil {
		return fmt.Errorf("connect %s to %s: %w", a.ID().ShortString(), b.ID().ShortString(), err)
	}
	return nil
}

// befriend makes a and b friends: a asks, b accepts, and both see it.
func befriend(ctx context.Context, a, b *benchNode) error {
	if err := connectHosts(ctx, a.Host(), b.Host()); err != nil {
		return err
	}
	aw := watchFeed(a.Feed())
	defer aw.close()
	bw := watchFeed(b.Feed())
	defer bw.close()
	req, err := a.Chat().AddFriend(b.id(), "bench")
	if err != nil {
		return fmt.Errorf("friend request: %w", err)
	}
	if _, err := bw.wait(ctx, 10*time.Second, func(ev chat.Event) bool {
		r, ok := ev.Data.(storage.FriendRequest)
		return ok && r.ID == req.ID && r.Status == storage.RequestPending
	}); err != nil {
		return fmt.Errorf("friend request to arrive: %w", err)
	}
	if _, err := b.Chat().AcceptRequest(req.ID); err != nil {
		return fmt.Errorf("accept friend request: %w", err)
	}
	if _, err := aw.wait(ctx, 10*time.Second, func(ev chat.Event) bool {
		c, ok := ev.Data.(chat.ContactEvent)
		return ok && c.Contact.UserID == b.id().String() && c.Contact.Friend
	}); err != nil {
		return fmt.Errorf("friend request to be accepted: %w", err)
	}
	return nil
}

// feedWatch copies a node's feed into an unbounded queue, so that a
// scenario that reads slowly is never dropped by the feed, and resumes
// after its last event if the feed drops it anyway.
type feedWatch struct {
	feed  *chat.Feed
	mu    sync.Mutex
	queue []timedEvent
	ready chan struct{}
	err   error // set when events were lost
	stop  chan struct{}
	done  chan struct{}
	sub   *chat.Subscription
}

// timedEvent is an event with the time the watcher received it.
type timedEvent struct {
	chat.Event
	at time.Time
}

func watchFeed(f *chat.Feed) *feedWatch {
	w := &feedWatch{feed: f, ready: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	w.sub = f.Subscribe(0)
	go w.run()
	return w
}

func (w *feedWatch) run() {
	defer close(w.done)
	sub := w.sub
	var last uint64
	for {
		for ev := range sub.Events() {
			now := time.Now()
			w.mu.Lock()
			if ev.Type == chat.EventReset && w.err == nil {
				w.err = errors.New("the event feed dropped events this scenario waits for")
			}
			w.queue = append(w.queue, timedEvent{ev, now})
			w.mu.Unlock()
			last = ev.ID
			select {
			case w.ready <- struct{}{}:
			default:
			}
		}
		select {
		case <-w.stop:
			return
		default:
		}
		// Dropped for falling behind (or the feed closed): resume.
		w.mu.Lock()
		sub = w.feed.Subscribe(last)
		w.sub = sub
		w.mu.Unlock()
	}
}

func (w *feedWatch) close() {
	close(w.stop)
	w.mu.Lock()
	sub := w.sub
	w.mu.Unlock()
	sub.Close()
	<-w.done
}

// take returns the queued events and empties the queue.
func (w *feedWatch) take() ([]timedEvent, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	evs := w.queue
	w.queue = nil
	return evs, w.err
}

// wait returns the first queued or future event that match accepts; the
// events before it are consumed.
func (w *feedWatch) wait(ctx context.Context, timeout time.Duration, match func(chat.Event) bool) (timedEvent, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		evs, err := w.take()
		if err != nil {
			return timedEvent{}, err
		}
		for i, ev := range evs {
			if match(ev.Event) {
				w.mu.Lock()
				w.queue = append(evs[i+1:len(evs):len(evs)], w.queue...)
				w.mu.Unlock()
				return ev, nil
			}
		}
		select {
		case <-w.ready:
		case <-ctx.Done():
			return timedEvent{}, ctx.Err()
		case <-timer.C:
			return timedEvent{}, fmt.Errorf("no matching event within %v", timeout)
		}
	}
}

// newRawHost is the raw baseline's host: go-libp2p's defaults, listening
// on the same loopback transports as a node of the local profile (TCP and
// QUIC), so that both sides dial the same way.
func newRawHost() (host.Host, error) {
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"))
	if err != nil {
		return nil, fmt.Errorf("raw host: %w", err)
	}
	return h, nil
}

// newRawHosts starts n raw hosts; on error it closes those started.
func newRawHosts(n int) ([]host.Host, error) {
	hs := make([]host.Host, 0, n)
	for range n {
		h, err := newRawHost()
		if err != nil {
			closeHosts(hs)
			return nil, err
		}
		hs = append(hs, h)
	}
	return hs, nil
}

// closeHosts closes each host's network before the host, as Parley's node
// does (node.closeHost: go-libp2p v0.51.0 can otherwise hang in Close when
// identify pushes arrive while it shuts down).
func closeHosts(hs []host.Host) {
	for _, h := range hs {
		_ = h.Network().Close()
		_ = h.Close()
	}
}

// disconnect closes every connection between a and b and waits until
// both sides see it.
func disconnect(ctx context.Context, a, b host.Host) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		_ = a.Network().ClosePeer(b.ID())
		_ = b.Network().ClosePeer(a.ID())
		if a.Network().Connectedness(b.ID()) != network.Connected &&
			b.Network().Connectedness(a.ID()) != network.Connected &&
			len(a.Network().ConnsToPeer(b.ID())) == 0 && len(b.Network().ConnsToPeer(a.ID())) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s and %s stay connected", a.ID().ShortString(), b.ID().ShortString())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}
