package node

import (
	"context"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
)

// MDNSServiceName is the mDNS service Parley nodes announce.
const MDNSServiceName = "_parley-discovery._udp"

// mdnsRetry is how often a node whose mDNS could not start tries again.
// mDNS needs an interface that carries multicast; a laptop with its network
// off, or a container with loopback only, has none, and such a node must
// still start (its friends reach it once it is online) and find the LAN
// once it joins one.
const mdnsRetry = 10 * time.Second

// startMDNS announces the node on the LAN and connects to the Parley nodes
// it finds there, until ctx ends. When mDNS cannot start it says so (before
// the node reports ready) and tries again every mdnsRetry.
func (n *Node) startMDNS(ctx context.Context) {
	found := make(chan peer.AddrInfo, 32)
	svc, err := n.newMDNS(found)
	if err != nil {
		n.log.Warn("mdns: not started, no LAN discovery for now; trying again every "+mdnsRetry.String(), "err", err)
	}
	n.wg.Go(func() { n.runMDNS(ctx, found, svc) })
	n.wg.Go(func() { n.connectFound(ctx, found) })
}

// newMDNS starts an mDNS service; nil and the error when it cannot start.
func (n *Node) newMDNS(found chan<- peer.AddrInfo) (mdns.Service, error) {
	svc := mdns.NewMdnsService(n.host, MDNSServiceName, mdnsNotifee(found))
	if err := svc.Start(); err != nil {
		svc.Close() // releases what the failed start made
		return nil, err
	}
	return svc, nil
}

// runMDNS retries the start of mDNS while svc is nil, and closes the
// service when ctx ends.
func (n *Node) runMDNS(ctx context.Context, found chan<- peer.AddrInfo, svc mdns.Service) {
	retry := time.NewTicker(mdnsRetry)
	defer retry.Stop()
	for svc == nil {
		select {
		case <-ctx.Done():
			return
		case <-retry.C:
		}
		var err error
		if svc, err = n.newMDNS(found); err == nil {
			n.log.Info("mdns: started; looking for Parley nodes on the LAN")
		}
	}
	<-ctx.Done()
	if err := svc.Close(); err != nil {
		n.log.Debug("mdns: close", "err", err)
	}
}

// connectFound connects to the peers mDNS finds.
func (n *Node) connectFound(ctx context.Context, found <-chan peer.AddrInfo) {
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
