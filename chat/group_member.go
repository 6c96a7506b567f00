package chat

import (
	"errors"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/chat/pb"
	"github.com/parley-im/parley/storage"
)

// startGroups loads every group, joins the topics of active ones and
// syncs them with the members already connected.
func (s *Service) startGroups() {
	if s.cfg.PubSub == nil {
		return
	}
	gs, err := s.Groups()
	if err != nil {
		s.log.Error("groups: load", "err", err)
		return
	}
	for _, g := range gs {
		s.refreshGroup(g.GroupID)
		if g.Status != storage.GroupActive {
			continue
		}
		if err := s.joinTopic(g.GroupID); err != nil {
			s.log.Warn("groups: join topic", "group", g.GroupID, "err", err)
			continue
		}
		s.requestSync(g.GroupID, "")
	}
}

// GroupInvites lists the groups this node is invited to.
func (s *Service) GroupInvites() ([]GroupView, error) {
	all, err := s.Groups()
	if err != nil {
		return nil, err
	}
	var out []GroupView
	for _, g := range all {
		if g.Status == storage.GroupInvited {
			out = append(out, g)
		}
	}
	return out, nil
}

// AcceptInvite joins a group this node was invited to.
func (s *Service) AcceptInvite(group string) (GroupView, error) {
	if s.cfg.PubSub == nil {
		return GroupView{}, ErrNoGroups
	}
	g, err := s.setGroupStatus(group, storage.GroupInvited, storage.GroupActive)
	if err != nil {
		return GroupView{}, err
	}
	s.refreshGroup(g.Info.GroupID)
	if err := s.joinTopic(g.Info.GroupID); err != nil {
		return GroupView{}, err
	}
	if inviter, err := peer.Decode(g.InvitedBy); err == nil {
		s.requestSync(g.Info.GroupID, inviter)
	}
	s.requestSync(g.Info.GroupID, "")
	view := s.viewOf(g)
	s.publish(EventGroup, GroupEvent{Action: GroupJoined, Group: view})
	return view, nil
}

// DeclineInvite refuses an invitation; the owner takes this node off the
// member list.
func (s *Service) DeclineInvite(group string) (GroupView, error) {
	return s.depart(group, storage.GroupInvited, pb.GroupNotice_DECLINE)
}

// LeaveGroup leaves a group. The owner hands the group to its longest
// standing admin (or member) first. History stays until DeleteGroup.
func (s *Service) LeaveGroup(group string) (GroupView, error) {
	g, err := s.findGroup(group)
	if err != nil {
		return GroupView{}, err
	}
	v, ok := s.groups.get(g.Info.GroupID)
	if ok && g.Status == storage.GroupActive && peer.ID(v.state.GetOwner()) == s.host.ID() {
		heir := successor(v.state, s.host.ID())
		if heir == "" {
			// The last member: nothing to hand over, nobody to tell.
			return s.depart(group, storage.GroupActive, -1)
		}
		if _, err := s.changeGroup(group, change{mutate: func(n *pb.GroupState) error {
			for _, m := range n.Members {
				switch peer.ID(m.Peer) {
				case heir:
					m.Role = pb.GroupState_OWNER
				case s.host.ID():
					m.Role = pb.GroupState_MEMBER
				}
			}
			n.Owner = []byte(heir)
			return nil
		}}); err != nil {
			return GroupView{}, fmt.Errorf("hand over the group: %w", err)
		}
	}
	return s.depart(group, storage.GroupActive, pb.GroupNotice_LEAVE)
}

// successor picks who owns a group after its owner: the admin, else the
// member, who joined first.
func successor(st *pb.GroupState, owner peer.ID) peer.ID {
	var best *pb.GroupState_Member
	for _, m := range st.GetMembers() {
		if peer.ID(m.GetPeer()) == owner {
			continue
		}
		better := best == nil ||
			(m.GetRole() == pb.GroupState_ADMIN && best.GetRole() != pb.GroupState_ADMIN) ||
			(m.GetRole() == best.GetRole() && m.GetJoinTime() < best.GetJoinTime())
		if better {
			best = m
		}
	}
	if best == nil {
		return ""
	}
	return peer.ID(best.GetPeer())
}

// depart leaves (or declines) a group: the status changes, the topic is
// left, and the owner is told (kind < 0: nobody to tell).
func (s *Service) depart(group string, from storage.GroupStatus, kind pb.GroupNotice_Kind) (GroupView, error) {
	to := storage.GroupLeft
	var owner peer.ID
	g, err := s.findGroup(group)
	if err != nil {
		return GroupView{}, err
	}
	if v, ok := s.groups.get(g.Info.GroupID); ok {
		owner = peer.ID(v.state.GetOwner())
	}
	g, err = s.setGroupStatusQueue(g.Info.GroupID, from, to, func(tx *storage.Tx) error {
		if kind < 0 || owner == "" || owner == s.host.ID() {
			return nil
		}
		return queueGroupFrame(tx, owner, kindGroupNotice, &pb.Frame{Body: &pb.Frame_GroupNotice{
			GroupNotice: &pb.GroupNotice{GroupId: groupIDBytes(g.Info.GroupID), Kind: kind},
		}})
	})
	if err != nil {
		return GroupView{}, err
	}
	s.leaveTopic(g.Info.GroupID)
	s.refreshGroup(g.Info.GroupID)
	if owner != "" && owner != s.host.ID() {
		s.wake(owner)
	}
	view := s.viewOf(g)
	s.publish(EventGroup, GroupEvent{Action: GroupLeft, Group: view})
	return view, nil
}

