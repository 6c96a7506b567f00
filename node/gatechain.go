package node

import (
	coreconnmgr "github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// gateChain is a connection gater made of several: a connection passes
// when every one of them allows it, asked in order.
type gateChain []coreconnmgr.ConnectionGater

var _ coreconnmgr.ConnectionGater = gateChain(nil)

// InterceptPeerDial asks every gater.
func (g gateChain) InterceptPeerDial(p peer.ID) bool {
	for _, x := range g {
		if !x.InterceptPeerDial(p) {
			return false
		}
	}
	return true
}

// InterceptAddrDial asks every gater.
func (g gateChain) InterceptAddrDial(p peer.ID, a ma.Multiaddr) bool {
	for _, x := range g {
		if !x.InterceptAddrDial(p, a) {
			return false
		}
	}
	return true
}

// InterceptAccept asks every gater.
func (g gateChain) InterceptAccept(c network.ConnMultiaddrs) bool {
	for _, x := range g {
		if !x.InterceptAccept(c) {
			return false
		}
	}
	return true
}

// InterceptSecured asks every gater.
func (g gateChain) InterceptSecured(d network.Direction, p peer.ID, c network.ConnMultiaddrs) bool {
	for _, x := range g {
		if !x.InterceptSecured(d, p, c) {
			return false
		}
	}
	return true
}

// InterceptUpgraded asks every gater; the first refusal gives the reason.
func (g gateChain) InterceptUpgraded(c network.Conn) (bool, control.DisconnectReason) {
	for _, x := range g {
		if ok, reason := x.InterceptUpgraded(c); !ok {
			return false, reason
		}
	}
	return true, 0
}
