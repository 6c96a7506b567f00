package chat

import (
	"sync"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// topicTrace follows a test peer's GossipSub: it counts, per publisher,
// the topic messages handed to its subscriptions (DeliverMessage comes
// just before the hand-off, in the order of the subscription's queue), so
// that a test can wait for a message whose storing it cannot see (one
// that must not be stored); and it keeps the peer's mesh of each topic
// (a relayed message is forwarded at once only to mesh peers). It keeps
// counting across restarts of the peer.
type topicTrace struct {
	mu        sync.Mutex
	delivered map[peer.ID]int
	mesh      map[string]map[peer.ID]bool
}

func newTopicTrace() *topicTrace {
	return &topicTrace{delivered: make(map[peer.ID]int), mesh: make(map[string]map[peer.ID]bool)}
}

// inMesh reports whether p is in the peer's mesh of topic.
func (tt *topicTrace) inMesh(topic string, p peer.ID) bool {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	return tt.mesh[topic][p]
}

// Graft adds p to the mesh of topic.
func (tt *topicTrace) Graft(p peer.ID, topic string) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	if tt.mesh[topic] == nil {
		tt.mesh[topic] = make(map[peer.ID]bool)
	}
	tt.mesh[topic][p] = true
}

// Prune takes p out of the mesh of topic.
func (tt *topicTrace) Prune(p peer.ID, topic string) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	delete(tt.mesh[topic], p)
}

// count returns how many messages published by from were delivered.
func (tt *topicTrace) count(from peer.ID) int {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	return tt.delivered[from]
}

// DeliverMessage counts msg under its publisher.
func (tt *topicTrace) DeliverMessage(msg *pubsub.Message) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	tt.delivered[msg.GetFrom()]++
}

// The rest of pubsub.RawTracer is not traced.

func (*topicTrace) AddPeer(peer.ID, protocol.ID)                         {}
func (*topicTrace) RemovePeer(peer.ID)                                   {}
func (*topicTrace) OnNewOutboundStream(peer.ID, protocol.ID)             {}
func (*topicTrace) OnClosedOutboundStream(peer.ID)                       {}
func (*topicTrace) Join(string)                                          {}
func (*topicTrace) Leave(string)                                         {}
func (*topicTrace) ValidateMessage(*pubsub.Message)                      {}
func (*topicTrace) RejectMessage(*pubsub.Message, string)                {}
func (*topicTrace) DuplicateMessage(*pubsub.Message)                     {}
func (*topicTrace) ThrottlePeer(peer.ID)                                 {}
func (*topicTrace) RecvRPC(*pubsub.RPC)                                  {}
func (*topicTrace) SendRPC(*pubsub.RPC, peer.ID)                         {}
func (*topicTrace) SendRPCCompleted(*pubsub.RPC, peer.ID, time.Duration) {}
func (*topicTrace) DropRPC(*pubsub.RPC, peer.ID)                         {}
func (*topicTrace) UndeliverableMessage(*pubsub.Message)                 {}
