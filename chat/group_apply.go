package chat

import (
	"errors"
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/proto"

	"github.com/parley-im/parley/chat/pb"
	"github.com/parley-im/parley/storage"
)

// errStateGap means a state skips versions this node has not seen: the
// chain in between must be fetched (history sync) before it can be
// checked.
var errStateGap = errors.New("state skips versions")

// applyState judges a signed state against the group's held chain and,
// when it is a valid successor (or the winner of a tie), stores it. It
// reports whether the group changed. from is the peer it came from: on a
// gap it is asked for the missing chain, if it is a member of the held
// state (requestSync checks).
func (s *Service) applyState(ss *pb.SignedState, from peer.ID) (bool, error) {
	st, signer, err := openState(ss)
	if err != nil {
		return false, err
	}
	gid, ok := idString(st.GetGroupId())
	if !ok {
		return false, fmt.Errorf("%w: group id", ErrInvalid)
	}
	var rec storage.Group
	var verdict stateVerdict
	err = s.store.Update(func(tx *storage.Tx) error {
		cur, err := tx.Group(gid)
		if err != nil {
			return err
		}
		if verdict, err = judgeState(tx, cur, ss, st, signer); err != nil || verdict != stateNext {
			return err
		}
		if rec, err = storeState(tx, cur, ss, st, s.host.ID()); err != nil {
			return err
		}
		return dropRemovedPosts(tx, cur, st, s.host.ID())
	})
	if err != nil {
		return false, err
	}
	switch verdict {
	case stateAhead:
		s.requestSync(gid, from)
		return false, errStateGap
	case stateNext:
		s.announceState(rec)
		return true, nil
	}
	return false, nil
}

// announceState tells the cache, the topic and the feed of a stored state.
// A state that removed this node leaves the topic in the background: it
// may have been read from that topic, whose reader the leaving waits for.
func (s *Service) announceState(rec storage.Group) {
	s.refreshGroup(rec.Info.GroupID)
	action := GroupChanged
	if rec.Status == storage.GroupRemoved {
		action = GroupRemoved
		s.leaveTopicSoon(rec.Info.GroupID)
	}
	s.publish(EventGroup, GroupEvent{Action: action, Group: s.viewOf(rec)})
}

// decodeStored decodes the signed state kept in a group record.
func decodeStored(raw []byte) (*pb.SignedState, *pb.GroupState, error) {
	ss := new(pb.SignedState)
	st := new(pb.GroupState)
	if err := proto.Unmarshal(raw, ss); err != nil {
		return nil, nil, fmt.Errorf("stored group state: %w", err)
	}
	if err := proto.Unmarshal(ss.GetState(), st); err != nil {
		return nil, nil, fmt.Errorf("stored group state: %w", err)
	}
	return ss, st, nil
}

// stateAt returns the state of a version from the stored chain, or
// ErrNotFound.
func stateAt(tx *storage.Tx, gid string, version uint64) (*pb.GroupState, error) {
	_, st, err := storedStateAt(tx, gid, version)
	return st, err
}

// groupInvite handles an invitation from a friend (inside receive's
// transaction): the state must be signed by the sender, who must be an
// owner or admin of it, and list this node. An invitation to a group this
// node holds is judged against the held chain (heldInvite); only one to a
// group it has never seen is taken on the word of its state.
func (in *inbound) groupInvite(gi *pb.GroupInvite) error {
	if !in.contact.Friend {
		in.res.ack(in.frame.Id, pb.Ack_NOT_FRIEND, "")
		return nil
	}
	st, signer, err := openState(gi.GetState())
	if err != nil || signer != in.remote || checkState(st) != nil || !isAdmin(st, signer) ||
		memberIndex(st, in.svc.host.ID()) < 0 || gi.GetKey().GetEpoch() != st.GetEpoch() || len(gi.GetKey().GetKey()) != 32 {
		in.res.ack(in.frame.Id, pb.Ack_INVALID, "bad group invitation")
		return nil
	}
	gid, _ := idString(st.GetGroupId())
	cur, err := in.tx.Group(gid)
	switch {
	case err == nil:
		return in.heldInvite(cur, gi.GetState(), st, gi.GetKey().GetKey())
	case !errors.Is(err, storage.ErrNotFound):
		return err
	}
	return in.newInvite(gi.GetState(), st, gi.GetKey().GetKey(), nil)
}

