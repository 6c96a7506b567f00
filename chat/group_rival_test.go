package chat

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/proto"

	"github.com/parley-im/parley/chat/pb"
	"github.com/parley-im/parley/storage"
)

// TestKickedAdminCannotRivalItsKick: an admin the owner kicked signs a
// rival of the kick (a successor of the state before it, where it was
// admin: a rename that keeps it, in the old epoch) with a hash below the
// kick's, and sends it with the old epoch's key to a member and to the
// owner. Both keep the kick: the kick removes the rival's signer, and it
// is the owner's (issue 11 item 1, found in review).
func TestKickedAdminCannotRivalItsKick(t *testing.T) {
	forTransports(t, testKickedAdminCannotRivalItsKick)
}

func testKickedAdminCannotRivalItsKick(t *testing.T, tr transport) {
	owner, members, gid := groupOf(t, tr, 2)
	x, v := members[0], members[1]
	if _, err := owner.svc.SetGroupRole(gid, x.id(), true); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, "v holds x as admin", func() bool { return v.heldState(gid).GetVersion() == 2 })
	prev := v.heldState(gid)
	key1 := x.heldKey(gid, 1)
	if _, err := owner.svc.KickFromGroup(gid, x.id()); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, "v holds the kick", func() bool { return v.heldState(gid).GetVersion() == 3 })
	kick := storedSigned(t, v, gid)
	var rival *pb.SignedState
	for i := 0; ; i++ {
		st := proto.Clone(prev).(*pb.GroupState)
		st.Version, st.Name, st.UpdatedAt = 3, "taken back", time.Now().UnixNano()+int64(i)
		rival = signStateAs(t, x.key, st)
		if stateHash(rival) < stateHash(kick) {
			break
		}
	}
	f := &pb.Frame{Body: &pb.Frame_GroupKey{GroupKey: &pb.GroupKey{State: rival, Key: &pb.EpochKey{Epoch: 1, Key: key1}}}}
	for _, p := range []*testPeer{v, owner} {
		sendAs(t, x, p, f)
		// The ack comes after the commit: what p holds now is its verdict.
		if held := storedSigned(t, p, gid); stateHash(held) != stateHash(kick) {
			t.Fatalf("%s took the kicked admin's rival of its kick", p.id())
		}
	}
	v.restart()
	connect(t, v, owner)
	if held := storedSigned(t, v, gid); stateHash(held) != stateHash(kick) {
		t.Fatal("after a restart, v holds another state than the kick")
	}
	if st := v.heldState(gid); memberIndex(st, x.id()) >= 0 || st.GetEpoch() != 2 {
		t.Fatalf("v holds epoch %d with x a member: %v", st.GetEpoch(), memberIndex(st, x.id()) >= 0)
	}
}

// storedSigned returns the signed state p's store holds as a group's
// current one.
func storedSigned(t *testing.T, p *testPeer, gid string) *pb.SignedState {
	t.Helper()
	var ss *pb.SignedState
	err := p.store.View(func(tx *storage.Tx) error {
		g, err := tx.Group(gid)
		if err != nil {
			return err
		}
		ss, _, err = decodeStored(g.State)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

// sendAs sends one frame (with a fresh ID) from a test peer's own host to
// another on a DM stream, as a peer that went rogue would, and waits for
// its ack.
func sendAs(t *testing.T, from, to *testPeer, f *pb.Frame) {
	t.Helper()
	f.Id, _ = idBytes(newID())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := from.host.NewStream(ctx, to.id(), DMProtocol)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := (&adversary{t: t}).exchange(st, []*pb.Frame{f}); err != nil {
		t.Fatalf("send %T: %v", f.GetBody(), err)
	}
}

// TestRivalOrder: of two states of the same version, every member keeps
// the same one whichever it held first: the one that removes or demotes
// the other's signer, else the owner's, else the lower hash.
func TestRivalOrder(t *testing.T) {
	ownerKey, owner := newKey(t)
	aKey, a := newKey(t)
	bKey, b := newKey(t)
	gid := make([]byte, idLen)
	gid[0] = 7
	prev := &pb.GroupState{
		GroupId: gid, Name: "climbers", Owner: []byte(owner), Version: 2, Epoch: 1, CreatedAt: 1,
		Members: []*pb.GroupState_Member{
			{Peer: []byte(owner), Role: pb.GroupState_OWNER, JoinEpoch: 1},
			{Peer: []byte(a), Role: pb.GroupState_ADMIN, JoinEpoch: 1},
			{Peer: []byte(b), Role: pb.GroupState_ADMIN, JoinEpoch: 1},
		},
	}
	n := int64(0)
	// state signs a successor of prev after edit, with its own updated_at
	// (so that each call has another hash).
	state := func(key crypto.PrivKey, signer peer.ID, edit func(st *pb.GroupState)) signedBy {
		st := proto.Clone(prev).(*pb.GroupState)
		n++
		st.Version, st.UpdatedAt = 3, n
		edit(st)
		if err := checkTransition(prev, st, signer); err != nil {
			t.Fatal(err)
		}
		return signedBy{signStateAs(t, key, st), st, signer}
	}
	rename := func(st *pb.GroupState) { st.Name = "boulderers" }
	kickA := func(st *pb.GroupState) {
		st.Members = slices.DeleteFunc(st.Members, func(m *pb.GroupState_Member) bool { return peer.ID(m.GetPeer()) == a })
		st.Epoch++
	}
	demoteA := func(st *pb.GroupState) { st.Members[memberIndex(st, a)].Role = pb.GroupState_MEMBER }

	for i := range 8 {
		aRename := state(aKey, a, rename)
		cases := []struct {
			name          string
			winner, loser signedBy
		}{
			{"the owner's kick of an admin beats the admin's rival", state(ownerKey, owner, kickA), aRename},
			{"the owner's demotion of an admin beats the admin's rival", state(ownerKey, owner, demoteA), aRename},
			{"the owner's rename beats an admin's", state(ownerKey, owner, rename), aRename},
		}
		for _, c := range cases {
			if !rivalWins(prev, c.loser, c.winner) || rivalWins(prev, c.winner, c.loser) {
				t.Errorf("round %d: %s: the order does not keep it", i, c.name)
			}
		}
		x, y := aRename, state(bKey, b, rename)
		if stateHash(y.ss) < stateHash(x.ss) {
			x, y = y, x
		}
		if !rivalWins(prev, y, x) || rivalWins(prev, x, y) {
			t.Errorf("round %d: of two admins' renames, the lower hash does not win", i)
		}
	}
}
