package chat

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/proto"

	"github.com/parley-im/parley/chat/pb"
	"github.com/parley-im/parley/storage"
)

// forgedState is the group as held by victim, rewritten by the adversary:
// it owns the group, the victim is its only other member, at version and
// epoch; signed by the adversary.
func forgedState(adv *adversary, victim *testPeer, gid string, version, epoch uint64) *pb.SignedState {
	st := victim.heldState(gid)
	now := time.Now().UnixNano()
	st.Owner = []byte(adv.id())
	st.Version, st.Epoch, st.UpdatedAt = version, epoch, now
	st.Members = []*pb.GroupState_Member{
		{Peer: []byte(adv.id()), Role: pb.GroupState_OWNER, JoinTime: now, JoinEpoch: 1},
		{Peer: []byte(victim.id()), Role: pb.GroupState_MEMBER, JoinTime: now, JoinEpoch: 1},
	}
	return adv.signState(st)
}

// Item 1 of issue 11: a friend of a member, from outside the group,
// forges invitations and key updates for the group the member holds, with
// a key of its own. None changes the member's key or state; after a
// restart the member's next post is read by the other members and does
// not open with the forged key.
func TestForgedInviteCannotReplaceGroupKey(t *testing.T) {
	forTransports(t, testForgedInviteCannotReplaceGroupKey)
}

