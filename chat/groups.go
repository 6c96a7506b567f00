package chat

import (
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/proto"

	"github.com/parley-im/parley/chat/pb"
	"github.com/parley-im/parley/storage"
)

// Outbox kinds of group frames.
const (
	kindGroupInvite = "group_invite"
	kindGroupKey    = "group_key"
	kindGroupNotice = "group_notice"
)

// GroupView is a group as the API shows it.
type GroupView struct {
	storage.GroupInfo
	Members   []storage.GroupMember `json:"members"`
	Status    storage.GroupStatus   `json:"status"`
	InvitedBy string                `json:"invited_by,omitempty"`
	// Role is this node's role; empty when it is not a member.
	Role storage.GroupRole `json:"role,omitempty"`
}

func (s *Service) viewOf(g storage.Group) GroupView {
	v := GroupView{GroupInfo: g.Info, Members: g.Members, Status: g.Status, InvitedBy: g.InvitedBy}
	if m, ok := g.Member(s.self); ok {
		v.Role = m.Role
	}
	return v
}

// GroupEvent is the Data of group events: what happened, and the group as
// it is now.
type GroupEvent struct {
	Action string    `json:"action"`
	Group  GroupView `json:"group"`
}

// Group event actions.
const (
	GroupCreated = "created"
	GroupInvited = "invited"
	GroupJoined  = "joined"
	GroupChanged = "changed"
	GroupLeft    = "left"
	GroupRemoved = "removed"
	GroupDeleted = "deleted"
)

func (s *Service) key() (crypto.PrivKey, error) {
	k := s.host.Peerstore().PrivKey(s.host.ID())
	if k == nil {
		return nil, errors.New("the host holds no private key")
	}
	return k, nil
}

// Groups lists the groups this node knows.
func (s *Service) Groups() ([]GroupView, error) {
	var gs []storage.Group
	if err := s.store.View(func(tx *storage.Tx) (err error) { gs, err = tx.Groups(); return }); err != nil {
		return nil, err
	}
	out := make([]GroupView, 0, len(gs))
	for _, g := range gs {
		out = append(out, s.viewOf(g))
	}
	return out, nil
}

// Group returns one group by ID, or by name when the name is unique.
func (s *Service) Group(name string) (GroupView, error) {
	g, err := s.findGroup(name)
	if err != nil {
		return GroupView{}, err
	}
	return s.viewOf(g), nil
}

// findGroup resolves a group ID or a unique group name.
func (s *Service) findGroup(name string) (storage.Group, error) {
	var gs []storage.Group
	if err := s.store.View(func(tx *storage.Tx) (err error) { gs, err = tx.Groups(); return }); err != nil {
		return storage.Group{}, err
	}
	var found []storage.Group
	for _, g := range gs {
		if g.Info.GroupID == name {
			return g, nil
		}
		if g.Info.GroupName == name {
			found = append(found, g)
		}
	}
	switch len(found) {
	case 0:
		return storage.Group{}, fmt.Errorf("%w: no group %q", ErrNotFound, name)
	case 1:
		return found[0], nil
	}
	return storage.Group{}, fmt.Errorf("%w: %d groups are named %q; use the group id", ErrAmbiguousPeer, len(found), name)
}

