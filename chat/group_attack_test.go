package chat

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/proto"

	"github.com/parley-im/parley/chat/pb"
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
