// Package node is the personal node: it owns the home directory and its
// config, builds the libp2p host (transports, security, resource limits,
// NAT traversal), the Kademlia DHT and GossipSub, runs discovery (mDNS and
// bootstrap peers), and wires storage and chat together. New starts a node;
// Close stops it.
//
// Profiles (like Kubo's) set the defaults of the network section:
//
//   - default: a personal node on every interface, with mDNS, NAT port
//     mapping, hole punching and AutoRelay, and the dual (LAN + WAN) DHT;
//   - server: a public bootstrap and relay node, DHT server, no mDNS; it
//     takes its reachability as public, answers other nodes' AutoNAT
//     probes and runs the circuit relay v2 service within the limits of
//     the [relay] section;
//   - local: 127.0.0.1 only, no mDNS, no NAT mapping, no bootstrap peers,
//     the API on a free port. It runs a single DHT in server mode instead of
//     the dual DHT, because the dual DHT's LAN half drops loopback addresses
//     and its WAN half drops private ones, so on 127.0.0.1 neither would
//     ever find a peer.
//
// Across networks (nat.go, relay.go, routing.go, bootstrap.go): AutoNAT
// tells a personal node whether it is reachable. Behind a NAT, AutoRelay
// reserves a slot on a relay (the configured relays, the bootstrap peers,
// then relay servers met through the DHT) and the node announces
// addresses through it; when a friend connects through the relay, hole
// punching (DCUtR) tries to replace the relayed connection with a direct
// one. Chat runs on a routed host: a contact whose addresses are unknown
// or stale is looked up in the DHT, and chat's protocols may use relayed
// connections, so a friend behind a symmetric NAT stays reachable. The
// node keeps a connection to each bootstrap peer, redialing with a
// doubling backoff (1s to 5m, jittered) and a warning per failed dial;
// bootstrap peers can be added and removed while it runs.
package node
