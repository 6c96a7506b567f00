package chat

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/chat/pb"
	"github.com/parley-im/parley/storage"
)

const (
	// MaxGroupMembers caps a group's size, which keeps a state snapshot
	// well within a frame.
	MaxGroupMembers = 256
	// maxGroupName caps a group name, in characters.
	maxGroupName = 64
)

// GroupTopic is the GossipSub topic of a group.
func GroupTopic(groupID string) string { return "/parley/group/" + groupID }

// GroupConversationID is the conversation ID of a group's history.
func GroupConversationID(groupID string) string { return "group:" + groupID }

func roleOf(r pb.GroupState_Role) storage.GroupRole {
	switch r {
	case pb.GroupState_OWNER:
		return storage.RoleOwner
	case pb.GroupState_ADMIN:
		return storage.RoleAdmin
	}
	return storage.RoleMember
}

// memberIndex finds p among a state's members.
func memberIndex(st *pb.GroupState, p peer.ID) int {
	return slices.IndexFunc(st.GetMembers(), func(m *pb.GroupState_Member) bool { return peer.ID(m.GetPeer()) == p })
}

func roleIn(st *pb.GroupState, p peer.ID) (pb.GroupState_Role, bool) {
	i := memberIndex(st, p)
	if i < 0 {
		return 0, false
	}
	return st.GetMembers()[i].GetRole(), true
}

func isAdmin(st *pb.GroupState, p peer.ID) bool {
	r, ok := roleIn(st, p)
	return ok && r != pb.GroupState_MEMBER
}

// checkGroupName applies the rules for group names.
func checkGroupName(name string) error {
	n := utf8.RuneCountInString(name)
	if n == 0 || n > maxGroupName {
		return fmt.Errorf("%w: group name must be 1 to %d characters", ErrInvalid, maxGroupName)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return fmt.Errorf("%w: group name has control characters", ErrInvalid)
		}
	}
	return nil
}

// checkState verifies a state's own invariants: a 16-byte ID, a valid
// name, unique decodable members, exactly one owner who is the owner field.
func checkState(st *pb.GroupState) error {
	if len(st.GetGroupId()) != idLen {
		return fmt.Errorf("%w: group id of %d bytes", ErrInvalid, len(st.GetGroupId()))
	}
	if err := checkGroupName(st.GetName()); err != nil {
		return err
	}
	if len(st.GetMembers()) == 0 || len(st.GetMembers()) > MaxGroupMembers {
		return fmt.Errorf("%w: %d members, want 1 to %d", ErrInvalid, len(st.GetMembers()), MaxGroupMembers)
	}
	if st.GetVersion() == 0 || st.GetEpoch() == 0 {
		return fmt.Errorf("%w: version and epoch start at 1", ErrInvalid)
	}
	seen := make(map[string]bool, len(st.GetMembers()))
	owners := 0
	for _, m := range st.GetMembers() {
		if _, err := peer.IDFromBytes(m.GetPeer()); err != nil {
			return fmt.Errorf("%w: member id: %v", ErrInvalid, err)
		}
		if seen[string(m.GetPeer())] {
			return fmt.Errorf("%w: member listed twice", ErrInvalid)
		}
		seen[string(m.GetPeer())] = true
		if m.GetRole() == pb.GroupState_OWNER {
			owners++
			if !bytes.Equal(m.GetPeer(), st.GetOwner()) {
				return fmt.Errorf("%w: owner role on a member that is not the owner", ErrInvalid)
			}
		}
		if m.GetJoinEpoch() > st.GetEpoch() {
			return fmt.Errorf("%w: member joined in a future epoch", ErrInvalid)
		}
	}
	if owners != 1 {
		return fmt.Errorf("%w: %d owners, want 1", ErrInvalid, owners)
	}
	return nil
}

