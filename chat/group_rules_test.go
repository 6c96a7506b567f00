package chat

import (
	"crypto/rand"
	"errors"
	"slices"
	"testing"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/proto"

	"github.com/parley-im/parley/chat/pb"
)

// newKey makes an Ed25519 key and its peer ID.
func newKey(t testing.TB) (crypto.PrivKey, peer.ID) {
	t.Helper()
	k, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id, err := peer.IDFromPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return k, id
}

func newPeerID(t *testing.T) peer.ID {
	_, id := newKey(t)
	return id
}

// Membership changes follow the rules every member applies, so a forged
// change (signed by a plain member, an admin overreaching, a replay) is
// refused everywhere and all members converge on the same state.
func TestMembershipTransitions(t *testing.T) {
	owner, admin, admin2, member, member2, stranger := newPeerID(t), newPeerID(t), newPeerID(t), newPeerID(t), newPeerID(t), newPeerID(t)
	gid := make([]byte, idLen)
	_, _ = rand.Read(gid)
	cur := &pb.GroupState{
		GroupId: gid, Name: "climbers", Owner: []byte(owner), Version: 3, Epoch: 2, CreatedAt: 1,
		Members: []*pb.GroupState_Member{
			{Peer: []byte(owner), Role: pb.GroupState_OWNER, JoinEpoch: 1},
			{Peer: []byte(admin), Role: pb.GroupState_ADMIN, JoinEpoch: 1},
			{Peer: []byte(admin2), Role: pb.GroupState_ADMIN, JoinEpoch: 1},
			{Peer: []byte(member), JoinEpoch: 1},
			{Peer: []byte(member2), JoinEpoch: 2},
		},
	}
	// change returns the next version of cur after edit.
	change := func(edit func(st *pb.GroupState)) *pb.GroupState {
		next := proto.Clone(cur).(*pb.GroupState)
		next.Version++
		edit(next)
		return next
	}
	without := func(p peer.ID) func(st *pb.GroupState) {
		return func(st *pb.GroupState) {
			st.Members = slices.DeleteFunc(st.Members, func(m *pb.GroupState_Member) bool { return peer.ID(m.GetPeer()) == p })
			st.Epoch++
		}
	}
	withRole := func(p peer.ID, r pb.GroupState_Role) func(st *pb.GroupState) {
		return func(st *pb.GroupState) { st.Members[memberIndex(st, p)].Role = r }
	}
	rename := func(st *pb.GroupState) { st.Name = "boulderers" }
	add := func(p peer.ID, r pb.GroupState_Role) func(st *pb.GroupState) {
		return func(st *pb.GroupState) {
			st.Members = append(st.Members, &pb.GroupState_Member{Peer: []byte(p), Role: r, JoinEpoch: st.Epoch})
		}
	}

	cases := []struct {
		name   string
		signer peer.ID
		next   *pb.GroupState
		ok     bool
	}{
		{"owner kicks a member, new epoch", owner, change(without(member)), true},
		{"admin kicks a member, new epoch", admin, change(without(member)), true},
		{"admin renames", admin, change(rename), true},
		{"admin invites a member", admin, change(add(stranger, pb.GroupState_MEMBER)), true},
		{"owner promotes", owner, change(withRole(member, pb.GroupState_ADMIN)), true},
		{"owner demotes", owner, change(withRole(admin, pb.GroupState_MEMBER)), true},
		{"member kicks a member", member, change(without(member2)), false},
		{"member renames", member, change(rename), false},
		{"stranger renames", stranger, change(rename), false},
		{"admin kicks an admin", admin, change(without(admin2)), false},
		{"admin promotes", admin, change(withRole(member, pb.GroupState_ADMIN)), false},
		{"admin invites an admin", admin, change(add(stranger, pb.GroupState_ADMIN)), false},
		{"admin kicks the owner", admin, change(without(owner)), false},
		{"signer removes itself", admin, change(without(admin)), false},
		{"kick without a new epoch", owner, change(func(st *pb.GroupState) { without(member)(st); st.Epoch-- }), false},
		{"new epoch without a kick", owner, change(func(st *pb.GroupState) { st.Epoch++ }), false},
		{"replayed version", owner, change(func(st *pb.GroupState) { st.Version = cur.Version; rename(st) }), false},
		{"state of another group", owner, change(func(st *pb.GroupState) { st.GroupId = make([]byte, idLen) }), false},
		{"two owners", owner, change(withRole(admin, pb.GroupState_OWNER)), false},
		{"rewritten join epoch", owner, change(func(st *pb.GroupState) { st.Members[memberIndex(st, member2)].JoinEpoch = 1 }), false},
		{"changed creation time", owner, change(func(st *pb.GroupState) { st.CreatedAt = 2 }), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := checkTransition(cur, c.next, c.signer)
			if c.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !c.ok && (err == nil || !(errors.Is(err, ErrInvalid) || errors.Is(err, ErrConflict))) {
				t.Fatalf("err = %v, want a refusal", err)
			}
		})
	}
}
