package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/routing"
	drouting "github.com/libp2p/go-libp2p/p2p/discovery/routing"
	"github.com/libp2p/go-libp2p/p2p/host/eventbus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/identity"
	"github.com/parley-im/parley/storage"
)

// Version is the version of Parley, reported by the API and the CLI.
var Version = "0.1.0-dev"

// Options configure New.
type Options struct {
	// Home is the node's home directory; it must be initialized (see Init).
	Home Home
	// Config is the resolved configuration (config.toml plus flags).
	Config Config
	// Passphrase decrypts the identity key, when it is encrypted.
	Passphrase []byte
	// Logger receives the node's log. Default: discard.
	Logger *slog.Logger
}

// Node is a running personal node.
type Node struct {
	cfg     Config
	home    Home
	log     *slog.Logger
	lock    *Lock
	store   *storage.DB
	host    host.Host
	dht     dhtRouting
	pubsub  *pubsub.PubSub
	chat    *chat.Service
	feed    *chat.Feed
	metrics *prometheus.Registry
	started time.Time
	reach   atomic.Int32 // network.Reachability
	// relayAddrs are the addresses through relays (AutoRelay).
	relayAddrs atomic.Pointer[[]string]
	// early advertises relay addresses before AutoNAT's verdict.
	early earlyRelay
	boot  *bootstrapSet
	// gate keeps peers the user disconnected away for a while.
	gate *holdGater
	// amino and rdv are the public rendezvous (amino.go, rendezvous.go);
	// nil when network.public_rendezvous is off.
	amino *amino
	rdv   *rendezvous
	// routed is the host chat runs on, which finds peers' addresses;
	// found remembers how (Route).
	routed *chatHost
	found  *foundLog

	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closers   []func() error // run in reverse order by Close
	closeOnce sync.Once
	closeErr  error
}

// New starts a node on an initialized home: it takes the home's lock,
// loads the identity key, opens storage, and starts the libp2p host, the
// DHT, GossipSub and discovery. Close releases everything.
func New(opts Options) (_ *Node, err error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := opts.Config.Validate(); err != nil {
		return nil, err
	}
	if err := refusePublicAminoInTests(opts.Config); err != nil {
		return nil, err
	}
	bootstrap, err := ParseBootstrap(opts.Config.Network.Bootstrap)
	if err != nil {
		return nil, fmt.Errorf("%w: network.bootstrap: %v", ErrBadConfig, err)
	}
	relays, err := ParseBootstrap(opts.Config.Network.Relays)
	if err != nil {
		return nil, fmt.Errorf("%w: network.relays: %v", ErrBadConfig, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &Node{
		cfg:     opts.Config,
		home:    opts.Home,
		log:     log,
		feed:    chat.NewFeed(0),
		metrics: prometheus.NewRegistry(),
		started: time.Now(),
		cancel:  cancel,
		gate:    newHoldGater(time.Now),
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, n.Close())
		}
	}()

	n.lock, err = opts.Home.Lock()
	if err != nil {
		return nil, err
	}
	n.closers = append(n.closers, n.lock.Unlock)

	key, err := loadKey(opts.Home, opts.Passphrase)
	if err != nil {
		return nil, err
	}
	n.store, err = storage.Open(opts.Home.DBPath(), storage.Options{
		Logger:     log.With("component", "storage"),
		GCInterval: time.Duration(opts.Config.Storage.GCInterval),
		SyncWrites: opts.Config.Storage.SyncWrites,
	})
	if err != nil {
		return nil, err
	}
	n.closers = append(n.closers, n.store.Close)
	id, err := peerIDOf(key)
	if err != nil {
		return nil, err
	}
	if err := checkOwner(opts.Home, n.store, id); err != nil {
		return nil, err
	}

	n.metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	relaySrc := newRelaySource(relays)
	n.early.reach = &n.reach
	n.host, err = buildHost(opts.Config, key, n.metrics, "parley/"+Version, hostParts{
		relays:    relaySrc,
		holePunch: &holePunchTracer{log: log.With("component", "nat"), feed: n.feed},
		gater:     n.gate,
		friend:    n.isFriend,
		addrs:     n.early.factory,
	})
	if err != nil {
		return nil, err
	}
	handlers := trackHandlers(n.host, log)
	n.closers = append(n.closers, func() error { return closeHost(n.host, handlers, log) })
	if err := n.watchNetwork(ctx); err != nil {
		return nil, err
	}
	if err := n.watchNAT(ctx); err != nil {
		return nil, err
	}

	n.dht, err = buildDHT(opts.Config.Network, n.host, identity.NewValidator(time.Now), bootstrap)
	if err != nil {
		return nil, err
	}
	n.closers = append(n.closers, n.dht.Close)
	n.boot, err = newBootstrapSet(ctx, n.host, n.gate, log.With("component", "bootstrap"))
	if err != nil {
		return nil, err
	}
	n.closers = append(n.closers, n.boot.close)
	if err := n.startAmino(ctx); err != nil {
		return nil, err
	}
	relaySrc.setHost(n.host, n.boot.addrInfos, joinPeerLists(routingTablePeers(n.dht), n.amino.peers))
	if err := startRelayFinder(n.host, opts.Config.Network); err != nil {
		return nil, err
	}

	// GossipSub lives until its context ends; it gets its own so that it
	// stops after chat, which publishes on it, and before the host.
	psCtx, psCancel := context.WithCancel(ctx)
	n.closers = append(n.closers, func() error { psCancel(); return nil })
	n.pubsub, err = buildPubSub(psCtx, n.host, drouting.NewRoutingDiscovery(n.dht))
	if err != nil {
		return nil, err
	}

	// Chat finds contacts through the DHT and the public rendezvous, and
	// may use relays.
	n.found = newFoundLog()
	n.routed = newChatHost(n.host, peerRouter{dht: n.dht, amino: n.amino, found: n.found})
	n.chat, err = chat.New(chat.Config{
		Host:   n.routed,
		Store:  n.store,
		Feed:   n.feed,
		Logger: log.With("component", "chat"),
		PubSub: n.pubsub,
		// Profiles and presence are published in and looked up from the DHT.
		Routing:          n.dht,
		Key:              key,
		PresenceTTL:      time.Duration(opts.Config.Presence.TTL),
		ProfileRepublish: time.Duration(opts.Config.Presence.ProfileRepublish),
		LookupTimeout:    time.Duration(opts.Config.Presence.LookupTimeout),
		CacheFor:         time.Duration(opts.Config.Presence.CacheFor),
		// Blocked and banned peers are refused on every protocol: at the
		// connection, both ways.
		Gate: n.gate.refuseWith,
	})
	if err != nil {
		return nil, err
	}
	n.closers = append(n.closers, n.chat.Close)

	for _, ai := range bootstrap {
		if ai.ID == n.host.ID() {
			log.Info("bootstrap: skipping this node's own address", "peer", ai.ID)
			continue
		}
		if _, err := n.boot.add(ai); err != nil {
			return nil, err
		}
	}
	if opts.Config.Network.MDNS {
		n.startMDNS(ctx)
	}
	if n.rdv != nil {
		if err := n.rdv.start(ctx, &n.wg); err != nil {
			return nil, err
		}
	}
	log.Info("node started", "peer", n.host.ID(), "addrs", n.host.Addrs(), "profile", opts.Config.Profile)
	return n, nil
}

