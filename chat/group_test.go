package chat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/storage"
)

// groupOf starts an owner and members on tr, all connected to each other and
// friends of the owner, and makes a group that every member joined.
func groupOf(t *testing.T, tr transport, n int) (owner *testPeer, members []*testPeer, gid string) {
	t.Helper()
	return groupOfWith(t, tr, n, nil)
}

// groupOfWith is groupOf with every peer's service config changed by tweak.
func groupOfWith(t *testing.T, tr transport, n int, tweak func(*Config)) (owner *testPeer, members []*testPeer, gid string) {
	t.Helper()
	all := make([]*testPeer, n+1)
	for i := range all {
		all[i] = newTestPeerWith(t, tr, tweak)
	}
	for i := range all {
		for j := i + 1; j < len(all); j++ {
			connect(t, all[i], all[j])
		}
	}
	owner, members = all[0], all[1:]
	ids := make([]peer.ID, len(members))
	for i, m := range members {
		befriend(t, m, owner)
		ids[i] = m.id()
	}
	g, err := owner.svc.CreateGroup("climbers", ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		m.waitEvent(10*time.Second, groupAction(g.GroupID, GroupInvited))
		if _, err := m.svc.AcceptInvite(g.GroupID); err != nil {
			t.Fatal(err)
		}
	}
	waitMesh(t, g.GroupID, all)
	return owner, members, g.GroupID
}

func groupAction(gid, action string) func(Event) bool {
	return func(ev Event) bool {
		g, ok := ev.Data.(GroupEvent)
		return ok && g.Group.GroupID == gid && g.Action == action
	}
}

// waitMesh waits until every peer sees every other on the group topic, so
// that a publish reaches all of them.
func waitMesh(t *testing.T, gid string, peers []*testPeer) {
	t.Helper()
	for _, p := range peers {
		pollUntil(t, fmt.Sprintf("%s sees the group's peers", p.id()), func() bool {
			return len(p.topicPeers(gid)) >= len(peers)-1
		})
	}
}

// topicPeers lists the peers p sees on the group's topic.
func (p *testPeer) topicPeers(gid string) []peer.ID {
	p.svc.topics.mu.Lock()
	gt := p.svc.topics.joined[gid]
	p.svc.topics.mu.Unlock()
	if gt == nil {
		return nil
	}
	return gt.topic.ListPeers()
}

// groupHistory returns a member's messages of a group, oldest first.
func (p *testPeer) groupHistory(gid string) []storage.Message {
	p.t.Helper()
	page, err := p.svc.GroupHistory(gid, "", 500)
	if err != nil {
		p.t.Fatal(err)
	}
	slices.Reverse(page.Messages)
	return page.Messages
}

// waitGroupMessages waits until p holds n messages of the group,
// counting in the database on each event (the queue may hold events of
// messages already counted).
func (p *testPeer) waitGroupMessages(gid string, n int, timeout time.Duration) {
	p.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for len(p.groupHistory(gid)) < n {
		select {
		case <-p.queue.ready:
			p.queue.take()
		case <-deadline.C:
			p.t.Fatalf("%s holds %d messages of the group after %v, want %d",
				p.id(), len(p.groupHistory(gid)), timeout, n)
		}
	}
}

func TestGroupMembersGetEveryMessageOnceInOrder(t *testing.T) {
	forTransports(t, testGroupMembersGetEveryMessageOnceInOrder)
}

