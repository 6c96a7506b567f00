package node

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net"
	"time"

	"github.com/libp2p/go-libp2p"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p-kad-dht/dual"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pubsubpb "github.com/libp2p/go-libp2p-pubsub/pb"
	record "github.com/libp2p/go-libp2p-record"
	coreconnmgr "github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/discovery"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/routing"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	"github.com/libp2p/go-libp2p/p2p/protocol/holepunch"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	tls "github.com/libp2p/go-libp2p/p2p/security/tls"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/prometheus/client_golang/prometheus"
)

// DHTPrefix keeps Parley's DHT apart from the public IPFS DHT.
const DHTPrefix = "/parley"

// hostParts are the node's pieces that the host calls back into.
type hostParts struct {
	// relays gives AutoRelay its candidates.
	relays *relaySource
	// holePunch receives hole punching outcomes.
	holePunch holepunch.EventTracer
	// gater decides which connections may open (nil: all).
	gater coreconnmgr.ConnectionGater
	// friend tells whether a peer is a friend, whose connections the
	// inbound limits never refuse (nil: nobody is).
	friend func(peer.ID) bool
	// addrs adds relay addresses before AutoNAT's verdict (nil: none);
	// used when AutoRelay is on and AutoNAT decides.
	addrs func([]ma.Multiaddr) []ma.Multiaddr
}

// buildHost makes the libp2p host: TCP and QUIC v1, Noise (preferred) and
// TLS, yamux, explicit resource limits and a connection manager, and NAT
// traversal as the profile asks: AutoNAT (always; a server also answers
// other peers' AutoNAT probes), UPnP/NAT-PMP port mapping, AutoRelay with
// the candidates of parts.relays, hole punching (DCUtR), and the circuit
// relay service within cfg.Relay's limits.
func buildHost(cfg Config, key crypto.PrivKey, reg prometheus.Registerer, userAgent string, parts hostParts) (host.Host, error) {
	netCfg := cfg.Network
	rm, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(resourceLimits(netCfg)), subnetLimits())
	if err != nil {
		return nil, fmt.Errorf("resource manager: %w", err)
	}
	cm, err := connmgr.NewConnManager(netCfg.ConnLow, netCfg.ConnHigh, connmgr.WithGracePeriod(time.Minute))
	if err != nil {
		rm.Close()
		return nil, fmt.Errorf("connection manager: %w", err)
	}
	friend := parts.friend
	if friend == nil {
		friend = func(peer.ID) bool { return false }
	}
	// Strangers may fill the resource manager's inbound slots only up to
	// friendReserve short of its limit, so a friend always finds one.
	inbound := newInboundLimiter(friend, netCfg.MaxInboundPerIP, inboundConnLimit(netCfg)-friendReserve)
	// The limiter counts what it admits, so it is asked last.
	gaters := gateChain{inbound}
	if parts.gater != nil {
		gaters = gateChain{parts.gater, inbound}
	}
	opts := []libp2p.Option{
		libp2p.Identity(key),
		libp2p.ListenAddrStrings(netCfg.Listen...),
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Transport(quic.NewTransport),
		libp2p.Security(noise.ID, noise.New),
		libp2p.Security(tls.ID, tls.New),
		libp2p.Muxer(yamux.ID, yamux.DefaultTransport),
		libp2p.ResourceManager(rm),
		libp2p.ConnectionManager(cm),
		libp2p.PrometheusRegisterer(reg),
		libp2p.UserAgent(userAgent),
	}
	opts = append(opts, libp2p.ConnectionGater(gaters))
	switch netCfg.Reachability {
	case ReachabilityPublic:
		opts = append(opts, libp2p.ForceReachabilityPublic())
	case ReachabilityPrivate:
		opts = append(opts, libp2p.ForceReachabilityPrivate())
	}
	if netCfg.NATPortMap {
		opts = append(opts, libp2p.NATPortMap())
	}
	if netCfg.HolePunching {
		var hp []holepunch.Option
		if parts.holePunch != nil {
			// Keep libp2p's hole punching metrics next to our tracer.
			hp = append(hp, holepunch.WithMetricsAndEventTracer(
				holepunch.NewMetricsTracer(holepunch.WithRegisterer(reg)), parts.holePunch))
		}
		opts = append(opts, libp2p.EnableHolePunching(hp...))
	}
	if netCfg.AutoRelay && parts.relays != nil {
		opts = append(opts, autoRelayOption(netCfg, parts.relays))
		if parts.addrs != nil && netCfg.Reachability == ReachabilityAuto {
			opts = append(opts, libp2p.AddrsFactory(parts.addrs))
		}
	}
	if netCfg.RelayService {
		opts = append(opts, relayServiceOption(cfg.Relay), libp2p.EnableNATService())
	}
	if !netCfg.AutoRelay && !netCfg.RelayService && !netCfg.HolePunching {
		opts = append(opts, libp2p.DisableRelay())
	}
	h, err := libp2p.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("libp2p host: %w", err)
	}
	h.Network().Notify(inbound)
	return h, nil
}

// resourceLimits scales libp2p's default limits to the configured memory
// and file descriptors, then lets the node hold the connections its
// connection manager allows (twice the high watermark each way, so that
// trimming, not refusal, is what keeps the count down): the scaled
// defaults admit only 64 inbound connections for 128 MiB, fewer than the
// owner of a large group needs. Inbound and outbound connections have a
// limit each and the total is their sum, so inbound ones, which strangers
// open, never leave the node's own dials without room.
func resourceLimits(cfg NetworkConfig) rcmgr.ConcreteLimitConfig {
	limits := rcmgr.DefaultLimits
	libp2p.SetDefaultServiceLimits(&limits)
	scaled := limits.Scale(int64(cfg.MaxMemoryMiB)<<20, cfg.MaxFDs)
	conns := rcmgr.LimitVal(inboundConnLimit(cfg))
	return rcmgr.PartialLimitConfig{
		System: rcmgr.ResourceLimits{Conns: 2 * conns, ConnsInbound: conns, ConnsOutbound: conns},
	}.Build(scaled)
}

