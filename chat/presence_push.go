package chat

import (
	"context"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/chat/pb"
	"github.com/parley-im/parley/identity"
	"github.com/parley-im/parley/storage"
)

// Live presence: a node pushes its signed presence record to each friend
// it is connected to, on a short DM stream of its own (one PresencePush
// frame, its ack, Close), whenever it signs a new record and when a friend
// connects. It never dials for it: a friend who is not connected looks the
// record up in the DHT.

// pushTimeout bounds one push: opening the stream, the frame and its ack.
const pushTimeout = 10 * time.Second

// pushPresenceToFriends pushes rec to every connected friend, in the
// background.
func (s *Service) pushPresenceToFriends(rec []byte) {
	for _, p := range s.connectedFriends() {
		s.spawn(func() { s.pushPresence(p, rec) })
	}
}

// pushPresence pushes rec to p, at most len(pushSem) pushes at a time.
func (s *Service) pushPresence(p peer.ID, rec []byte) {
	select {
	case s.records.pushSem <- struct{}{}:
		defer func() { <-s.records.pushSem }()
	case <-s.ctx.Done():
		return
	}
	s.pushPresenceCtx(s.ctx, p, rec)
}

// pushPresenceCtx pushes rec to p over an existing connection, within ctx
// and pushTimeout.
func (s *Service) pushPresenceCtx(ctx context.Context, p peer.ID, rec []byte) {
	if err := s.sendPresence(ctx, p, rec); err != nil {
		s.log.Debug("presence: push failed", "peer", p, "err", err)
	}
}

func (s *Service) sendPresence(ctx context.Context, p peer.ID, rec []byte) error {
	ctx, cancel := context.WithTimeout(ctx, pushTimeout)
	defer cancel()
	ctx = network.WithNoDial(ctx, "presence goes to connected friends only")
	ctx = network.WithAllowLimitedConn(ctx, "a presence push is tiny")
	st, err := s.host.NewStream(ctx, p, DMProtocol)
	if err != nil {
		return fmt.Errorf("open stream: %w", err)
	}
	ok := false
	defer func() {
		if ok {
			st.Close()
		} else {
			st.Reset()
		}
	}()
	stop := context.AfterFunc(ctx, func() { st.Reset() })
	defer stop()
	deadline, _ := ctx.Deadline()
	if err := st.SetDeadline(deadline); err != nil {
		return fmt.Errorf("set deadline: %w", err)
	}
	id := newID()
	idb, err := idBytes(id)
	if err != nil {
		return err
	}
	fw := newFrameWriter(st)
	if err := fw.Write(&pb.Frame{Id: idb, Body: &pb.Frame_Presence{Presence: &pb.PresencePush{Record: rec}}}); err != nil {
		return err
	}
	if err := fw.Flush(); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	if err := st.CloseWrite(); err != nil {
		return fmt.Errorf("close write: %w", err)
	}
	f, err := newFrameReader(st).Read()
	if err != nil {
		return fmt.Errorf("read ack: %w", err)
	}
	ack := f.GetAck()
	if got, _ := idString(ack.GetId()); ack == nil || got != id {
		return fmt.Errorf("%w: expected the ack of the presence push", ErrBadFrame)
	}
	ok = true
	if ack.GetResult() != pb.Ack_OK {
		return fmt.Errorf("refused: %s %s", ack.GetResult(), ack.GetReason())
	}
	if pr, err := identity.OpenPresence(rec); err == nil {
		s.records.mu.Lock()
		s.records.pushed[p] = pr.Seq
		s.records.mu.Unlock()
	}
	return nil
}

// pushBack answers a friend's push with our own record when the friend
// does not have it yet: so two friends exchange presence as soon as either
// pushes, even when the other's earlier push was refused because the
// friendship was not yet known on that side (an accept racing its push).
func (s *Service) pushBack(p peer.ID) {
	if s.cfg.Key == nil {
		return
	}
	s.records.mu.Lock()
	stale := s.records.presenceRec == nil || s.records.pushed[p] != s.records.presenceInfo.Seq
	s.records.mu.Unlock()
	if stale {
		s.greetPresence(p)
	}
}

// connectedFriends lists the unblocked friends with a connection now.
func (s *Service) connectedFriends() []peer.ID {
	contacts, err := s.Contacts("")
	if err != nil {
		s.log.Warn("presence: list contacts", "err", err)
		return nil
	}
	var out []peer.ID
	for _, c := range contacts {
		if !c.Friend || c.Blocked {
			continue
		}
		p, err := peer.Decode(c.UserID)
		if err != nil {
			continue
		}
		if s.host.Network().Connectedness(p) == network.Connected {
			out = append(out, p)
		}
	}
	return out
}

// friend reports whether p is an unblocked friend.
func (s *Service) friend(p peer.ID) (bool, error) {
	var ok bool
	err := s.store.View(func(tx *storage.Tx) (err error) { ok, err = isFriend(tx, p); return })
	return ok, err
}

// presence handles a pushed presence record, inside receive's
// transaction: it must come from a friend and be the friend's own,
// unexpired record. It is cached as live, announced when the friend's
// status changed, and, after the commit, retries the outbox to the friend
// and refreshes its profile (settlePresence).
func (in *inbound) presence(m *pb.PresencePush) error {
	if !in.contact.Friend {
		in.res.ack(in.frame.Id, pb.Ack_NOT_FRIEND, "")
		return nil
	}
	pr, err := checkPushed(in.remote, m.GetRecord(), time.Now())
	if err != nil {
		in.res.ack(in.frame.Id, pb.Ack_INVALID, err.Error())
		return nil
	}
	_, ev, err := cachePresence(in.tx, in.remote, m.GetRecord(), pr, SourceLive, time.Now().UTC())
	if err != nil {
		return err
	}
	if ev != nil {
		in.res.event(EventPresence, *ev)
	}
	in.res.presenceSeen = true
	in.res.ack(in.frame.Id, pb.Ack_OK, "")
	return nil
}

// checkPushed verifies a pushed presence record as every DHT node's
// validator would: signed by the pushing peer, not expired, not valid for
// longer than identity.MaxPresenceTTL.
func checkPushed(remote peer.ID, rec []byte, now time.Time) (identity.Presence, error) {
	pr, err := identity.OpenPresence(rec)
	if err != nil {
		return identity.Presence{}, err
	}
	if pr.UserID != remote {
		return identity.Presence{}, fmt.Errorf("%w: record of %s pushed by %s", identity.ErrSignerMismatch, pr.UserID, remote)
	}
	if pr.Expired(now) {
		return identity.Presence{}, fmt.Errorf("%w at %v", identity.ErrRecordExpired, pr.ExpiresAt)
	}
	if pr.ExpiresAt.Sub(now) > identity.MaxPresenceTTL {
		return identity.Presence{}, fmt.Errorf("%w: expires more than %v from now", identity.ErrInvalidRecord, identity.MaxPresenceTTL)
	}
	return pr, nil
}

// settlePresence runs after a batch is committed. After a presence push
// the friend is known to be there, so its outbox is retried now ("retry on
// presence seen"), and its profile is looked up, since a push may follow a
// profile change. A peer that just became a friend is greeted.
func (r *received) settlePresence(s *Service, remote peer.ID) {
	if r.presenceSeen {
		s.poke(remote)
		s.refreshProfile(remote)
		s.pushBack(remote)
	}
	if r.protect {
		s.greetFriend(remote)
	}
}
