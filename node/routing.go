package node

import (
	"context"
	"slices"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	routedhost "github.com/libp2p/go-libp2p/p2p/host/routed"

	"github.com/parley-im/parley/chat"
)

// chatHost is the host chat runs on. It differs from the node's host in
// two ways:
//
//   - it is a routed host: when chat dials a contact whose addresses it
//     does not know (or whose known ones fail), the addresses are looked up
//     in the DHT, relay addresses included;
//   - chat's own protocols may use relayed (limited) connections. libp2p
//     refuses new streams on those unless asked, and without this a friend
//     behind a NAT that defeats hole punching could never be reached. A
//     relay ends a relayed connection after a time and data limit; chat
//     retries on a new one, or on the direct connection that hole punching
//     made meanwhile, which libp2p prefers.
//
// Everything else (GossipSub, identify, the DHT) keeps using the node's host.
type chatHost struct {
	*routedhost.RoutedHost
	relayed []protocol.ID // protocols allowed on limited connections
}

var _ host.Host = (*chatHost)(nil)

// relayedProtocols are the chat protocols that may run through a relay:
// direct messages (small frames, acked, resent on a new stream after a
// reset) and group history sync (paged, resumable).
var relayedProtocols = []protocol.ID{chat.DMProtocol, chat.SyncProtocol}

func newChatHost(h host.Host, r routedhost.Routing) *chatHost {
	return &chatHost{RoutedHost: routedhost.Wrap(h, r), relayed: relayedProtocols}
}

// Connect connects to p, through the DHT when needed; for chat, a relayed
// connection is a connection.
func (h *chatHost) Connect(ctx context.Context, ai peer.AddrInfo) error {
	return h.RoutedHost.Connect(network.WithAllowLimitedConn(ctx, "parley chat"), ai)
}

// NewStream opens a stream, over a relayed connection too when all pids
// are chat protocols that tolerate it.
func (h *chatHost) NewStream(ctx context.Context, p peer.ID, pids ...protocol.ID) (network.Stream, error) {
	if len(pids) > 0 && !slices.ContainsFunc(pids, func(id protocol.ID) bool { return !slices.Contains(h.relayed, id) }) {
		ctx = network.WithAllowLimitedConn(ctx, "parley chat")
	}
	return h.RoutedHost.NewStream(ctx, p, pids...)
}
