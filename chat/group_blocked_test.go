package chat

import (
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/chat/pb"
	"github.com/parley-im/parley/storage"
)

// While A blocks B, nothing B posts in a group with A and C is stored by
// A, though C relays it on the topic; a sync with C after the unblock
// does not bring it either, and A's own sync does not serve B's posts
// while the block lasts. B's posts after the unblock arrive (issue 11
// item 9).
func TestBlockedAuthorsGroupPostsAreNotStored(t *testing.T) {
	forTransports(t, testBlockedAuthorsGroupPostsAreNotStored)
}

func testBlockedAuthorsGroupPostsAreNotStored(t *testing.T, tr transport) {
	a, members, gid := groupOf(t, tr, 2)
	b, c := members[0], members[1]
	if _, err := b.svc.SendGroup(gid, "before the block"); err != nil {
		t.Fatal(err)
	}
	a.waitGroupMessages(gid, 1, 10*time.Second)
	if _, err := a.svc.Block(b.id()); err != nil {
		t.Fatal(err)
	}
	if got := groupAuthors(t, a, gid, c.id()); slices.Contains(got, b.id()) {
		t.Errorf("while the block lasts A's sync serves B's posts: authors %v", got)
	}
	// C forwards what B posts at once only to the peers of its mesh.
	pollUntil(t, "A is in C's mesh of the group topic", func() bool { return c.topics.inMesh(GroupTopic(gid), a.id()) })
	if _, err := b.svc.SendGroup(gid, "while blocked"); err != nil {
		t.Fatal(err)
	}
	c.waitGroupMessages(gid, 2, 10*time.Second)
	// A's GossipSub hands B's post, relayed by C, to A's topic reader; C's
	// post queues behind it there.
	pollUntil(t, "B's post while blocked reaches A's topic reader", func() bool { return a.topics.count(b.id()) == 2 })
	if _, err := c.svc.SendGroup(gid, "from C"); err != nil {
		t.Fatal(err)
	}
	a.waitGroupMessages(gid, 2, 10*time.Second)
	if holdsContent(a, gid, "while blocked") {
		t.Fatal("A stored the post of the peer it blocks, relayed by C")
	}
	if _, err := a.svc.Unblock(b.id()); err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.syncFrom(gid, c.id(), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if holdsContent(a, gid, "while blocked") {
		t.Fatal("after the unblock, a sync with C brought A the post sent within the block")
	}
	if got := groupAuthors(t, a, gid, c.id()); !slices.Contains(got, b.id()) {
		t.Errorf("after the unblock A's sync does not serve B's post from before the block: authors %v", got)
	}
	if _, err := b.svc.SendGroup(gid, "after the unblock"); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, "B's post after the unblock reaches A", func() bool { return holdsContent(a, gid, "after the unblock") })
	if holdsContent(a, gid, "while blocked") {
		t.Fatal("A holds the post sent within the block")
	}
}

// groupAuthors returns the authors of the messages p's sync serves to
// asker for the whole group.
func groupAuthors(t *testing.T, p *testPeer, gid string, asker peer.ID) []peer.ID {
	t.Helper()
	gidb, _ := idBytes(gid)
	items, err := p.svc.syncItems(asker, &pb.SyncRequest{GroupId: gidb, Limit: syncPage})
	if err != nil {
		t.Fatal(err)
	}
	var out []peer.ID
	for _, it := range items {
		if sm := it.GetMessage(); sm != nil {
			_, author, err := openMessage(sm)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, author)
		}
	}
	return out
}

func holdsContent(p *testPeer, gid, content string) bool {
	return slices.ContainsFunc(p.groupHistory(gid), func(m storage.Message) bool { return m.Content == content })
}
