package node

import "errors"

var (
	// ErrHomeLocked means another daemon runs on the same home directory.
	ErrHomeLocked = errors.New("another parley daemon holds this home")
	// ErrBadConfig means config.toml or a flag has an unknown key or a bad value.
	ErrBadConfig = errors.New("bad config")
	// ErrBadAddr means a multiaddr could not be parsed or lacks /p2p/<peer>.
	ErrBadAddr = errors.New("bad multiaddr")
	// ErrBadPeerID means a peer ID could not be parsed.
	ErrBadPeerID = errors.New("bad peer id")
	// ErrSelf means the request names this node itself.
	ErrSelf = errors.New("that is this node's own peer id")
	// ErrNotConnected means there is no connection to the peer.
	ErrNotConnected = errors.New("not connected to that peer")
	// ErrUnreachable means dialing the peer failed.
	ErrUnreachable = errors.New("peer unreachable")
	// ErrPeerNotFound means no routing (Parley's DHT, the public
	// rendezvous) knows the peer's addresses.
	ErrPeerNotFound = errors.New("cannot find peer")
	// ErrNotBootstrap means the peer is not one of the bootstrap peers.
	ErrNotBootstrap = errors.New("not a bootstrap peer")
	// ErrClosed means the node is shutting down.
	ErrClosed = errors.New("node is shutting down")
)
