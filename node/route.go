package node

import (
	"fmt"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// How the node last found a peer's addresses by a lookup (Route.FoundVia).
const (
	FoundViaParleyDHT        = "parley_dht"
	FoundViaPublicRendezvous = "public_rendezvous"
)

// maxFound bounds the lookups foundLog remembers; when full it starts
// over (lookups are cheap to repeat, and this is only shown to the user).
const maxFound = 1024

// found is one successful lookup.
type found struct {
	via   string
	at    time.Time
	addrs []string
}

// foundLog remembers how each peer was last found, for whois --route.
type foundLog struct {
	mu sync.Mutex
	m  map[peer.ID]found
}

func newFoundLog() *foundLog { return &foundLog{m: make(map[peer.ID]found)} }

func (l *foundLog) record(ai peer.AddrInfo, via string) {
	if l == nil {
		return
	}
	addrs := make([]string, len(ai.Addrs))
	for i, a := range ai.Addrs {
		addrs[i] = a.String()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.m) >= maxFound {
		clear(l.m)
	}
	l.m[ai.ID] = found{via: via, at: time.Now(), addrs: addrs}
}

func (l *foundLog) get(p peer.ID) (found, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.m[p]
	return f, ok
}

// Route says how this node reaches a peer: its connection now, and how
// it last found the peer's addresses by a lookup.
type Route struct {
	PeerID string `json:"peer_id"`
	// Path is direct, relayed, or empty when not connected; Addr is the
	// connection's remote address.
	Path string `json:"path,omitempty"`
	Addr string `json:"addr,omitempty"`
	// FoundVia is parley_dht or public_rendezvous, with when and the
	// addresses found; empty when the node never had to look the peer up
	// (it connected first, came by mDNS or was dialed at a known address).
	FoundVia   string     `json:"found_via,omitempty"`
	FoundAt    *time.Time `json:"found_at,omitempty"`
	FoundAddrs []string   `json:"found_addrs,omitempty"`
	// KnownAddrs are the addresses the node holds for the peer now.
	KnownAddrs []string `json:"known_addrs"`
}

// Route describes how this node reaches the peer id.
func (n *Node) Route(id string) (Route, error) {
	p, err := peer.Decode(id)
	if err != nil {
		return Route{}, fmt.Errorf("%w %q: %v", ErrBadPeerID, id, err)
	}
	if p == n.host.ID() {
		return Route{}, ErrSelf
	}
	r := Route{PeerID: p.String(), KnownAddrs: []string{}}
	if pi, ok := n.peerInfo(p); ok {
		r.Path, r.Addr = "direct", pi.Addr
		if pi.Relayed {
			r.Path = "relayed"
		}
	}
	for _, a := range n.host.Peerstore().Addrs(p) {
		r.KnownAddrs = append(r.KnownAddrs, a.String())
	}
	if f, ok := n.found.get(p); ok {
		at := f.at.UTC()
		r.FoundVia, r.FoundAt, r.FoundAddrs = f.via, &at, f.addrs
	}
	return r, nil
}
