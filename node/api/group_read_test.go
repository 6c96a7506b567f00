package api_test

import (
	"context"
	"testing"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/node/api"
	"github.com/parley-im/parley/node/nodetest"
	"github.com/parley-im/parley/storage"
)

// POST /v1/groups/{group}/read zeroes a group conversation's unread
// count, which only grew before (the page had no way to clear it).
func TestGroupReadClearsUnread(t *testing.T) {
	t.Parallel()
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		a, b := serve(t, tr), serve(t, tr)
		befriend(t, tr, a, b)
		ctx := context.Background()
		bID := b.node.Info().PeerID
		g, err := a.client.CreateGroup(ctx, "reading", []string{bID})
		if err != nil {
			t.Fatal(err)
		}
		awaitEvent(t, b.client, "B is invited", []string{"group"}, func(ev api.Event) bool {
			return decode[chat.GroupEvent](t, ev).Group.GroupID == g.GroupID
		})
		if n, err := b.client.MarkGroupRead(ctx, g.GroupID); err != nil || n != 0 {
			t.Fatalf("reading a group with no messages: %d, %v; want 0, nil", n, err)
		}
		if _, err := b.client.AnswerGroupInvite(ctx, g.GroupID, "accept"); err != nil {
			t.Fatal(err)
		}
		awaitEvent(t, a.client, "A sees B join", []string{"group"}, func(ev api.Event) bool {
			v := decode[chat.GroupEvent](t, ev).Group
			return v.GroupID == g.GroupID && len(v.Members) == 2
		})
		m, err := a.client.SendGroup(ctx, g.GroupID, "read me")
		if err != nil {
			t.Fatal(err)
		}
		awaitEvent(t, b.client, "B gets the message", []string{"message"}, func(ev api.Event) bool {
			return decode[storage.Message](t, ev).ID == m.ID
		})
		unread := func() int {
			convs, err := b.client.Conversations(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range convs {
				if c.ID == chat.GroupConversationID(g.GroupID) {
					return c.Unread
				}
			}
			t.Fatalf("B has no conversation of group %s", g.GroupID)
			return 0
		}
		if got := unread(); got != 1 {
			t.Fatalf("B's group conversation has %d unread, want 1", got)
		}
		if n, err := b.client.MarkGroupRead(ctx, "reading"); err != nil || n != 1 {
			t.Fatalf("MarkGroupRead by name: %d, %v; want 1", n, err)
		}
		if got := unread(); got != 0 {
			t.Errorf("after reading, %d unread, want 0", got)
		}
		if _, err := b.client.MarkGroupRead(ctx, "no such group"); err == nil {
			t.Error("reading an unknown group succeeded")
		}
	})
}
