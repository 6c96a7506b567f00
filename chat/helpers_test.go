package chat

import (
	"context"
	"crypto/rand"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/storage"
)

// testPeer is one messenger on a real libp2p host on 127.0.0.1 with its
// own database, which survives restarts.
type testPeer struct {
	t        *testing.T
	key      crypto.PrivKey
	dir      string
	host     host.Host
	store    *storage.DB
	feed     *Feed
	svc      *Service
	queue    *eventQueue
	psCancel context.CancelFunc
	stopped  chan struct{} // closed by stop: ends the queue's reader
	tr       transport
	tweak    func(*Config) // changes the service's config at each start
	topics   *topicTrace   // what GossipSub delivered, by publisher
}

// newTestPeer starts a messenger on tr.
func newTestPeer(t *testing.T, tr transport) *testPeer { return newTestPeerWith(t, tr, nil) }

// newTestPeerWith starts a peer on tr whose service config tweak changes.
func newTestPeerWith(t *testing.T, tr transport, tweak func(*Config)) *testPeer {
	t.Helper()
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p := &testPeer{t: t, key: key, dir: t.TempDir(), tr: tr, tweak: tweak}
	p.start()
	t.Cleanup(p.stop)
	return p
}

func (p *testPeer) start() {
	p.t.Helper()
	h := p.tr.newHost(p.t, libp2p.Identity(p.key))
	db, err := storage.Open(p.dir, storage.Options{GCInterval: -1})
	if err != nil {
		h.Close()
		p.t.Fatal(err)
	}
	psCtx, psCancel := context.WithCancel(context.Background())
	// As the node's GossipSub does (node.buildPubSub), a member sends its
	// own messages to every peer on the topic, not only to its mesh.
	if p.topics == nil {
		p.topics = newTopicTrace()
	}
	ps, err := pubsub.NewGossipSub(psCtx, h, pubsub.WithFloodPublish(true), pubsub.WithRawTracer(p.topics))
	if err != nil {
		psCancel()
		p.t.Fatal(err)
	}
	p.psCancel = psCancel
	p.host, p.store, p.feed = h, db, NewFeed(0)
	p.stopped = make(chan struct{})
	p.queue = drain(p.feed, p.stopped)
	cfg := Config{
		Host: h, Store: db, Feed: p.feed, PubSub: ps,
		RetryMin: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond,
		AckTimeout: 5 * time.Second, DialTimeout: 5 * time.Second,
		Logger: debugLogger(h.ID().ShortString()),
	}
	if p.tweak != nil {
		p.tweak(&cfg)
	}
	p.svc, err = New(cfg)
	if err != nil {
		p.t.Fatal(err)
	}
}

// stop shuts the peer down as a clean daemon exit would. It is safe to
// call twice.
func (p *testPeer) stop() {
	if p.svc == nil {
		return
	}
	p.svc.Close()
	p.psCancel()
	close(p.stopped)
	p.feed.Close()
	p.host.Close()
	p.store.Close()
	p.svc = nil
}

func (p *testPeer) restart() {
	p.stop()
	p.start()
}

func (p *testPeer) id() peer.ID { return p.host.ID() }

func connect(t *testing.T, a, b *testPeer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.host.Connect(ctx, peer.AddrInfo{ID: b.id(), Addrs: b.host.Addrs()}); err != nil {
		t.Fatal(err)
	}
}

// waitEvent returns the first event on p's feed that match accepts,
// failing the test after timeout.
func (p *testPeer) waitEvent(timeout time.Duration, match func(Event) bool) Event {
	p.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case <-p.queue.ready:
			for _, ev := range p.queue.take() {
				if match(ev) {
					return ev
				}
			}
		case <-deadline.C:
			p.t.Fatalf("no matching event within %v", timeout)
		}
	}
}

// eventQueue keeps every event of a subscription, however slowly the test
// reads them (the feed drops subscribers that fall behind).
type eventQueue struct {
	mu     sync.Mutex
	events []Event
	ready  chan struct{}
}

// drain reads the feed into the queue until stop is closed, resuming
// after the last event when the feed drops it for falling behind.
func drain(feed *Feed, stop <-chan struct{}) *eventQueue {
	q := &eventQueue{ready: make(chan struct{}, 1)}
	go func() {
		var last uint64
		for {
			sub := feed.Subscribe(last)
			for ev := range sub.Events() {
				q.mu.Lock()
				q.events = append(q.events, ev)
				q.mu.Unlock()
				signal(q.ready)
				last = ev.ID
			}
			select {
			case <-stop:
				return
			default:
			}
		}
	}()
	return q
}

// take returns the queued events and empties the queue. Events that a
// waitEvent call did not match are consumed with it, as on a stream.
func (q *eventQueue) take() []Event {
	q.mu.Lock()
	defer q.mu.Unlock()
	evs := q.events
	q.events = nil
	return evs
}

// befriend makes a and b friends through a request and an accept.
func befriend(t *testing.T, a, b *testPeer) {
	t.Helper()
	req, err := a.svc.AddFriend(b.id(), "hi, it's a")
	if err != nil {
		t.Fatal(err)
	}
	b.waitEvent(10*time.Second, func(ev Event) bool {
		r, ok := ev.Data.(storage.FriendRequest)
		return ok && r.ID == req.ID && r.Status == storage.RequestPending
	})
	if _, err := b.svc.AcceptRequest(req.ID); err != nil {
		t.Fatal(err)
	}
	a.waitEvent(10*time.Second, func(ev Event) bool {
		c, ok := ev.Data.(ContactEvent)
		return ok && c.Contact.UserID == b.id().String() && c.Contact.Friend
	})
}

// history returns every message with other, oldest first.
func (p *testPeer) history(other peer.ID) []storage.Message {
	p.t.Helper()
	var all []storage.Message
	cursor := ""
	for {
		page, err := p.svc.History(other, cursor, 500)
		if err != nil {
			p.t.Fatal(err)
		}
		all = append(all, page.Messages...)
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	for i, j := 0, len(all)-1; i < j; i, j = i+1, j-1 {
		all[i], all[j] = all[j], all[i]
	}
	return all
}

// pollUntil checks cond every 10 ms until it holds, failing the test
// after 10 s with what was awaited. It is for state that no event
// announces (GossipSub's view of topic peers, say).
func pollUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("not within 10 s: %s", what)
		}
	}
}

// debugLogger is nil (the service discards its log) unless
// PARLEY_TEST_LOG is set; then each service logs at debug level to stderr,
// tagged with its peer, which is how a failing delivery test is read.
func debugLogger(name string) *slog.Logger {
	if os.Getenv("PARLEY_TEST_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("node", name)
}
