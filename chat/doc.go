// Package chat is the messenger itself: direct messages and friend requests
// over the /parley/dm protocol, groups on GossipSub, profile and presence
// publishing, history sync, and the event feed that the local API streams.
//
// It depends on libp2p interfaces (host.Host, *pubsub.PubSub,
// routing.ValueStore), on identity and on storage, never on package node, so
// that it runs unchanged on mocknet hosts in tests.
package chat