func loadKey(home Home, passphrase []byte) (crypto.PrivKey, error) {
	key, err := identity.Load(home.KeyPath(), passphrase)
	if err != nil {
		return nil, fmt.Errorf("load identity: %w", err)
	}
	return key, nil
}

// Close stops the node: discovery and background work, then GossipSub and
// the DHT, the host, storage, and finally the home lock. It is safe to call
// more than once.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		n.publishOffline()
		n.cancel() // stops GossipSub and every goroutine of the node
		n.wg.Wait()
		var errs []error
		for i := len(n.closers) - 1; i >= 0; i-- {
			errs = append(errs, n.closers[i]())
		}
		n.feed.Close()
		n.closeErr = errors.Join(errs...)
	})
	return n.closeErr
}

// watchNetwork turns connectedness changes into feed events.
func (n *Node) watchNetwork(ctx context.Context) error {
	return n.watch(ctx, "parley peers", []any{new(event.EvtPeerConnectednessChanged)}, n.handleNetworkEvent)
}

// watch hands the host's events of the given types to handle, one at a
// time, until ctx ends.
func (n *Node) watch(ctx context.Context, name string, types []any, handle func(any)) error {
	sub, err := n.host.EventBus().Subscribe(types, eventbus.Name(name))
	if err != nil {
		return fmt.Errorf("subscribe to %s events: %w", name, err)
	}
	n.wg.Go(func() {
		defer sub.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-sub.Out():
				if !ok {
					return
				}
				handle(e)
			}
		}
	})
	return nil
}

func (n *Node) handleNetworkEvent(e any) {
	switch e := e.(type) {
	case event.EvtPeerConnectednessChanged:
		pe := chat.PeerEvent{PeerID: e.Peer.String()}
		switch e.Connectedness {
		case network.Connected, network.Limited:
			if conns := n.host.Network().ConnsToPeer(e.Peer); len(conns) > 0 {
				// A direct connection added to a relayed one makes the
				// peer Connected: describe the direct one.
				best := bestConn(conns)
				pe.Addr = best.RemoteMultiaddr().String()
				pe.Direction = best.Stat().Direction.String()
			}
			n.feed.Publish(chat.EventPeerConnected, pe)
		case network.NotConnected:
			n.feed.Publish(chat.EventPeerDisconnected, pe)
		}
	}
}

// Host returns the libp2p host.
func (n *Node) Host() host.Host { return n.host }

// Routing returns the DHT.
func (n *Node) Routing() routing.Routing { return n.dht }

// PubSub returns the GossipSub router.
func (n *Node) PubSub() *pubsub.PubSub { return n.pubsub }

// Store returns the node's database.
func (n *Node) Store() *storage.DB { return n.store }

// Chat returns the messenger.
func (n *Node) Chat() *chat.Service { return n.chat }

// Feed returns the node's event feed.
func (n *Node) Feed() *chat.Feed { return n.feed }

// Metrics returns the registry behind GET /metrics, with libp2p's metrics.
func (n *Node) Metrics() prometheus.Gatherer { return n.metrics }

// Config returns the configuration the node runs with.
func (n *Node) Config() Config { return n.cfg }
