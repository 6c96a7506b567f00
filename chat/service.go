package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/routing"
	"github.com/libp2p/go-libp2p/p2p/host/eventbus"

	"github.com/parley-im/parley/storage"
)

// Config configures a Service. Host, Store and Feed are required; the
// durations default as documented.
type Config struct {
	Host   host.Host
	Store  *storage.DB
	Feed   *Feed
	Logger *slog.Logger // default: discard
	// PubSub carries groups; without it the group calls fail.
	PubSub *pubsub.PubSub

	// RetryMin and RetryMax bound the outbox's redial backoff: the first
	// retry comes after RetryMin (default 1s), doubling up to RetryMax
	// (default 5m). A connection from the peer retries at once.
	RetryMin, RetryMax time.Duration
	// IdleTimeout closes a DM stream that carried nothing this long
	// (default 2m).
	IdleTimeout time.Duration
	// AckTimeout resets a stream whose frames get no ack this long
	// (default 30s); the frames are sent again on a new stream.
	AckTimeout time.Duration
	// DialTimeout bounds opening a stream, dial included (default 15s).
	DialTimeout time.Duration

	// Routing is where profile and presence records are published and
	// looked up (the DHT). Without it, presence is only pushed to friends
	// and lookups serve the cache.
	Routing routing.ValueStore
	// Key signs the owner's profile and presence records. Default: the
	// host's own key, from its peerstore.
	Key crypto.PrivKey
	// PresenceTTL is how long a published presence record stays valid
	// (default 1h); the node signs and publishes a new one at half that.
	PresenceTTL time.Duration
	// ProfileRepublish is how often the profile is put in the DHT again
	// (default 12h).
	ProfileRepublish time.Duration
	// LookupTimeout bounds a DHT lookup of Whois (default 10s); when it
	// runs out, the cache is served.
	LookupTimeout time.Duration
	// GroupSyncInterval is how often each group is synced with one
	// connected member (default 10m), so that a frame lost in transit
	// between members who stay connected arrives without waiting for a
	// reconnect: GossipSub does not send it again.
	GroupSyncInterval time.Duration
	// PeerRate and PeerBurst (bytes a second, and at once) and PeerQuota
	// (bytes a day) bound what one peer may make this node store; frames
	// over them are answered BUSY and wait in the sender's outbox
	// (flood.go). Defaults: DefaultPeerRate, DefaultPeerBurst,
	// DefaultPeerQuota.
	PeerRate, PeerBurst, PeerQuota int64
	// Gate, when set, receives the service's verdict on peers (Refuses)
	// before the service dials anyone or serves a stream: the node's
	// connection gater refuses blocked and banned peers with it, both ways.
	Gate func(refuses func(peer.ID) bool)
	// CacheFor is how long a record fetched from the DHT is served from
	// the cache before Whois asks the DHT again (default 1m). A record
	// pushed live stays fresh until it expires.
	CacheFor time.Duration
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.RetryMin, time.Second)
	def(&c.RetryMax, 5*time.Minute)
	def(&c.IdleTimeout, 2*time.Minute)
	def(&c.AckTimeout, 30*time.Second)
	def(&c.DialTimeout, 15*time.Second)
	def(&c.PresenceTTL, time.Hour)
	def(&c.ProfileRepublish, 12*time.Hour)
	def(&c.LookupTimeout, 10*time.Second)
	def(&c.CacheFor, time.Minute)
	def(&c.GroupSyncInterval, 10*time.Minute)
	defN := func(n *int64, v int64) {
		if *n <= 0 {
			*n = v
		}
	}
	defN(&c.PeerRate, DefaultPeerRate)
	defN(&c.PeerBurst, DefaultPeerBurst)
	defN(&c.PeerQuota, DefaultPeerQuota)
}

// Service is the messenger of one node.
type Service struct {
	cfg   Config
	host  host.Host
	self  string // host.ID().String(), which costs a base58 encoding
	ids   idStrings
	store *storage.DB
	feed  *Feed
	log   *slog.Logger
	abuse *abuseTracker
	// blocked holds the peers the user blocked, for the quick checks of
	// Refuses; storage stays the authority.
	blocked *peerSet
	// requestRate is each stranger's rate of friend requests.
	requestRate *peerLimiter
	// floods are each peer's rate and quota of what it sends (flood.go).
	floods *floodLimits

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	senders map[peer.ID]*sender
	closed  bool

	fresh   *frameCache
	probing *probeSet // peers whose older connections are probed (deadconns.go)

	groups *groupCache
	topics *topicSet
	syncs  *syncState

	records *records // own profile and presence (publish.go)
}

