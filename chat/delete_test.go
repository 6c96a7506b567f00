package chat

import (
	"testing"
	"time"

	"github.com/parley-im/parley/storage"
)

// Deleting a conversation drops what was still queued for the peer: it
// is never delivered, though Send kept its frame in memory.
func TestDeletedConversationIsNotSent(t *testing.T) {
	forTransports(t, testDeletedConversationIsNotSent)
}

func testDeletedConversationIsNotSent(t *testing.T, tr transport) {
	a, b := newTestPeer(t, tr), newTestPeer(t, tr)
	connect(t, a, b)
	befriend(t, a, b)
	b.stop()
	if _, err := a.svc.Send(b.id(), "never mind"); err != nil {
		t.Fatal(err)
	}
	if err := a.svc.DeleteConversation(b.id()); err != nil {
		t.Fatal(err)
	}
	after, err := a.svc.Send(b.id(), "this one")
	if err != nil {
		t.Fatal(err)
	}
	b.start()
	connect(t, a, b)
	a.waitEvent(10*time.Second, func(ev Event) bool {
		r, ok := ev.Data.(ReceiptEvent)
		return ok && r.MessageID == after.ID && r.Status == storage.StatusDelivered
	})
	got := b.history(a.id())
	if len(got) != 1 || got[0].Content != "this one" {
		t.Fatalf("receiver holds %+v, want only the message sent after the delete", got)
	}
}
