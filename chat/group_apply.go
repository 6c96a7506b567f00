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

// applyState checks a signed state against the group's current one and,
// when it is a valid successor (or the winner of a tie), stores it. It
// reports whether the group changed. from is the peer it came from, asked
// for the missing chain on a gap.
func (s *Service) applyState(ss *pb.SignedState, from peer.ID) (bool, error) {
	st, signer, err := openState(ss)
	if err != nil {
		return false, err
	}
	gid, ok := idString(st.GetGroupId())
	if !ok {
		return false, fmt.Errorf("%w: group id", ErrInvalid)
	}
	signed, err := proto.Marshal(ss)
	if err != nil {
		return false, fmt.Errorf("encode group state: %w", err)
	}
	self := s.host.ID()
	var rec storage.Group
	changed := false
	err = s.store.Update(func(tx *storage.Tx) error {
		changed = false
		cur, err := tx.Group(gid)
		if err != nil {
			return err
		}
		curSS, curST, err := decodeStored(cur.State)
		if err != nil {
			return err
		}
		switch {
		case st.GetVersion() < curST.GetVersion():
			return nil // old news
		case st.GetVersion() == curST.GetVersion():
			if stateHash(ss) >= stateHash(curSS) {
				return nil // the same state, or the loser of a tie
			}
			prev, err := stateAt(tx, gid, st.GetVersion()-1)
			if err != nil {
				return err
			}
			if err := checkTransition(prev, st, signer); err != nil {
				return err
			}
		case st.GetVersion() > curST.GetVersion()+1:
			return errStateGap
		default:
			if err := checkTransition(curST, st, signer); err != nil {
				return err
			}
		}
		status := cur.Status
		if memberIndex(st, self) < 0 && status == storage.GroupActive {
			status = storage.GroupRemoved
		}
		rec = groupRecord(st, signed, status, cur.InvitedBy)
		if err := tx.PutGroup(rec); err != nil {
			return err
		}
		changed = true
		return tx.PutGroupState(gid, st.GetVersion(), signed)
	})
	if errors.Is(err, errStateGap) {
		s.requestSync(gid, from)
	}
	if err != nil || !changed {
		return false, err
	}
	s.refreshGroup(gid)
	action := GroupChanged
	if rec.Status == storage.GroupRemoved {
		action = GroupRemoved
		s.leaveTopic(gid)
	}
	s.publish(EventGroup, GroupEvent{Action: action, Group: s.viewOf(rec)})
	return true, nil
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

// stateAt returns the state of a version from the stored chain.
func stateAt(tx *storage.Tx, gid string, version uint64) (*pb.GroupState, error) {
	chain, err := tx.GroupStatesAfter(gid, version-1, 1)
	if err != nil {
		return nil, err
	}
	if len(chain) == 0 {
		return nil, fmt.Errorf("%w: state %d of group %s", ErrNotFound, version, gid)
	}
	_, st, err := decodeStored(chain[0])
	if err != nil {
		return nil, err
	}
	if st.GetVersion() != version {
		return nil, fmt.Errorf("%w: state %d of group %s", ErrNotFound, version, gid)
	}
	return st, nil
}

// groupInvite handles an invitation from a friend (inside receive's
// transaction): the state must be signed by the sender, who must be an
// owner or admin of it, and list this node.
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
	case err == nil && cur.Status == storage.GroupActive:
		// Already in: this is just a newer state; the topic or sync brings it.
		in.res.ack(in.frame.Id, pb.Ack_OK, "")
		in.res.groupStates = append(in.res.groupStates, pendingState{gi.GetState(), in.remote})
		return in.tx.PutGroupKey(gid, gi.GetKey().GetEpoch(), gi.GetKey().GetKey())
	case err != nil && !errors.Is(err, storage.ErrNotFound):
		return err
	}
	signed, err := proto.Marshal(gi.GetState())
	if err != nil {
		return fmt.Errorf("encode group state: %w", err)
	}
	rec := groupRecord(st, signed, storage.GroupInvited, in.from)
	if err := in.tx.PutGroup(rec); err != nil {
		return err
	}
	if err := in.tx.PutGroupState(gid, st.GetVersion(), signed); err != nil {
		return err
	}
	if err := in.tx.PutGroupKey(gid, st.GetEpoch(), gi.GetKey().GetKey()); err != nil {
		return err
	}
	in.res.refresh = append(in.res.refresh, gid)
	in.res.event(EventGroup, GroupEvent{Action: GroupInvited, Group: in.svc.viewOf(rec)})
	in.res.ack(in.frame.Id, pb.Ack_OK, "")
	return nil
}

// groupKey handles the key of a new epoch from the admin that started it.
// The state comes along and is applied after the commit; the key is kept
// when the state checks out against the group this node has.
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
	_, cur, err := decodeStored(g.State)
	if err != nil {
		return err
	}
	// The signer must be an admin of the state this epoch follows from;
	// a state we have not reached yet is checked when it is applied, and
	// its key only counts if its signer is an admin now.
	if !isAdmin(cur, signer) || st.GetEpoch() < cur.GetEpoch() {
		return nil
	}
	if err := in.tx.PutGroupKey(gid, st.GetEpoch(), gk.GetKey().GetKey()); err != nil {
		return err
	}
	in.res.groupStates = append(in.res.groupStates, pendingState{gk.GetState(), in.remote})
	in.res.refresh = append(in.res.refresh, gid)
	in.res.syncs = append(in.res.syncs, gid)
	return nil
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
		if isAdmin(cur, in.remote) && g.Status == storage.GroupActive {
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

// pendingState is a state that arrived by DM, applied after the commit.
type pendingState struct {
	ss   *pb.SignedState
	from peer.ID
}

// departure is a member that told the owner it leaves.
type departure struct {
	gid    string
	member peer.ID
}

// settleGroups runs the group work a DM batch left for after its commit.
func (r *received) settleGroups(s *Service) {
	for _, gid := range r.refresh {
		s.refreshGroup(gid)
	}
	for _, gid := range r.left {
		s.leaveTopic(gid)
	}
	for _, ps := range r.groupStates {
		if _, err := s.applyState(ps.ss, ps.from); err != nil {
			s.log.Debug("group: state by dm", "from", ps.from, "err", err)
		}
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