// New starts the messenger on cfg.Host: it registers the DM protocol,
// resumes delivery of everything left in the outbox, and reconnects to
// friends. Close stops it.
func New(cfg Config) (*Service, error) {
	if cfg.Host == nil || cfg.Store == nil || cfg.Feed == nil {
		return nil, errors.New("chat: Host, Store and Feed are required")
	}
	cfg.setDefaults()
	if cfg.Key == nil {
		cfg.Key = cfg.Host.Peerstore().PrivKey(cfg.Host.ID())
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{
		cfg:         cfg,
		host:        cfg.Host,
		self:        cfg.Host.ID().String(),
		store:       cfg.Store,
		feed:        cfg.Feed,
		log:         cfg.Logger,
		abuse:       newAbuseTracker(),
		blocked:     newPeerSet(),
		requestRate: newPeerLimiter(1/requestEvery.Seconds(), requestBurst, maxLimitedPeers),
		floods:      newFloodLimits(cfg),
		ctx:         ctx,
		cancel:      cancel,
		senders:     make(map[peer.ID]*sender),
		fresh:       newFrameCache(freshFrames),
		probing:     newProbeSet(),
		groups:      newGroupCache(),
		topics:      newTopicSet(),
		syncs:       newSyncState(),
	}
	s.records = newRecords(s)
	// Identify blocks while this buffer is full: room for bursts of
	// connections and identify pushes.
	sub, err := s.host.EventBus().Subscribe([]any{
		new(event.EvtPeerConnectednessChanged),
		new(event.EvtPeerIdentificationCompleted),
	}, eventbus.Name("parley chat"), eventbus.BufSize(256))
	if err != nil {
		cancel()
		return nil, fmt.Errorf("chat: watch connections: %w", err)
	}
	if err := s.loadBlocked(); err != nil {
		sub.Close()
		cancel()
		return nil, err
	}
	s.host.SetStreamHandler(DMProtocol, s.gated(s.handleStream))
	s.host.SetStreamHandler(SyncProtocol, s.gated(s.handleSync))
	s.wg.Go(func() { s.watchConnections(sub) })
	s.wg.Go(s.resume)
	if cfg.PubSub != nil {
		s.wg.Go(s.healGroups)
	}
	s.startPublishing()
	return s, nil
}

// Close stops delivery and the protocol handler and waits for every
// goroutine of the service. Undelivered items stay in the outbox.
func (s *Service) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.host.RemoveStreamHandler(DMProtocol)
	s.host.RemoveStreamHandler(SyncProtocol)
	s.cancel()
	s.wg.Wait()
	s.closeTopics()
	return nil
}

// watchConnections retries delivery to a peer the moment it connects and
// remembers the addresses of friends, so that they can be redialed after
// a restart. The listen addresses of a peer that dialed us are known only
// once identify has run, so they are remembered again then.
func (s *Service) watchConnections(sub event.Subscription) {
	defer sub.Close()
	for {
		select {
		case <-s.ctx.Done():
			return
		case e, ok := <-sub.Out():
			if !ok {
				return
			}
			switch ev := e.(type) {
			case event.EvtPeerIdentificationCompleted:
				s.rememberAddrs(ev.Peer)
				s.dropDeadConns(ev)
			case event.EvtPeerConnectednessChanged:
				// A relayed (limited) connection carries DMs too.
				if ev.Connectedness != network.Connected && ev.Connectedness != network.Limited {
					continue
				}
				s.poke(ev.Peer)
				s.rememberAddrs(ev.Peer)
				s.recordsOnConnect(ev.Peer)
				s.syncWithMember(ev.Peer)
			}
		}
	}
}

// resume starts delivery for every peer with queued items and dials the
// friends, whose side may hold items for us.
func (s *Service) resume() {
	var peers []string
	if err := s.store.View(func(tx *storage.Tx) (err error) { peers, err = tx.OutboxPeers(); return }); err != nil {
		s.log.Error("outbox: list peers", "err", err)
	}
	for _, p := range peers {
		id, err := peer.Decode(p)
		if err != nil {
			s.log.Error("outbox: bad peer in queue", "peer", p, "err", err)
			continue
		}
		s.wake(id)
	}
	s.startGroups()
	s.dialFriends()
}

// publish sends an event to the feed.
func (s *Service) publish(typ EventType, data any) { s.feed.Publish(typ, data) }