func (s *Service) setGroupStatus(group string, from, to storage.GroupStatus) (storage.Group, error) {
	g, err := s.findGroup(group)
	if err != nil {
		return storage.Group{}, err
	}
	return s.setGroupStatusQueue(g.Info.GroupID, from, to, nil)
}

// setGroupStatusQueue moves a group from one status to another, running
// also (when not nil) in the same transaction.
func (s *Service) setGroupStatusQueue(gid string, from, to storage.GroupStatus, also func(*storage.Tx) error) (storage.Group, error) {
	var g storage.Group
	err := s.store.Update(func(tx *storage.Tx) error {
		var err error
		g, err = tx.Group(gid)
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("%w: no group %s", ErrNotFound, gid)
		}
		if err != nil {
			return err
		}
		if g.Status != from {
			return fmt.Errorf("%w: group %s is %s, not %s", ErrConflict, g.Info.GroupName, g.Status, from)
		}
		g.Status = to
		if err := tx.PutGroup(g); err != nil {
			return err
		}
		if also != nil {
			return also(tx)
		}
		return nil
	})
	return g, err
}

// DeleteGroup forgets a group this node no longer belongs to, with its
// history.
func (s *Service) DeleteGroup(group string) error {
	g, err := s.findGroup(group)
	if err != nil {
		return err
	}
	if g.Status == storage.GroupActive {
		return fmt.Errorf("%w: leave %s before deleting it", ErrConflict, g.Info.GroupName)
	}
	gid := g.Info.GroupID
	if err := s.store.Update(func(tx *storage.Tx) error { return tx.DeleteGroup(gid) }); err != nil {
		return err
	}
	if err := s.store.DeleteConversation(GroupConversationID(gid)); err != nil {
		return err
	}
	s.groups.remove(gid)
	s.publish(EventGroup, GroupEvent{Action: GroupDeleted, Group: s.viewOf(g)})
	return nil
}

// SendGroup writes a text message to a group: signed, sealed with the
// current key, published on the topic, and stored.
func (s *Service) SendGroup(group, content string) (storage.Message, error) {
	if err := checkContent(storage.TypeText, []byte(content)); err != nil {
		return storage.Message{}, err
	}
	gid, v, err := s.sendableGroup(group)
	if err != nil {
		return storage.Message{}, err
	}
	gm, sm, err := s.newGroupMessage(v, content)
	if err != nil {
		return storage.Message{}, err
	}
	// Store and publish at once: the members' copies need not wait for
	// our commit. The message is signed either way; members that miss it
	// get it by sync, and should our store fail after the publish, our own
	// copy comes back with the next history sync.
	type result struct {
		m   storage.Message
		err error
	}
	stored := make(chan result, 1)
	go func() {
		m, err := s.storeGroupMessage(gid, gm, sm, s.host.ID())
		stored <- result{m, err}
	}()
	if err := s.publishPayload(gid, &pb.GroupPayload{Body: &pb.GroupPayload_Message{Message: sm}}); err != nil {
		s.log.Warn("group: publish", "group", gid, "err", err)
	}
	r := <-stored
	return r.m, r.err
}

// newGroupMessage makes a text message of this node for the group of v,
// in its current epoch, and signs it.
func (s *Service) newGroupMessage(v *groupView, content string) (*pb.GroupMessage, *pb.SignedMessage, error) {
	key, err := s.key()
	if err != nil {
		return nil, nil, err
	}
	idb, _ := idBytes(newID())
	gm := &pb.GroupMessage{
		GroupId: v.state.GetGroupId(), Id: idb, Author: []byte(s.host.ID()), Type: string(storage.TypeText),
		Content: []byte(content), SentAt: time.Now().UnixNano(), Epoch: v.state.GetEpoch(),
	}
	sm, err := signMessage(key, gm)
	if err != nil {
		return nil, nil, err
	}
	return gm, sm, nil
}

// sendableGroup resolves a group this node may write to. A group named by
// its ID is found in the cache that the topic validators use, without
// reading (and decoding) every group from storage, which would add to the
// delivery time of every message.
func (s *Service) sendableGroup(group string) (string, *groupView, error) {
	if v, ok := s.groups.get(group); ok && v.status == storage.GroupActive {
		return group, v, nil
	}
	g, err := s.findGroup(group)
	if err != nil {
		return "", nil, err
	}
	if g.Status != storage.GroupActive {
		return "", nil, fmt.Errorf("%w: you are not an active member of %s (%s)", ErrConflict, g.Info.GroupName, g.Status)
	}
	v, ok := s.groups.get(g.Info.GroupID)
	if !ok {
		return "", nil, fmt.Errorf("%w: group %s not loaded", ErrNotFound, g.Info.GroupID)
	}
	return g.Info.GroupID, v, nil
}

// GroupHistory returns a page of a group's messages, newest first.
func (s *Service) GroupHistory(group, before string, limit int) (HistoryPage, error) {
	g, err := s.findGroup(group)
	if err != nil {
		return HistoryPage{}, err
	}
	return s.history(GroupConversationID(g.Info.GroupID), before, limit)
}