func testForgedInviteCannotReplaceGroupKey(t *testing.T, tr transport) {
	owner, members, gid := groupOf(t, tr, 2)
	b, c := members[0], members[1]
	adv := newAdversary(t, tr)
	adv.befriend(b)
	realKey, held := b.heldKey(gid, 1), b.heldState(gid)
	forged := newGroupKey()
	for _, attack := range []struct {
		name  string
		frame *pb.Frame
	}{
		{"invite at the held version", adv.inviteFrame(forgedState(adv, b, gid, 1, 1), 1, forged)},
		{"invite one version ahead", adv.inviteFrame(forgedState(adv, b, gid, 2, 1), 1, forged)},
		{"invite versions ahead", adv.inviteFrame(forgedState(adv, b, gid, 9, 1), 1, forged)},
		{"invite of the next epoch", adv.inviteFrame(forgedState(adv, b, gid, 2, 2), 2, forged)},
		{"key of the held epoch", adv.keyFrame(forgedState(adv, b, gid, 2, 1), 1, forged)},
		{"key of the next epoch", adv.keyFrame(forgedState(adv, b, gid, 2, 2), 2, forged)},
	} {
		if _, err := adv.send(b, attack.frame); err != nil {
			t.Fatalf("%s: %v", attack.name, err)
		}
		if k := b.heldKey(gid, 1); !bytes.Equal(k, realKey) {
			t.Errorf("%s: the member's key of epoch 1 changed", attack.name)
		}
		if k := b.heldKey(gid, 2); k != nil {
			t.Errorf("%s: the member holds a key for epoch 2, which its chain never reached", attack.name)
		}
		if st := b.heldState(gid); !proto.Equal(st, held) {
			t.Errorf("%s: the member's state changed to version %d by %x", attack.name, st.GetVersion(), st.GetOwner())
		}
	}

	// The after-effect: a reload of the group, then a post.
	b.restart()
	for _, p := range []*testPeer{owner, c} {
		connect(t, b, p)
	}
	adv.connect(b)
	_, sub := adv.joinTopic(gid)
	waitMesh(t, gid, []*testPeer{owner, b, c})
	pollUntil(t, "the member sees the adversary on the topic", func() bool {
		for _, p := range b.topicPeers(gid) {
			if p == adv.id() {
				return true
			}
		}
		return false
	})
	if _, err := b.svc.SendGroup(gid, "after the forgeries"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*testPeer{owner, c} {
		p.waitGroupMessages(gid, 1, 10*time.Second)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msg, err := sub.Next(ctx)
	if err != nil {
		t.Fatalf("the adversary got no envelope of the member: %v", err)
	}
	env := new(pb.GroupEnvelope)
	if err := proto.Unmarshal(msg.GetData(), env); err != nil {
		t.Fatal(err)
	}
	if _, err := open(forged, env); err == nil {
		t.Fatal("the member's post opens with the forged key")
	}
}

// The same forgery against a member that holds an invitation it has not
// accepted yet: accepting joins the real group, with the real key.
func TestForgedInviteCannotReplaceAPendingInvite(t *testing.T) {
	forTransports(t, testForgedInviteCannotReplaceAPendingInvite)
}

func testForgedInviteCannotReplaceAPendingInvite(t *testing.T, tr transport) {
	owner, d := newTestPeer(t, tr), newTestPeer(t, tr)
	connect(t, owner, d)
	befriend(t, d, owner)
	adv := newAdversary(t, tr)
	adv.befriend(d)
	g, err := owner.svc.CreateGroup("climbers", []peer.ID{d.id()})
	if err != nil {
		t.Fatal(err)
	}
	gid := g.GroupID
	d.waitEvent(10*time.Second, groupAction(gid, GroupInvited))
	realKey, held := d.heldKey(gid, 1), d.heldState(gid)
	forged := newGroupKey()
	for _, version := range []uint64{1, 2, 9} {
		if _, err := adv.send(d, adv.inviteFrame(forgedState(adv, d, gid, version, 1), 1, forged)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.svc.AcceptInvite(gid); err != nil {
		t.Fatal(err)
	}
	if k := d.heldKey(gid, 1); !bytes.Equal(k, realKey) {
		t.Error("the invited member's key changed")
	}
	if st := d.heldState(gid); !proto.Equal(st, held) {
		t.Errorf("the invited member's state changed to version %d by %x", st.GetVersion(), st.GetOwner())
	}
	waitMesh(t, gid, []*testPeer{owner, d})
	if _, err := d.svc.SendGroup(gid, "hello"); err != nil {
		t.Fatal(err)
	}
	owner.waitGroupMessages(gid, 1, 10*time.Second)
}

// waitSyncIdle waits until p runs no sync of the group: a sync that
// requestSync queued has then run to its end.
func (p *testPeer) waitSyncIdle(gid string) {
	p.t.Helper()
	pollUntil(p.t, "no sync of the group runs", func() bool {
		p.svc.syncs.mu.Lock()
		defer p.svc.syncs.mu.Unlock()
		return !p.svc.syncs.running[gid]
	})
}

// joinAsAdversary has the owner befriend adv and invite it into the
// group, and returns the invitation adv got.
func joinAsAdversary(t *testing.T, owner *testPeer, adv *adversary, gid string) *pb.GroupInvite {
	t.Helper()
	adv.befriend(owner)
	if _, err := owner.svc.InviteToGroup(gid, adv.id()); err != nil {
		t.Fatal(err)
	}
	var gi *pb.GroupInvite
	pollUntil(t, "the adversary gets its invitation", func() bool {
		for _, f := range adv.received() {
			if f.GetGroupInvite() != nil {
				gi = f.GetGroupInvite()
				return true
			}
		}
		return false
	})
	return gi
}

// Item 2 of issue 11: a kicked member keeps the old key and signs posts
// dated after its kick. It cannot get them into the history through sync:
// a state of its own that jumps ahead does not make a member sync with it,
// and a current member that hands its posts on in a sync answer has them
// refused, as the topic validator refuses them (memberAt); the victim
// neither stores them nor serves them on.
func TestKickedMemberCannotPostThroughSync(t *testing.T) {
	forTransports(t, testKickedMemberCannotPostThroughSync)
}

func testKickedMemberCannotPostThroughSync(t *testing.T, tr transport) {
	owner, members, gid := groupOf(t, tr, 2)
	b := members[0]
	kicked, accomplice := newAdversary(t, tr), newAdversary(t, tr)
	joinAsAdversary(t, owner, kicked, gid)
	joinAsAdversary(t, owner, accomplice, gid)
	if _, err := owner.svc.KickFromGroup(gid, kicked.id()); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, "b is in epoch 2 without the kicked member", func() bool {
		v, ok := b.svc.groups.get(gid)
		return ok && v.state.GetEpoch() == 2 && v.keys[2] != nil && memberIndex(v.state, accomplice.id()) >= 0
	})
	held := b.heldState(gid)
	idb, _ := idBytes(newID())
	post := signMessageAs(t, kicked.key, &pb.GroupMessage{
		GroupId: held.GetGroupId(), Id: idb, Author: []byte(kicked.id()), Type: "text",
		Content: []byte("posted after my kick"), SentAt: time.Now().UnixNano(), Epoch: 1,
	})
	serve := func(peer.ID, *pb.SyncRequest) []*pb.SyncItem {
		return []*pb.SyncItem{{Body: &pb.SyncItem_Message{Message: post}}}
	}
	kicked.answerSync(serve)
	accomplice.answerSync(serve)

	// The kicked member's state, versions ahead, as readGroup hands a
	// state from the topic to applyState.
	ahead := proto.Clone(held).(*pb.GroupState)
	ahead.Version += 5
	kicked.connect(b)
	if _, err := b.svc.applyState(kicked.signState(ahead), kicked.id()); err != errStateGap {
		t.Fatalf("applyState of a state ahead = %v, want errStateGap", err)
	}
	b.waitSyncIdle(gid)
	select {
	case <-kicked.asks:
		t.Error("b asked the kicked member for history")
	default:
	}

	// A current member hands the post on.
	accomplice.connect(b) // b syncs with a member that connects
	accomplice.waitSyncRequest(10 * time.Second)
	b.waitSyncIdle(gid)
	for _, m := range b.groupHistory(gid) {
		if m.Sender == kicked.id().String() {
			t.Fatalf("b stored the kicked member's post %q", m.Content)
		}
	}
	items, err := accomplice.requestSync(b, &pb.SyncRequest{GroupId: held.GetGroupId(), Limit: syncPage})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if e := it.GetError(); e != "" {
			t.Fatalf("b refused a member's sync: %s", e)
		}
		if m := it.GetMessage(); m != nil && proto.Equal(m, post) {
			t.Fatal("b served the kicked member's post on")
		}
	}
}

// Replays: a kicked member hands a member, whose friend it is, the group
// frames it once got from the owner, and publishes the owner's old states
// on the topic under the old key. None changes the member's group: a
// frame signed by another than its sender is refused, and an old state is
// old news.
func TestReplayedGroupFramesChangeNothing(t *testing.T) {
	forTransports(t, testReplayedGroupFramesChangeNothing)
}

func testReplayedGroupFramesChangeNothing(t *testing.T, tr transport) {
	owner, members, gid := groupOf(t, tr, 1)
	b := members[0]
	kicked := newAdversary(t, tr)
	invite := joinAsAdversary(t, owner, kicked, gid)
	kicked.befriend(b)
	if _, err := owner.svc.RenameGroup(gid, "boulderers"); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.svc.KickFromGroup(gid, kicked.id()); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, "b is in epoch 2", func() bool {
		v, ok := b.svc.groups.get(gid)
		return ok && v.state.GetEpoch() == 2 && v.keys[2] != nil
	})
	held, keys := b.heldState(gid), [][]byte{b.heldKey(gid, 1), b.heldKey(gid, 2)}

	var got []*pb.Frame
	for _, f := range kicked.received() {
		if f.GetGroupInvite() != nil || f.GetGroupKey() != nil || f.GetGroupNotice() != nil {
			got = append(got, f)
		}
	}
	if len(got) == 0 {
		t.Fatal("the kicked member kept no group frame to replay")
	}
	if _, err := kicked.send(b, got...); err != nil {
		t.Fatalf("replay to b: %v", err)
	}
	// The owner's invitation once more, under a fresh frame ID.
	if _, err := kicked.send(b, kicked.inviteFrame(invite.GetState(), 1, invite.GetKey().GetKey())); err != nil {
		t.Fatalf("replay to b: %v", err)
	}
	// The old state, as the topic reader hands it to applyState.
	if changed, err := b.svc.applyState(invite.GetState(), kicked.id()); changed || err != nil {
		t.Fatalf("applyState of the replayed old state = %v, %v; want no change", changed, err)
	}
	if st := b.heldState(gid); !proto.Equal(st, held) {
		t.Fatalf("b's state changed to version %d", st.GetVersion())
	}
	for i, k := range keys {
		if !bytes.Equal(b.heldKey(gid, uint64(i+1)), k) {
			t.Fatalf("b's key of epoch %d changed", i+1)
		}
	}
	if v, err := b.svc.Group(gid); err != nil || v.Status != storage.GroupActive {
		t.Fatalf("b's group is %s, %v; want active", v.Status, err)
	}
}
