package node

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
)

// Bootstrap reconnection backoff: from minBackoff, doubling, up to
// maxBackoff, with ±20% jitter so that many nodes don't retry in step.
const (
	minBackoff = time.Second
	maxBackoff = 5 * time.Minute
)

// keepConnected holds a connection to a bootstrap peer for the life of ctx,
// redialing with backoff when it drops or cannot be reached.
func (n *Node) keepConnected(ctx context.Context, ai peer.AddrInfo) {
	sub, err := n.host.EventBus().Subscribe(new(event.EvtPeerConnectednessChanged))
	if err != nil {
		n.log.Warn("bootstrap: cannot watch connections", "peer", ai.ID, "err", err)
		return
	}
	defer sub.Close()
	backoff := minBackoff
	for ctx.Err() == nil {
		if n.host.Network().Connectedness(ai.ID) != network.Connected {
			dctx, cancel := context.WithTimeout(ctx, connectTimeout)
			err := n.host.Connect(dctx, ai)
			cancel()
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				wait := jitter(backoff)
				n.log.Warn("bootstrap peer unreachable", "peer", ai.ID, "retry_in", wait.Round(time.Second), "err", err)
				if !sleepCtx(ctx, wait) {
					return
				}
				backoff = min(backoff*2, maxBackoff)
				continue
			}
			n.log.Info("connected to bootstrap peer", "peer", ai.ID)
			backoff = minBackoff
		}
		// Connected: wait until this peer drops.
		if !waitDisconnect(ctx, sub, ai.ID) {
			return
		}
	}
}

func waitDisconnect(ctx context.Context, sub event.Subscription, p peer.ID) bool {
	for {
		select {
		case <-ctx.Done():
			return false
		case e, ok := <-sub.Out():
			if !ok {
				return false
			}
			ev := e.(event.EvtPeerConnectednessChanged)
			if ev.Peer == p && ev.Connectedness == network.NotConnected {
				return true
			}
		}
	}
}

func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// sleepCtx waits for d or ctx, whichever ends first; it reports whether
// the full time passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// MDNSServiceName is the mDNS service Parley nodes announce.
const MDNSServiceName = "_parley-discovery._udp"

// startMDNS announces the node on the LAN and connects to the Parley nodes
// it finds there.
func (n *Node) startMDNS(ctx context.Context) (stop func() error, err error) {
	found := make(chan peer.AddrInfo, 32)
	svc := mdns.NewMdnsService(n.host, MDNSServiceName, mdnsNotifee(found))
	if err := svc.Start(); err != nil {
		return nil, err
	}
	n.wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case ai := <-found:
				if ai.ID == n.host.ID() || n.host.Network().Connectedness(ai.ID) == network.Connected {
					continue
				}
				dctx, cancel := context.WithTimeout(ctx, connectTimeout)
				if err := n.host.Connect(dctx, ai); err != nil {
					n.log.Debug("mdns: connect failed", "peer", ai.ID, "err", err)
				} else {
					n.log.Info("mdns: connected", "peer", ai.ID)
				}
				cancel()
			}
		}
	})
	return svc.Close, nil
}

// mdnsNotifee hands found peers to the connecting goroutine without ever
// blocking the mDNS resolver: when the queue is full, a find is dropped
// (the peer announces itself again).
type mdnsNotifee chan<- peer.AddrInfo

func (c mdnsNotifee) HandlePeerFound(ai peer.AddrInfo) {
	select {
	case c <- ai:
	default:
	}
}