// newInvite stores an invitation as the group's record, state and key of
// its epoch; old, when not nil, is the record it replaces (an invitation
// back into a group this node left or was removed from).
func (in *inbound) newInvite(ss *pb.SignedState, st *pb.GroupState, key []byte, old *storage.Group) error {
	signed, err := proto.Marshal(ss)
	if err != nil {
		return fmt.Errorf("encode group state: %w", err)
	}
	gid, _ := idString(st.GetGroupId())
	rec := groupRecord(st, signed, storage.GroupInvited, in.from)
	if err := in.tx.PutGroup(rec); err != nil {
		return err
	}
	if err := in.tx.PutGroupState(gid, st.GetVersion(), signed); err != nil {
		return err
	}
	if old == nil {
		err = in.tx.PutGroupKey(gid, st.GetEpoch(), key)
	} else {
		_, err = keepEpochKey(in.tx, gid, st, key)
	}
	if err != nil {
		return err
	}
	in.res.refresh = append(in.res.refresh, gid)
	in.res.event(EventGroup, GroupEvent{Action: GroupInvited, Group: in.svc.viewOf(rec)})
	in.res.ack(in.frame.Id, pb.Ack_OK, "")
	return nil
}

// heldInvite handles an invitation to a group this node holds. While it
// is a member (or invited), the invitation is one more keyed state of the
// chain (keyedState). After it left or was removed, it is an invitation
// back: taken when the held chain accepts its state, or when the state is
// ahead of the chain and signed by an admin of the held state, the one
// the node trusted last.
func (in *inbound) heldInvite(cur storage.Group, ss *pb.SignedState, st *pb.GroupState, key []byte) error {
	if cur.Status == storage.GroupActive || cur.Status == storage.GroupInvited {
		ok, err := in.keyedState(cur, ss, st, key)
		if err != nil {
			return err
		}
		if !ok {
			in.res.ack(in.frame.Id, pb.Ack_INVALID, "invitation refused by the group's chain")
			return nil
		}
		in.res.ack(in.frame.Id, pb.Ack_OK, "")
		return nil
	}
	verdict, err := judgeState(in.tx, cur, ss, st, in.remote)
	if errors.Is(err, errRefusedState) {
		in.res.ack(in.frame.Id, pb.Ack_INVALID, "invitation refused by the group's chain")
		return nil
	}
	if err != nil {
		return err
	}
	_, held, err := decodeStored(cur.State)
	if err != nil {
		return err
	}
	switch {
	case verdict == stateNext, verdict == stateAhead && isAdmin(held, in.remote):
		return in.newInvite(ss, st, key, &cur)
	case verdict == stateAhead:
		in.res.ack(in.frame.Id, pb.Ack_INVALID, "invitation by someone who is no admin of the group")
	default:
		in.res.ack(in.frame.Id, pb.Ack_OK, "") // an old invitation, delivered again
	}
	return nil
}

// keyedState takes a state that came with a key by DM (an invitation to
// a held group, a key update) into the held chain, and the key with it.
// The state is judged against the held chain; a successor is stored (its
// events and refresh left for after the commit). The key is kept only for
// the epoch of a state the chain holds (keepEpochKey), or, for a state
// ahead of the chain, until the chain reaches it (keepPendingKey); a sync
// with the members fetches the chain in between. It reports false when
// the chain refuses the state.
func (in *inbound) keyedState(cur storage.Group, ss *pb.SignedState, st *pb.GroupState, key []byte) (bool, error) {
	gid := cur.Info.GroupID
	verdict, err := judgeState(in.tx, cur, ss, st, in.remote)
	if errors.Is(err, errRefusedState) {
		in.svc.log.Debug("group: keyed state refused", "group", gid, "from", in.remote, "err", err)
		return false, nil
	}
	if err != nil {
		return false, err
	}
	switch verdict {
	case stateOld:
		return false, nil
	case stateAhead:
		err := keepPendingKey(in.tx, cur, ss, st, in.remote, key)
		if errors.Is(err, errRefusedState) {
			in.svc.log.Debug("group: pending key refused", "group", gid, "from", in.remote, "err", err)
			return false, nil
		}
		in.res.syncs = append(in.res.syncs, gid)
		return err == nil, err
	case stateNext:
		rec, err := storeState(in.tx, cur, ss, st, in.svc.host.ID())
		if err != nil {
			return false, err
		}
		if err := dropRemovedPosts(in.tx, cur, st, in.svc.host.ID()); err != nil {
			return false, err
		}
		action := GroupChanged
		if rec.Status == storage.GroupRemoved {
			action = GroupRemoved
			in.res.left = append(in.res.left, gid)
		}
		in.res.event(EventGroup, GroupEvent{Action: action, Group: in.svc.viewOf(rec)})
	}
	stored, err := keepEpochKey(in.tx, gid, st, key)
	if err != nil {
		return false, err
	}
	if verdict == stateNext || stored {
		// Messages of the new epoch that came before its key were
		// ignored: the members have them.
		in.res.refresh = append(in.res.refresh, gid)
		in.res.syncs = append(in.res.syncs, gid)
	}
	return true, nil
}

