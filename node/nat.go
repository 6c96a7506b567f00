package node

import (
	"context"
	"log/slog"
	"time"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/p2p/protocol/holepunch"

	"github.com/parley-im/parley/chat"
)

// Event types the node adds to the feed, next to chat's.
const (
	// EventNode carries a NodeEvent: reachability or relay addresses
	// changed.
	EventNode chat.EventType = "node"
	// EventHolePunch carries a HolePunchEvent: an attempt to turn a
	// relayed connection into a direct one ended.
	EventHolePunch chat.EventType = "hole_punch"
)

// NodeEvent is the Data of a node event.
type NodeEvent struct {
	// Reachability is public, private or unknown.
	Reachability string `json:"reachability"`
	// RelayAddrs are the addresses through relays that hold a slot for
	// this node, with /p2p/<own id>.
	RelayAddrs []string `json:"relay_addrs"`
}

// Outcomes of a HolePunchEvent.
const (
	// HolePunchDirect: a direct connection exists now.
	HolePunchDirect = "direct"
	// HolePunchFailed: one attempt failed; libp2p tries up to three times.
	HolePunchFailed = "failed"
	// HolePunchError: the exchange over the relay failed; no more attempts.
	HolePunchError = "error"
)

// HolePunchEvent is the Data of a hole_punch event.
type HolePunchEvent struct {
	PeerID string `json:"peer_id"`
	// Outcome is direct, failed or error.
	Outcome string `json:"outcome"`
	// Method is "dial" when a plain dial to the peer's public address
	// worked (no punching needed), "punch" otherwise.
	Method    string  `json:"method"`
	ElapsedMS float64 `json:"elapsed_ms"`
	Error     string  `json:"error,omitempty"`
}

// watchNAT follows AutoNAT's verdict and AutoRelay's addresses: it keeps
// them for Info, logs them and announces them on the feed.
func (n *Node) watchNAT(ctx context.Context) error {
	return n.watch(ctx, "parley nat", []any{
		new(event.EvtLocalReachabilityChanged),
		new(event.EvtAutoRelayAddrsUpdated),
	}, n.handleNATEvent)
}

func (n *Node) handleNATEvent(e any) {
	switch e := e.(type) {
	case event.EvtLocalReachabilityChanged:
		n.reach.Store(int32(e.Reachability))
		n.log.Info("reachability", "now", reachabilityName(e.Reachability))
	case event.EvtAutoRelayAddrsUpdated:
		n.early.setRelayAddrs(e.RelayAddrs)
		addrs := p2pAddrs(e.RelayAddrs, n.host.ID())
		n.relayAddrs.Store(&addrs)
		if len(addrs) > 0 {
			n.log.Info("reachable through relays", "addrs", addrs)
		} else {
			n.log.Info("no relay holds a slot for this node")
		}
	default:
		return
	}
	n.feed.Publish(EventNode, NodeEvent{
		Reachability: reachabilityName(network.Reachability(n.reach.Load())),
		RelayAddrs:   n.RelayAddrs(),
	})
}

// RelayAddrs returns the node's addresses through relays, with /p2p/.
func (n *Node) RelayAddrs() []string {
	if p := n.relayAddrs.Load(); p != nil {
		return append([]string{}, (*p)...)
	}
	return []string{}
}

// holePunchTracer turns libp2p's hole punching trace into log lines and
// feed events. Trace runs on libp2p's goroutines and never blocks.
type holePunchTracer struct {
	log  *slog.Logger
	feed *chat.Feed
}

var _ holepunch.EventTracer = (*holePunchTracer)(nil)

// Trace implements holepunch.EventTracer.
func (t *holePunchTracer) Trace(evt *holepunch.Event) {
	ev := HolePunchEvent{PeerID: evt.Remote.String()}
	var elapsed time.Duration
	switch e := evt.Evt.(type) {
	case *holepunch.DirectDialEvt:
		if !e.Success {
			// Expected behind a NAT: punching comes next.
			t.log.Debug("hole punch: direct dial failed", "peer", evt.Remote, "err", e.Error)
			return
		}
		ev.Outcome, ev.Method, elapsed = HolePunchDirect, "dial", e.EllapsedTime
	case *holepunch.EndHolePunchEvt:
		ev.Outcome, ev.Method, elapsed, ev.Error = HolePunchFailed, "punch", e.EllapsedTime, e.Error
		if e.Success {
			ev.Outcome = HolePunchDirect
		}
	case *holepunch.ProtocolErrorEvt:
		ev.Outcome, ev.Method, ev.Error = HolePunchError, "punch", e.Error
	default:
		return
	}
	ev.ElapsedMS = float64(elapsed.Microseconds()) / 1000
	if ev.Outcome == HolePunchDirect {
		t.log.Info("hole punch: direct connection", "peer", evt.Remote, "method", ev.Method, "elapsed", elapsed.Round(time.Millisecond))
	} else {
		t.log.Info("hole punch: no direct connection yet; staying on the relay", "peer", evt.Remote, "outcome", ev.Outcome, "err", ev.Error)
	}
	t.feed.Publish(EventHolePunch, ev)
}