// CreateGroup creates a group owned by this node and invites friends.
func (s *Service) CreateGroup(name string, members []peer.ID) (GroupView, error) {
	if s.cfg.PubSub == nil {
		return GroupView{}, ErrNoGroups
	}
	if err := checkGroupName(name); err != nil {
		return GroupView{}, err
	}
	if len(members)+1 > MaxGroupMembers {
		return GroupView{}, fmt.Errorf("%w: at most %d members", ErrInvalid, MaxGroupMembers)
	}
	if err := s.checkFriends(members); err != nil {
		return GroupView{}, err
	}
	key, err := s.key()
	if err != nil {
		return GroupView{}, err
	}
	gid, _ := idBytes(newID())
	now := time.Now().UnixNano()
	self := s.host.ID()
	st := &pb.GroupState{
		GroupId: gid, Name: name, Owner: []byte(self), Version: 1, Epoch: 1, CreatedAt: now, UpdatedAt: now,
		Members: []*pb.GroupState_Member{{Peer: []byte(self), Role: pb.GroupState_OWNER, JoinTime: now, JoinEpoch: 1}},
	}
	for _, m := range members {
		if m == self || memberIndex(st, m) >= 0 {
			continue
		}
		st.Members = append(st.Members, &pb.GroupState_Member{Peer: []byte(m), Role: pb.GroupState_MEMBER, JoinTime: now, JoinEpoch: 1})
	}
	if err := checkState(st); err != nil {
		return GroupView{}, err
	}
	ss, err := signState(key, st)
	if err != nil {
		return GroupView{}, err
	}
	gkey := newGroupKey()
	signed, err := proto.Marshal(ss)
	if err != nil {
		return GroupView{}, fmt.Errorf("encode group state: %w", err)
	}
	rec := groupRecord(st, signed, storage.GroupActive, "")
	err = s.store.Update(func(tx *storage.Tx) error {
		if err := tx.PutGroup(rec); err != nil {
			return err
		}
		if err := tx.PutGroupState(rec.Info.GroupID, 1, signed); err != nil {
			return err
		}
		if err := tx.PutGroupKey(rec.Info.GroupID, 1, gkey); err != nil {
			return err
		}
		for _, m := range st.GetMembers()[1:] {
			if err := queueGroupFrame(tx, peer.ID(m.GetPeer()), kindGroupInvite, &pb.Frame{Body: &pb.Frame_GroupInvite{
				GroupInvite: &pb.GroupInvite{State: ss, Key: &pb.EpochKey{Epoch: 1, Key: gkey}},
			}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return GroupView{}, fmt.Errorf("create group: %w", err)
	}
	s.refreshGroup(rec.Info.GroupID)
	if err := s.joinTopic(rec.Info.GroupID); err != nil {
		s.log.Warn("group: join topic", "group", rec.Info.GroupID, "err", err)
	}
	view := s.viewOf(rec)
	s.publish(EventGroup, GroupEvent{Action: GroupCreated, Group: view})
	for _, m := range members {
		s.wake(m)
	}
	return view, nil
}

// checkFriends refuses peers that are not friends: invitations and keys
// travel over direct messages.
func (s *Service) checkFriends(ps []peer.ID) error {
	return s.store.View(func(tx *storage.Tx) error {
		for _, p := range ps {
			if p == s.host.ID() {
				continue
			}
			c, err := tx.Contact(p.String())
			if err != nil && !errors.Is(err, storage.ErrNotFound) {
				return err
			}
			if !c.Friend || c.Blocked {
				return fmt.Errorf("%w: %s is not your friend; only friends can be invited", ErrNotFriend, p)
			}
		}
		return nil
	})
}

// queueGroupFrame puts a group frame for p in the outbox.
func queueGroupFrame(tx *storage.Tx, p peer.ID, kind string, f *pb.Frame) error {
	frameID := newID()
	f.Id, _ = idBytes(frameID)
	raw, err := encodeFrame(f)
	if err != nil {
		return err
	}
	_, err = tx.AddOutbox(storage.OutboxItem{Peer: p.String(), Kind: kind, RefID: frameID, Frame: raw, CreatedAt: time.Now().UTC()})
	return err
}

// change describes one membership change made by this node.
type change struct {
	mutate func(next *pb.GroupState) error
	// notify lists frames to queue for peers once the change is signed.
	invite  []peer.ID // get a GroupInvite
	removed []peer.ID // get a GroupNotice REMOVED
}

// changeGroup applies a change made by this node: it builds the next
// state, checks it against the rules every member will apply, signs it,
// stores it with a new key when members went, queues the invites, keys and
// notices, and publishes the state on the group's topic.
func (s *Service) changeGroup(name string, ch change) (GroupView, error) {
	if s.cfg.PubSub == nil {
		return GroupView{}, ErrNoGroups
	}
	g, err := s.findGroup(name)
	if err != nil {
		return GroupView{}, err
	}
	if g.Status != storage.GroupActive {
		return GroupView{}, fmt.Errorf("%w: you are not an active member of %s (%s)", ErrConflict, g.Info.GroupName, g.Status)
	}
	v, ok := s.groups.get(g.Info.GroupID)
	if !ok {
		return GroupView{}, fmt.Errorf("%w: group %s not loaded", ErrNotFound, g.Info.GroupID)
	}
	self := s.host.ID()
	if !isAdmin(v.state, self) {
		return GroupView{}, fmt.Errorf("%w: only the owner and admins change %s", ErrForbidden, g.Info.GroupName)
	}
	key, err := s.key()
	if err != nil {
		return GroupView{}, err
	}
	next := nextState(v.state)
	if err := ch.mutate(next); err != nil {
		return GroupView{}, err
	}
	var gkey []byte
	if anyRemoved(v.state, next) {
		next.Epoch++
		gkey = newGroupKey()
	}
	if err := checkTransition(v.state, next, self); err != nil {
		return GroupView{}, fmt.Errorf("%w: %v", ErrForbidden, err)
	}
	ss, err := signState(key, next)
	if err != nil {
		return GroupView{}, err
	}
	signed, err := proto.Marshal(ss)
	if err != nil {
		return GroupView{}, fmt.Errorf("encode group state: %w", err)
	}
	rec := groupRecord(next, signed, storage.GroupActive, "")
	gid := rec.Info.GroupID
	curKey := v.keys[next.GetEpoch()]
	if gkey != nil {
		curKey = gkey
	}
	var wake []peer.ID
	err = s.store.Update(func(tx *storage.Tx) error {
		wake = wake[:0]
		if err := tx.PutGroup(rec); err != nil {
			return err
		}
		if err := tx.PutGroupState(gid, next.GetVersion(), signed); err != nil {
			return err
		}
		if gkey != nil {
			if err := tx.PutGroupKey(gid, next.GetEpoch(), gkey); err != nil {
				return err
			}
			for _, m := range next.GetMembers() {
				p := peer.ID(m.GetPeer())
				if p == self || slices.Contains(ch.invite, p) {
					continue
				}
				if err := queueGroupFrame(tx, p, kindGroupKey, &pb.Frame{Body: &pb.Frame_GroupKey{
					GroupKey: &pb.GroupKey{State: ss, Key: &pb.EpochKey{Epoch: next.GetEpoch(), Key: gkey}},
				}}); err != nil {
					return err
				}
				wake = append(wake, p)
			}
		}
		for _, p := range ch.invite {
			if err := queueGroupFrame(tx, p, kindGroupInvite, &pb.Frame{Body: &pb.Frame_GroupInvite{
				GroupInvite: &pb.GroupInvite{State: ss, Key: &pb.EpochKey{Epoch: next.GetEpoch(), Key: curKey}},
			}}); err != nil {
				return err
			}
			wake = append(wake, p)
		}
		for _, p := range ch.removed {
			if err := queueGroupFrame(tx, p, kindGroupNotice, &pb.Frame{Body: &pb.Frame_GroupNotice{
				GroupNotice: &pb.GroupNotice{GroupId: next.GetGroupId(), Kind: pb.GroupNotice_REMOVED},
			}}); err != nil {
				return err
			}
			wake = append(wake, p)
		}
		return nil
	})
	if err != nil {
		return GroupView{}, fmt.Errorf("change group: %w", err)
	}
	s.refreshGroup(gid)
	s.publishState(gid, ss)
	for _, p := range wake {
		s.wake(p)
	}
	view := s.viewOf(rec)
	s.publish(EventGroup, GroupEvent{Action: GroupChanged, Group: view})
	return view, nil
}

func anyRemoved(cur, next *pb.GroupState) bool {
	for _, m := range cur.GetMembers() {
		if memberIndex(next, peer.ID(m.GetPeer())) < 0 {
			return true
		}
	}
	return false
}

// RenameGroup renames a group (owner or admin).
func (s *Service) RenameGroup(group, name string) (GroupView, error) {
	if err := checkGroupName(name); err != nil {
		return GroupView{}, err
	}
	return s.changeGroup(group, change{mutate: func(n *pb.GroupState) error { n.Name = name; return nil }})
}

// InviteToGroup adds a friend to a group and sends it the invitation.
func (s *Service) InviteToGroup(group string, p peer.ID) (GroupView, error) {
	if err := s.checkFriends([]peer.ID{p}); err != nil {
		return GroupView{}, err
	}
	return s.changeGroup(group, change{invite: []peer.ID{p}, mutate: func(n *pb.GroupState) error {
		if memberIndex(n, p) >= 0 {
			return fmt.Errorf("%w: %s is already a member", ErrConflict, p)
		}
		if len(n.Members) >= MaxGroupMembers {
			return fmt.Errorf("%w: the group is full (%d members)", ErrConflict, MaxGroupMembers)
		}
		now := time.Now().UnixNano()
		n.Members = append(n.Members, &pb.GroupState_Member{Peer: []byte(p), Role: pb.GroupState_MEMBER, JoinTime: now, JoinEpoch: n.Epoch})
		return nil
	}})
}

// KickFromGroup removes a member (owner or admin); the group moves to a
// new key that the member never sees.
func (s *Service) KickFromGroup(group string, p peer.ID) (GroupView, error) {
	if p == s.host.ID() {
		return GroupView{}, fmt.Errorf("%w: leave the group instead of kicking yourself", ErrInvalid)
	}
	return s.changeGroup(group, change{removed: []peer.ID{p}, mutate: func(n *pb.GroupState) error {
		return removeMember(n, p)
	}})
}

func removeMember(n *pb.GroupState, p peer.ID) error {
	i := memberIndex(n, p)
	if i < 0 {
		return fmt.Errorf("%w: %s is not a member", ErrNotFound, p)
	}
	n.Members = slices.Delete(n.Members, i, i+1)
	return nil
}

// SetGroupRole promotes a member to admin or demotes an admin (owner only).
func (s *Service) SetGroupRole(group string, p peer.ID, admin bool) (GroupView, error) {
	return s.changeGroup(group, change{mutate: func(n *pb.GroupState) error {
		i := memberIndex(n, p)
		if i < 0 {
			return fmt.Errorf("%w: %s is not a member", ErrNotFound, p)
		}
		m := n.Members[i]
		if m.Role == pb.GroupState_OWNER {
			return fmt.Errorf("%w: the owner's role does not change", ErrConflict)
		}
		want := pb.GroupState_MEMBER
		if admin {
			want = pb.GroupState_ADMIN
		}
		if m.Role == want {
			return fmt.Errorf("%w: %s is already %s", ErrConflict, p, roleOf(want))
		}
		m.Role = want
		return nil
	}})
}

// groupIDBytes decodes a stored group ID.
func groupIDBytes(id string) []byte {
	b, _ := hex.DecodeString(id)
	return b
}
