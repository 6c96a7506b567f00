package node_test

import (
	"context"
	"slices"
	"testing"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"

	"github.com/parley-im/parley/node"
	"github.com/parley-im/parley/node/nodetest"
)

// A node's own message reaches a peer on the topic before the two share a
// mesh. Both subscribe before they connect, so neither grafts the other
// until GossipSub's next heartbeat (up to a second later); a message
// published in between went to nobody, and was never gossiped later,
// before the node flood-published its own messages.
func TestOwnMessageReachesTopicPeerBeforeMeshForms(t *testing.T) {
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		a, b := nodetest.New(t, tr), nodetest.New(t, tr)
		const topic = "/parley-test/before-mesh"
		ta, _ := subscribe(t, a, topic)
		_, sub := subscribe(t, b, topic)

		nodetest.Connect(t, tr, a, b)
		// Wait until A can send to B: ListPeers counts only peers whose
		// subscription A knows and to which it has a send queue. Nothing
		// announces that, so this polls; the mesh forms only at the next
		// heartbeat, up to a second away.
		pollUntil(t, 10*time.Second, func() bool { return slices.Contains(ta.ListPeers(), b.Host().ID()) })

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
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
	})
}

// subscribe joins n to topic and subscribes to it until the test ends.
func subscribe(t *testing.T, n *node.Node, topic string) (*pubsub.Topic, *pubsub.Subscription) {
	t.Helper()
	tp, err := n.PubSub().Join(topic)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := tp.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sub.Cancel)
	return tp, sub
}
