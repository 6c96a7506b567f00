package node_test

import (
	"context"
	"slices"
	"testing"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"

	"github.com/parley-im/parley/node/nodetest"
)

// A node's own message reaches a peer on the topic before the two share a
// mesh. Both subscribe before they connect, so neither grafts the other
// until GossipSub's next heartbeat (up to a second later); a message
// published in between went to nobody, and was never gossiped later,
// before the node flood-published its own messages.
func TestOwnMessageReachesTopicPeerBeforeMeshForms(t *testing.T) {
	a, b := nodetest.New(t), nodetest.New(t)
	const topic = "/parley-test/before-mesh"
	ta, err := a.PubSub().Join(topic)
	if err != nil {
		t.Fatal(err)
	}
	joins, err := ta.EventHandler()
	if err != nil {
		t.Fatal(err)
	}
	defer joins.Cancel()
	if _, err := ta.Subscribe(); err != nil {
		t.Fatal(err)
	}
	tb, err := b.PubSub().Join(topic)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := tb.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Cancel()

	nodetest.Connect(t, a, b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		ev, err := joins.NextPeerEvent(ctx)
		if err != nil {
			t.Fatalf("A never saw B on the topic: %v", err)
		}
		if ev.Type == pubsub.PeerJoin && ev.Peer == b.Host().ID() {
			break
		}
	}
	// PeerJoin tells that A knows B's subscription, not that A can send
	// to B yet: ListPeers counts only peers with a send queue. Nothing
	// announces that, so this polls; the mesh forms only at the next
	// heartbeat, up to a second away.
	for !slices.Contains(ta.ListPeers(), b.Host().ID()) {
		select {
		case <-ctx.Done():
			t.Fatal("A knows B's subscription but never gets a send queue to B")
		case <-time.After(5 * time.Millisecond):
		}
	}
	if err := ta.Publish(ctx, []byte("first")); err != nil {
		t.Fatal(err)
	}
	msg, err := sub.Next(ctx)
	if err != nil {
		t.Fatalf("B did not get A's message: %v", err)
	}
	if string(msg.GetData()) != "first" || msg.GetFrom() != a.Host().ID() {
		t.Fatalf("B got %q from %s, want A's message", msg.GetData(), msg.GetFrom())
	}
}