// inboundConnLimit is the resource manager's limit on inbound connections.
func inboundConnLimit(cfg NetworkConfig) int { return max(128, 2*cfg.ConnHigh) }

// dhtRouting is what the node needs of either DHT flavour.
type dhtRouting interface {
	routing.Routing
	Close() error
}

// buildDHT makes the dual (LAN + WAN) DHT, or a single DHT for the local
// profile (see the package doc).
func buildDHT(cfg NetworkConfig, h host.Host, validator record.Validator, bootstrap []peer.AddrInfo) (dhtRouting, error) {
	common := []dht.Option{
		dht.ProtocolPrefix(DHTPrefix),
		dht.Validator(validator),
		dht.BootstrapPeers(bootstrap...),
	}
	mode := dht.ModeAuto
	switch cfg.DHTMode {
	case DHTClient:
		mode = dht.ModeClient
	case DHTServer:
		mode = dht.ModeServer
	}
	if !cfg.DualDHT {
		d, err := dht.New(h, append(common, dht.Mode(mode))...)
		if err != nil {
			return nil, fmt.Errorf("dht: %w", err)
		}
		return d, nil
	}
	d, err := dual.New(h, dual.DHTOption(common...), dual.WanDHTOption(dht.Mode(mode)))
	if err != nil {
		return nil, fmt.Errorf("dual dht: %w", err)
	}
	return d, nil
}

// forgetPeer removes p from the routing tables of the DHT (both halves of
// the dual DHT), so that neither lookups nor refreshes dial it; it comes
// back when it connects again and answers the DHT's check.
func forgetPeer(d dhtRouting, p peer.ID) {
	switch d := d.(type) {
	case *dual.DHT:
		d.LAN.RoutingTable().RemovePeer(p)
		d.WAN.RoutingTable().RemovePeer(p)
	case *dht.IpfsDHT:
		d.RoutingTable().RemovePeer(p)
	}
}

// routingTablePeers lists the DHT servers the node knows on the internet
// (the WAN half of the dual DHT), where relays are found.
func routingTablePeers(d dhtRouting) func() []peer.ID {
	switch d := d.(type) {
	case *dual.DHT:
		return d.WAN.RoutingTable().ListPeers
	case *dht.IpfsDHT:
		return d.RoutingTable().ListPeers
	}
	return nil
}

// buildPubSub makes GossipSub with strict signing, content-addressed
// message IDs (the same payload from two paths is one message), peer
// scoring, flood publishing of our own messages, and discovery of topic
// peers through the DHT. Topic score parameters are added by the topics'
// owners.
func buildPubSub(ctx context.Context, h host.Host, disc discovery.Discovery) (*pubsub.PubSub, error) {
	ps, err := pubsub.NewGossipSub(ctx, h,
		// Members of a group find each other through the DHT.
		pubsub.WithDiscovery(disc),
		pubsub.WithMessageSignaturePolicy(pubsub.StrictSign),
		pubsub.WithMessageIdFn(contentID),
		pubsub.WithPeerScore(peerScoreParams(), peerScoreThresholds()),
		pubsub.WithMaxMessageSize(256<<10),
		// A member's own messages go to every peer on the topic, not only
		// to its mesh: right after start or after a member left, the mesh
		// can be empty until the next heartbeat, and go-libp2p-pubsub
		// v0.19 (flood publishing off by default) would send them nowhere.
		pubsub.WithFloodPublish(true),
	)
	if err != nil {
		return nil, fmt.Errorf("gossipsub: %w", err)
	}
	return ps, nil
}

func contentID(m *pubsubpb.Message) string {
	sum := sha256.Sum256(m.Data)
	return string(sum[:])
}

func peerScoreParams() *pubsub.PeerScoreParams {
	return &pubsub.PeerScoreParams{
		Topics:            map[string]*pubsub.TopicScoreParams{},
		AppSpecificScore:  func(peer.ID) float64 { return 0 },
		AppSpecificWeight: 1,
		// Many peers behind one address is suspicious on the internet but
		// normal on loopback and in a home LAN.
		IPColocationFactorWeight:    -10,
		IPColocationFactorThreshold: 8,
		IPColocationFactorWhitelist: privateNets(),
		BehaviourPenaltyWeight:      -10,
		BehaviourPenaltyThreshold:   6,
		BehaviourPenaltyDecay:       pubsub.ScoreParameterDecay(10 * time.Minute),
		DecayInterval:               time.Second,
		DecayToZero:                 0.01,
		RetainScore:                 10 * time.Minute,
	}
}

func peerScoreThresholds() *pubsub.PeerScoreThresholds {
	return &pubsub.PeerScoreThresholds{
		GossipThreshold:             -100,
		PublishThreshold:            -500,
		GraylistThreshold:           -1000,
		AcceptPXThreshold:           10,
		OpportunisticGraftThreshold: 3,
	}
}

func privateNets() []*net.IPNet {
	var nets []*net.IPNet
	for _, cidr := range []string{"127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"} {
		_, n, err := net.ParseCIDR(cidr)
		if err == nil {
			nets = append(nets, n)
		}
	}
	return nets
}