// groupKey handles the key of a new epoch from the admin that started it,
// with the state that started it: both are judged against the held chain
// (keyedState). It takes keys from peers that are not friends: an admin
// that removes a member hands the new key to every other member, who need
// not be its friends, so the chain alone decides (a kicked admin's rival
// of its kick loses, rivalWins).
func (in *inbound) groupKey(gk *pb.GroupKey) error {
	in.res.ack(in.frame.Id, pb.Ack_OK, "")
	st, signer, err := openState(gk.GetState())
	if err != nil || signer != in.remote || gk.GetKey().GetEpoch() != st.GetEpoch() || len(gk.GetKey().GetKey()) != 32 {
		return nil // refused quietly: the ack only stops redelivery
	}
	gid, _ := idString(st.GetGroupId())
	g, err := in.tx.Group(gid)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = in.keyedState(g, gk.GetState(), st, gk.GetKey().GetKey())
	return err
}

// groupNotice handles a member leaving or declining (the owner removes
// it, with a new key) and this node's removal by an admin.
func (in *inbound) groupNotice(n *pb.GroupNotice) error {
	in.res.ack(in.frame.Id, pb.Ack_OK, "")
	gid, ok := idString(n.GetGroupId())
	if !ok {
		return nil
	}
	g, err := in.tx.Group(gid)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	_, cur, err := decodeStored(g.State)
	if err != nil {
		return err
	}
	switch n.GetKind() {
	case pb.GroupNotice_LEAVE, pb.GroupNotice_DECLINE:
		if memberIndex(cur, in.remote) >= 0 && string(cur.GetOwner()) == string(in.svc.host.ID()) {
			in.res.departures = append(in.res.departures, departure{gid, in.remote})
		}
	case pb.GroupNotice_REMOVED:
		// An invitation not accepted yet is withdrawn the same way.
		if isAdmin(cur, in.remote) && (g.Status == storage.GroupActive || g.Status == storage.GroupInvited) {
			g.Status = storage.GroupRemoved
			if err := in.tx.PutGroup(g); err != nil {
				return err
			}
			in.res.refresh = append(in.res.refresh, gid)
			in.res.left = append(in.res.left, gid)
			in.res.event(EventGroup, GroupEvent{Action: GroupRemoved, Group: in.svc.viewOf(g)})
		}
	}
	return nil
}

// departure is a member that told the owner it leaves.
type departure struct {
	gid    string
	member peer.ID
}

// refreshGroups reloads the cached views of the groups a DM batch
// changed, once it is committed.
func (r *received) refreshGroups(s *Service) {
	for _, gid := range r.refresh {
		s.refreshGroup(gid)
	}
}

// settleGroups runs the rest of the group work a DM batch left for after
// its commit.
func (r *received) settleGroups(s *Service) {
	for _, gid := range r.left {
		s.leaveTopic(gid)
	}
	for _, gid := range r.syncs {
		s.requestSync(gid, "")
	}
	for _, d := range r.departures {
		if _, err := s.changeGroup(d.gid, change{mutate: func(n *pb.GroupState) error { return removeMember(n, d.member) }}); err != nil {
			s.log.Warn("group: remove departing member", "group", d.gid, "member", d.member, "err", err)
		}
	}
}
