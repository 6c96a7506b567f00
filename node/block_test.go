package node_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/node"
	"github.com/parley-im/parley/node/nodetest"
	"github.com/parley-im/parley/storage"
)

// befriendNodes makes a and b friends through a friend request.
func befriendNodes(t *testing.T, tr nodetest.Transport, a, b *node.Node) {
	t.Helper()
	nodetest.Connect(t, tr, a, b)
	aID, bID := a.Host().ID(), b.Host().ID()
	if _, err := a.Chat().AddFriend(bID, ""); err != nil {
		t.Fatal(err)
	}
	var reqID string
	pollUntil(t, 10*time.Second, func() bool {
		reqs, err := b.Chat().Requests()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range reqs {
			if r.ReqUserID == aID.String() && r.Status == storage.RequestPending {
				reqID = r.ID
				return true
			}
		}
		return false
	})
	if _, err := b.Chat().AcceptRequest(reqID); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, 10*time.Second, func() bool {
		c, err := a.Chat().Contact(bID)
		return err == nil && c.Friend
	})
}

// history returns the contents of n's conversation with p.
func historyWith(t *testing.T, n *node.Node, p peer.ID) []string {
	t.Helper()
	page, err := n.Chat().History(p, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range page.Messages {
		out = append(out, m.Content)
	}
	return out
}

// messageStatus returns the status of n's message id to p.
func messageStatus(t *testing.T, n *node.Node, p peer.ID, id string) storage.MessageStatus {
	t.Helper()
	page, err := n.Chat().History(p, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range page.Messages {
		if m.ID == id {
			return m.Status
		}
	}
	t.Fatalf("message %s to %s is gone", id, p)
	return ""
}

// While A blocks B, their connections are refused both ways (B dialing A,
// A dialing B, A's own redials), and what B sends waits in B's outbox;
// after the unblock that is refused for good (it was sent during the
// block), and what B sends then is delivered.
func TestBlockRefusesPeerBothWays(t *testing.T) {
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		a, b := nodetest.New(t, tr), nodetest.New(t, tr)
		aID, bID := a.Host().ID(), b.Host().ID()
		befriendNodes(t, tr, a, b)
		sub := a.Feed().Subscribe(0)
		t.Cleanup(sub.Close)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()

		if _, err := a.Chat().Block(bID); err != nil {
			t.Fatal(err)
		}
		pollUntil(t, 10*time.Second, func() bool {
			return a.Host().Network().Connectedness(bID) == network.NotConnected
		})
		during, err := b.Chat().Send(aID, "sent during the block")
		if err != nil {
			t.Fatal(err)
		}
		// B dials A, as its outbox does; over QUIC B's side of the
		// handshake may count as connected for a moment, so A's side tells.
		_, err = b.Connect(ctx, nodetest.Addr(t, tr, a))
		t.Logf("B connecting to A during the block: %v", err)
		if _, err := a.Connect(ctx, nodetest.Addr(t, tr, b)); !errors.Is(err, chat.ErrBlocked) {
			t.Fatalf("A connecting to the peer it blocks: %v, want ErrBlocked", err)
		}
		// Below the node's Connect, the host's own dials are refused too.
		if err := a.Host().Connect(ctx, peer.AddrInfo{ID: bID}); err == nil {
			t.Fatal("A's host dialed the peer it blocks")
		}
		if e, ok := nextPeerEvent(sub, chat.EventPeerConnected, bID, redialMargin); ok {
			pe := e.Data.(chat.PeerEvent)
			t.Fatalf("B connected (%s via %s) while blocked", pe.Direction, pe.Addr)
		}
		if c := a.Host().Network().Connectedness(bID); c != network.NotConnected {
			t.Fatalf("A's connectedness to blocked B: %s", c)
		}
		if got := historyWith(t, a, bID); slices.Contains(got, during.Content) {
			t.Fatal("A stored a message of the peer it blocks")
		}

		if _, err := a.Chat().Unblock(bID); err != nil {
			t.Fatal(err)
		}
		after, err := b.Chat().Send(aID, "sent after the unblock")
		if err != nil {
			t.Fatal(err)
		}
		pollUntil(t, 20*time.Second, func() bool {
			return slices.Contains(historyWith(t, a, bID), after.Content)
		})
		pollUntil(t, 10*time.Second, func() bool {
			return messageStatus(t, b, aID, during.ID) == storage.StatusFailed
		})
		if got := historyWith(t, a, bID); slices.Contains(got, during.Content) {
			t.Fatalf("after the unblock A stored what B sent during the block: %q", got)
		}
	})
}