// checkTransition decides whether signer may turn state cur into next.
// The rules: the signer is an owner or admin of cur; admins add, remove
// and rename but touch no roles and no other admin; only the owner
// changes roles and hands over ownership; whoever removes a member starts
// a new epoch (and hands out its key), and a member never signs its own
// removal.
func checkTransition(cur, next *pb.GroupState, signer peer.ID) error {
	if err := checkState(next); err != nil {
		return err
	}
	if !bytes.Equal(cur.GetGroupId(), next.GetGroupId()) {
		return fmt.Errorf("%w: state of another group", ErrInvalid)
	}
	if next.GetVersion() <= cur.GetVersion() {
		return fmt.Errorf("%w: version %d does not follow %d", ErrConflict, next.GetVersion(), cur.GetVersion())
	}
	if next.GetCreatedAt() != cur.GetCreatedAt() {
		return fmt.Errorf("%w: creation time changed", ErrInvalid)
	}
	signerRole, ok := roleIn(cur, signer)
	if !ok || signerRole == pb.GroupState_MEMBER {
		return fmt.Errorf("%w: %s may not change the group", ErrInvalid, signer)
	}
	if memberIndex(next, signer) < 0 {
		return fmt.Errorf("%w: the signer removed itself", ErrInvalid)
	}
	owner := signerRole == pb.GroupState_OWNER
	if !owner && !bytes.Equal(cur.GetOwner(), next.GetOwner()) {
		return fmt.Errorf("%w: only the owner hands over ownership", ErrInvalid)
	}
	removed := false
	for _, m := range cur.GetMembers() {
		i := memberIndex(next, peer.ID(m.GetPeer()))
		if i < 0 {
			removed = true
			if !owner && m.GetRole() != pb.GroupState_MEMBER {
				return fmt.Errorf("%w: an admin removed an admin", ErrInvalid)
			}
			continue
		}
		n := next.GetMembers()[i]
		if n.GetRole() != m.GetRole() && !owner {
			return fmt.Errorf("%w: only the owner changes roles", ErrInvalid)
		}
		if n.GetJoinEpoch() != m.GetJoinEpoch() || n.GetJoinTime() != m.GetJoinTime() {
			return fmt.Errorf("%w: a member's join changed", ErrInvalid)
		}
	}
	for _, n := range next.GetMembers() {
		if memberIndex(cur, peer.ID(n.GetPeer())) < 0 {
			if n.GetRole() == pb.GroupState_OWNER || (n.GetRole() == pb.GroupState_ADMIN && !owner) {
				return fmt.Errorf("%w: a new member with a raised role", ErrInvalid)
			}
			if n.GetJoinEpoch() != next.GetEpoch() {
				return fmt.Errorf("%w: a new member must join at the current epoch", ErrInvalid)
			}
		}
	}
	switch {
	case removed && next.GetEpoch() != cur.GetEpoch()+1:
		return fmt.Errorf("%w: removing a member must start epoch %d", ErrInvalid, cur.GetEpoch()+1)
	case !removed && next.GetEpoch() != cur.GetEpoch():
		return fmt.Errorf("%w: the epoch changes only when a member goes", ErrInvalid)
	}
	return nil
}

// stateHash identifies a signed state, and orders concurrent ones of the
// same rank: of two states with the same version whose signers neither
// cuts nor outranks the other (rivalWins), every member keeps the one with
// the lower hash, so that they all agree.
func stateHash(ss *pb.SignedState) string {
	h := sha256.Sum256(ss.GetState())
	return hex.EncodeToString(h[:])
}

// groupRecord turns a verified state into what storage keeps.
func groupRecord(st *pb.GroupState, signed []byte, status storage.GroupStatus, invitedBy string) storage.Group {
	id := hex.EncodeToString(st.GetGroupId())
	g := storage.Group{
		Info: storage.GroupInfo{
			GroupID:     id,
			GroupName:   st.GetName(),
			OwnerUserID: peer.ID(st.GetOwner()).String(),
			CreatedAt:   time.Unix(0, st.GetCreatedAt()).UTC(),
			Epoch:       st.GetEpoch(),
			Version:     st.GetVersion(),
			Topic:       GroupTopic(id),
		},
		Status:    status,
		InvitedBy: invitedBy,
		State:     signed,
	}
	for _, m := range st.GetMembers() {
		g.Members = append(g.Members, storage.GroupMember{
			UserID:    peer.ID(m.GetPeer()).String(),
			GroupID:   id,
			Role:      roleOf(m.GetRole()),
			JoinTime:  time.Unix(0, m.GetJoinTime()).UTC(),
			JoinEpoch: m.GetJoinEpoch(),
		})
	}
	return g
}

// nextState copies st into the start of a change: version+1, now.
func nextState(st *pb.GroupState) *pb.GroupState {
	n := &pb.GroupState{
		GroupId:   st.GetGroupId(),
		Name:      st.GetName(),
		Owner:     st.GetOwner(),
		Version:   st.GetVersion() + 1,
		Epoch:     st.GetEpoch(),
		CreatedAt: st.GetCreatedAt(),
		UpdatedAt: time.Now().UnixNano(),
	}
	for _, m := range st.GetMembers() {
		n.Members = append(n.Members, &pb.GroupState_Member{
			Peer: m.GetPeer(), Role: m.GetRole(), JoinTime: m.GetJoinTime(), JoinEpoch: m.GetJoinEpoch(),
		})
	}
	return n
}