func testGroupMembersGetEveryMessageOnceInOrder(t *testing.T, tr transport) {
	owner, members, gid := groupOf(t, tr, 3)
	everyone := append([]*testPeer{owner}, members...)
	const perMember = 10
	for i := range perMember {
		for j, p := range everyone {
			if _, err := p.svc.SendGroup(gid, fmt.Sprintf("from %d: %d", j, i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	total := perMember * len(everyone)
	var want []string
	for _, p := range everyone {
		p.waitGroupMessages(gid, total, 20*time.Second)
		hist := p.groupHistory(gid)
		if len(hist) != total {
			t.Fatalf("%s holds %d messages, want exactly %d", p.id(), len(hist), total)
		}
		if !slices.IsSortedFunc(hist, func(a, b storage.Message) int {
			if c := a.SentAt.Compare(b.SentAt); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		}) {
			t.Fatalf("%s history is not in (sent time, id) order", p.id())
		}
		var ids []string
		for _, m := range hist {
			ids = append(ids, m.ID)
		}
		if want == nil {
			want = ids
		} else if !slices.Equal(ids, want) {
			t.Fatalf("%s history differs from the owner's", p.id())
		}
	}
}

func TestOutsiderSeesOnlyCiphertextAndCannotPost(t *testing.T) {
	forTransports(t, testOutsiderSeesOnlyCiphertextAndCannotPost)
}

func testOutsiderSeesOnlyCiphertextAndCannotPost(t *testing.T, tr transport) {
	owner, members, gid := groupOf(t, tr, 2)
	e := rawHost(t, tr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ps, err := pubsub.NewGossipSub(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range append([]*testPeer{owner}, members...) {
		if err := e.Connect(ctx, peer.AddrInfo{ID: p.id(), Addrs: p.host.Addrs()}); err != nil {
			t.Fatal(err)
		}
	}
	topic, err := ps.Join(GroupTopic(gid))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := topic.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	pollUntil(t, "the outsider sees the group's peers", func() bool { return len(topic.ListPeers()) >= 3 })
	// The owner sends its own messages to every topic peer it knows of;
	// until it has heard of the outsider's subscription, the outsider is
	// in no one's mesh and would get nothing.
	pollUntil(t, "the owner sees the outsider on the topic", func() bool {
		return slices.Contains(owner.topicPeers(gid), e.ID())
	})

	const secret = "the crag is at the old quarry"
	if _, err := owner.svc.SendGroup(gid, secret); err != nil {
		t.Fatal(err)
	}
	rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
	defer rcancel()
	msg, err := sub.Next(rctx)
	if err != nil {
		t.Fatalf("the outsider got nothing: %v", err)
	}
	if strings.Contains(string(msg.Data), secret) || strings.Contains(string(msg.Data), "quarry") {
		t.Fatal("the outsider read the plaintext")
	}

	// The outsider posts garbage and a replay of the sealed frame under
	// its own name: every member drops both.
	for _, data := range [][]byte{[]byte("let me in"), msg.Data} {
		if err := topic.Publish(ctx, data); err != nil {
			t.Fatal(err)
		}
	}
	// A member's next message arrives after the outsider's; once it is
	// stored, the outsider's would have been too.
	if _, err := members[0].svc.SendGroup(gid, "marker"); err != nil {
		t.Fatal(err)
	}
	owner.waitGroupMessages(gid, 2, 10*time.Second)
	for _, p := range append([]*testPeer{owner}, members...) {
		p.waitGroupMessages(gid, 2, 10*time.Second)
		for _, m := range p.groupHistory(gid) {
			if m.Sender == e.ID().String() {
				t.Fatalf("%s stored a message of the outsider", p.id())
			}
		}
		if n := len(p.groupHistory(gid)); n != 2 {
			t.Fatalf("%s holds %d messages, want 2", p.id(), n)
		}
	}
}

func TestKickedMemberCannotReadWhatFollows(t *testing.T) {
	forTransports(t, testKickedMemberCannotReadWhatFollows)
}

func testKickedMemberCannotReadWhatFollows(t *testing.T, tr transport) {
	owner, members, gid := groupOf(t, tr, 3)
	b, c, d := members[0], members[1], members[2]
	if _, err := owner.svc.SendGroup(gid, "before"); err != nil {
		t.Fatal(err)
	}
	for _, p := range members {
		p.waitGroupMessages(gid, 1, 10*time.Second)
	}
	if _, err := owner.svc.KickFromGroup(gid, d.id()); err != nil {
		t.Fatal(err)
	}
	d.waitEvent(10*time.Second, groupAction(gid, GroupRemoved))
	// B and C get the new key; wait until they are on the new epoch.
	for _, p := range []*testPeer{b, c} {
		p.waitEvent(10*time.Second, func(ev Event) bool {
			g, ok := ev.Data.(GroupEvent)
			return ok && g.Group.GroupID == gid && g.Group.Epoch == 2
		})
	}
	for i := range 5 {
		if _, err := owner.svc.SendGroup(gid, fmt.Sprintf("after %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.svc.SendGroup(gid, "b after"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*testPeer{b, c} {
		p.waitGroupMessages(gid, 7, 10*time.Second)
	}
	if got := d.groupHistory(gid); len(got) != 1 || got[0].Content != "before" {
		t.Fatalf("the kicked member holds %d messages (%v), want only the one before the kick", len(got), got)
	}
	if _, err := d.svc.SendGroup(gid, "still here"); err == nil {
		t.Fatal("the kicked member could still send")
	}
	if v, _ := d.svc.Group(gid); v.Status != storage.GroupRemoved {
		t.Fatalf("kicked member's group status = %s", v.Status)
	}
}

func TestMemberBackFromOfflineSyncsMissedMessages(t *testing.T) {
	forTransports(t, testMemberBackFromOfflineSyncsMissedMessages)
}

func testMemberBackFromOfflineSyncsMissedMessages(t *testing.T, tr transport) {
	owner, members, gid := groupOf(t, tr, 2)
	b, c := members[0], members[1]
	c.stop()
	const n = 100
	for i := range n {
		sender := owner
		if i%2 == 1 {
			sender = b
		}
		if _, err := sender.svc.SendGroup(gid, fmt.Sprintf("while c was away %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	owner.waitGroupMessages(gid, n, 10*time.Second)
	b.waitGroupMessages(gid, n, 10*time.Second)

	start := time.Now()
	c.start()
	connect(t, c, owner)
	connect(t, c, b)
	c.waitGroupMessages(gid, n, 10*time.Second)
	t.Logf("c caught up on %d messages in %v", n, time.Since(start).Round(time.Millisecond))
	hist := c.groupHistory(gid)
	if len(hist) != n {
		t.Fatalf("c holds %d messages, want exactly %d", len(hist), n)
	}
}

// A message that GossipSub lost on the way to members who stay connected
// (here: stored by its author and never published) reaches them with the
// periodic group sync.
func TestConnectedMembersGetLostMessageByPeriodicSync(t *testing.T) {
	forTransports(t, testConnectedMembersGetLostMessageByPeriodicSync)
}

func testConnectedMembersGetLostMessageByPeriodicSync(t *testing.T, tr transport) {
	owner, members, gid := groupOfWith(t, tr, 2, func(c *Config) { c.GroupSyncInterval = 200 * time.Millisecond })
	lost := storeUnpublished(t, owner, gid, "lost on the way")
	for _, m := range members {
		m.waitGroupMessages(gid, 1, 10*time.Second)
		if hist := m.groupHistory(gid); len(hist) != 1 || hist[0].ID != lost.ID || hist[0].Sender != owner.id().String() {
			t.Fatalf("%s holds %+v, want only the lost message from the owner", m.id(), hist)
		}
	}
}

// storeUnpublished has p write a signed group message into its own
// history without publishing it, as if every copy was lost in transit.
func storeUnpublished(t *testing.T, p *testPeer, gid, text string) storage.Message {
	t.Helper()
	v, ok := p.svc.groups.get(gid)
	if !ok {
		t.Fatalf("%s has no group %s", p.id(), gid)
	}
	gm, sm, err := p.svc.newGroupMessage(v, text)
	if err != nil {
		t.Fatal(err)
	}
	m, err := p.svc.storeGroupMessage(gid, gm, sm, p.id())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSyncStartsBeforeTheLastSync(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	const lookback = 10 * time.Minute
	for _, c := range []struct {
		name             string
		newest, lastSync time.Time
		want             time.Time
	}{
		{"nothing held: everything", time.Time{}, now, time.Time{}},
		{"no sync with that member yet: a lookback before the newest", now, time.Time{}, now.Add(-lookback - syncOverlap)},
		{"synced after the newest: before the newest", now, now.Add(time.Minute), now.Add(-syncOverlap)},
		{"newer messages since the last sync: before the sync", now, now.Add(-30 * time.Minute), now.Add(-30*time.Minute - syncOverlap)},
	} {
		if got := syncStart(c.newest, c.lastSync, lookback); !got.Equal(c.want) {
			t.Errorf("%s: syncStart = %v, want %v", c.name, got, c.want)
		}
	}
}

// A member away while the group was renamed and then moved to a new epoch
// gets the new key with a state its chain cannot judge yet (it skips the
// rename): the key waits until history sync brings the chain up to that
// state, and the member then reads and writes in the new epoch.
func TestMemberBackFromOfflineTakesTheKeyOfAMissedEpoch(t *testing.T) {
	forTransports(t, testMemberBackFromOfflineTakesTheKeyOfAMissedEpoch)
}

func testMemberBackFromOfflineTakesTheKeyOfAMissedEpoch(t *testing.T, tr transport) {
	owner, members, gid := groupOf(t, tr, 3)
	b, c, d := members[0], members[1], members[2]
	c.stop()
	if _, err := owner.svc.RenameGroup(gid, "boulderers"); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.svc.KickFromGroup(gid, d.id()); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.svc.SendGroup(gid, "in epoch 2"); err != nil {
		t.Fatal(err)
	}
	c.start()
	connect(t, c, owner)
	connect(t, c, b)
	c.waitGroupMessages(gid, 1, 10*time.Second)
	pollUntil(t, "c takes the key of epoch 2", func() bool {
		v, ok := c.svc.groups.get(gid)
		return ok && v.state.GetEpoch() == 2 && v.keys[2] != nil
	})
	if !bytes.Equal(c.heldKey(gid, 2), owner.heldKey(gid, 2)) {
		t.Fatal("c holds another key of epoch 2 than the owner")
	}
	if k := d.heldKey(gid, 2); k != nil {
		t.Fatal("the kicked member holds the key of epoch 2")
	}
	if v, _ := c.svc.Group(gid); v.GroupName != "boulderers" || v.Version != 3 {
		t.Fatalf("c holds %q at version %d, want boulderers at 3", v.GroupName, v.Version)
	}
	waitMesh(t, gid, []*testPeer{owner, b, c})
	if _, err := c.svc.SendGroup(gid, "back"); err != nil {
		t.Fatal(err)
	}
	owner.waitGroupMessages(gid, 2, 10*time.Second)
}

// A member removed before it accepted its invitation is told so, and can
// no longer accept it.
func TestInvitedMemberRemovedBeforeAcceptingCannotJoin(t *testing.T) {
	forTransports(t, testInvitedMemberRemovedBeforeAcceptingCannotJoin)
}

func testInvitedMemberRemovedBeforeAcceptingCannotJoin(t *testing.T, tr transport) {
	owner, d := newTestPeer(t, tr), newTestPeer(t, tr)
	connect(t, owner, d)
	befriend(t, d, owner)
	g, err := owner.svc.CreateGroup("climbers", []peer.ID{d.id()})
	if err != nil {
		t.Fatal(err)
	}
	d.waitEvent(10*time.Second, groupAction(g.GroupID, GroupInvited))
	if _, err := owner.svc.KickFromGroup(g.GroupID, d.id()); err != nil {
		t.Fatal(err)
	}
	d.waitEvent(10*time.Second, groupAction(g.GroupID, GroupRemoved))
	if _, err := d.svc.AcceptInvite(g.GroupID); !errors.Is(err, ErrConflict) {
		t.Fatalf("accepting a withdrawn invitation: err = %v, want ErrConflict", err)
	}
	if v, _ := d.svc.Group(g.GroupID); v.Status != storage.GroupRemoved {
		t.Fatalf("the removed invitee's group is %s, want removed", v.Status)
	}
}
