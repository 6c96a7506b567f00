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
//   - server: a public bootstrap and relay node, DHT server, no mDNS;
//   - local: 127.0.0.1 only, no mDNS, no NAT mapping, no bootstrap peers,
//     the API on a free port. It runs a single DHT in server mode instead of
//     the dual DHT, because the dual DHT's LAN half drops loopback addresses
//     and its WAN half drops private ones, so on 127.0.0.1 neither would
//     ever find a peer.
package node
