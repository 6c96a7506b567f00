package node

import (
	"context"
	"fmt"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
)

// MDNSServiceName is the mDNS service Parley nodes announce.
const MDNSServiceName = "_parley-discovery._udp"

// startMDNS announces the node on the LAN and connects to the Parley nodes
// it finds there.
func (n *Node) startMDNS(ctx context.Context) (stop func() error, err error) {
	found := make(chan peer.AddrInfo, 32)
	svc := mdns.NewMdnsService(n.host, MDNSServiceName, mdnsNotifee(found))
	if err := svc.Start(); err != nil {
		return nil, fmt.Errorf("mdns: %w", err)
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
