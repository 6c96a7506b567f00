package chat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"google.golang.org/protobuf/proto"

	"github.com/parley-im/parley/chat/pb"
	"github.com/parley-im/parley/storage"
)

// SyncProtocol is history sync: a member back from offline asks another
// member for the group states and messages it missed.
const SyncProtocol protocol.ID = "/parley/sync/1.0.0"

const (
	// syncPage is how many messages one sync request returns at most.
	syncPage = 500
	// syncOverlap starts a sync this long before the newest message held
	// (or before the last sync with the same member, if earlier), to catch
	// messages that were in flight when the node went away.
	syncOverlap = 2 * time.Minute
	// syncTimeout bounds one sync exchange.
	syncTimeout = 30 * time.Second
)

// syncState runs at most one sync per group at a time and remembers the
// peers to sync with next.
type syncState struct {
	mu      sync.Mutex
	pending map[string][]peer.ID // group → peers to ask, in order
	running map[string]bool
	// synced is when the last successful sync of a group with a member
	// started. It is kept per member: a member that lacks a message too
	// must not move the window past it for the others.
	synced map[syncWith]time.Time
}

// syncWith names a group and a member to sync it with.
type syncWith struct {
	group string
	peer  peer.ID
}

func newSyncState() *syncState {
	return &syncState{
		pending: make(map[string][]peer.ID),
		running: make(map[string]bool),
		synced:  make(map[syncWith]time.Time),
	}
}

// requestSync schedules a sync of group gid with from, or with every
// connected member when from is empty. It syncs only with members of the
// held state: whoever sent a state that jumps ahead is asked only if the
// chain the node holds lists it.
func (s *Service) requestSync(gid string, from peer.ID) {
	v, ok := s.groups.get(gid)
	if !ok || v.status != storage.GroupActive {
		return
	}
	var peers []peer.ID
	if from != "" {
		if from == s.host.ID() || memberIndex(v.state, from) < 0 {
			s.log.Debug("group sync: not with a non-member", "group", gid, "peer", from)
			return
		}
		peers = []peer.ID{from}
	} else {
		for _, m := range v.state.GetMembers() {
			p := peer.ID(m.GetPeer())
			if p != s.host.ID() && s.host.Network().Connectedness(p) == network.Connected {
				peers = append(peers, p)
			}
		}
	}
	if len(peers) == 0 {
		return
	}
	st := s.syncs
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, p := range peers {
		if !containsPeer(st.pending[gid], p) {
			st.pending[gid] = append(st.pending[gid], p)
		}
	}
	if st.running[gid] {
		return
	}
	s.mu.Lock()
	closed := s.closed
	if !closed {
		s.wg.Add(1)
	}
	s.mu.Unlock()
	if closed {
		return
	}
	st.running[gid] = true
	go func() {
		defer s.wg.Done()
		s.runSyncs(gid)
	}()
}

func containsPeer(ps []peer.ID, p peer.ID) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// runSyncs works through the group's pending peers.
func (s *Service) runSyncs(gid string) {
	st := s.syncs
	for {
		st.mu.Lock()
		queue := st.pending[gid]
		if len(queue) == 0 || s.ctx.Err() != nil {
			delete(st.pending, gid)
			st.running[gid] = false
			st.mu.Unlock()
			return
		}
		p := queue[0]
		st.pending[gid] = queue[1:]
		with := syncWith{gid, p}
		since := st.synced[with]
		st.mu.Unlock()
		start := time.Now()
		n, err := s.syncFrom(gid, p, since)
		if err == nil {
			st.mu.Lock()
			st.synced[with] = start
			st.mu.Unlock()
		}
		if err != nil {
			s.log.Debug("group sync", "group", gid, "peer", p, "err", err)
		} else if n > 0 {
			s.log.Info("group sync", "group", gid, "peer", p, "messages", n)
		}
	}
}

// healGroups syncs each active group with one connected member every
// GroupSyncInterval, until the service closes.
func (s *Service) healGroups() {
	tick := time.NewTicker(s.cfg.GroupSyncInterval)
	defer tick.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-tick.C:
			s.sweepGroups()
		}
	}
}

// sweepGroups schedules a sync of every active group with one of its
// members that is connected, chosen at random; each sync starts from
// before the last one with that member, so a gap that only some members
// can fill is filled once one of them is picked.
func (s *Service) sweepGroups() {
	s.groups.mu.RLock()
	var views []*groupView // views are replaced, never changed in place
	for _, v := range s.groups.groups {
		if v.status == storage.GroupActive {
			views = append(views, v)
		}
	}
	s.groups.mu.RUnlock()
	picks := make(map[string]peer.ID)
	for _, v := range views {
		gid := v.id
		var online []peer.ID
		for _, m := range v.state.GetMembers() {
			p := peer.ID(m.GetPeer())
			if p != s.host.ID() && s.host.Network().Connectedness(p) == network.Connected {
				online = append(online, p)
			}
		}
		if len(online) > 0 {
			picks[gid] = online[rand.IntN(len(online))]
		}
	}
	for gid, p := range picks {
		s.requestSync(gid, p)
	}
}

// syncWithMember syncs every active group that p belongs to.
func (s *Service) syncWithMember(p peer.ID) {
	s.groups.mu.RLock()
	var gids []string
	for gid, v := range s.groups.groups {
		if v.status == storage.GroupActive && memberIndex(v.state, p) >= 0 {
			gids = append(gids, gid)
		}
	}
	s.groups.mu.RUnlock()
	for _, gid := range gids {
		s.requestSync(gid, p)
	}
}

// syncFrom fetches what p has of the group from where syncStart says
// (lastSync: when the last successful sync with p started; zero if none
// since this service started), page by page, and returns how many
// messages were new.
func (s *Service) syncFrom(gid string, p peer.ID, lastSync time.Time) (int, error) {
	conv := GroupConversationID(gid)
	var newest time.Time
	var afterID string
	err := s.store.View(func(tx *storage.Tx) error {
		m, err := tx.Newest(conv)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		newest = m.SentAt
		return err
	})
	if err != nil {
		return 0, err
	}
	after := syncStart(newest, lastSync, s.cfg.GroupSyncInterval)
	total := 0
	for {
		got, last, err := s.syncPage(gid, p, after, afterID)
		if err != nil {
			return total, err
		}
		total += got.added
		if got.messages < syncPage {
			return total, nil
		}
		after, afterID = last.SentAt, last.ID
	}
}

// syncStart is where a sync starts: syncOverlap before the newest message
// held, or before the last successful sync with the same member when that
// is earlier (a message lost since then may be older than the newest
// one). With no sync with that member yet, the last one is taken to be
// lookback before the newest message. With no message held it is zero:
// everything.
func syncStart(newest, lastSync time.Time, lookback time.Duration) time.Time {
	if newest.IsZero() {
		return time.Time{}
	}
	if lastSync.IsZero() {
		lastSync = newest.Add(-lookback)
	}
	from := newest
	if lastSync.Before(from) {
		from = lastSync
	}
	return from.Add(-syncOverlap)
}

type syncCount struct{ messages, added int }

// syncPage runs one request/response exchange. The stream is closed when
// the exchange succeeded and reset only when it failed.
func (s *Service) syncPage(gid string, p peer.ID, after time.Time, afterID string) (syncCount, storage.Message, error) {
	v, ok := s.groups.get(gid)
	if !ok {
		return syncCount{}, storage.Message{}, fmt.Errorf("%w: group %s", ErrNotFound, gid)
	}
	ctx, cancel := context.WithTimeout(s.ctx, syncTimeout)
	defer cancel()
	st, err := s.host.NewStream(ctx, p, SyncProtocol)
	if err != nil {
		return syncCount{}, storage.Message{}, fmt.Errorf("open sync stream: %w", err)
	}
	req := &pb.SyncRequest{GroupId: v.state.GetGroupId(), StateVersion: v.state.GetVersion(), Limit: syncPage}
	if !after.IsZero() {
		req.AfterSentAt = after.UnixNano()
		req.AfterId, _ = idBytes(afterID)
	}
	count, last, err := s.exchangeSync(st, gid, p, req)
	if err != nil {
		st.Reset()
		return count, last, err
	}
	return count, last, st.Close()
}

// exchangeSync sends req on st and applies the answer up to its done item.
func (s *Service) exchangeSync(st network.Stream, gid string, p peer.ID, req *pb.SyncRequest) (syncCount, storage.Message, error) {
	var count syncCount
	var last storage.Message
	if err := st.SetDeadline(time.Now().Add(syncTimeout)); err != nil {
		return count, last, err
	}
	fw := newFrameWriter(st)
	if err := fw.Write(req); err != nil {
		return count, last, err
	}
	if err := fw.Flush(); err != nil {
		return count, last, fmt.Errorf("send sync request: %w", err)
	}
	if err := st.CloseWrite(); err != nil {
		return count, last, err
	}
	fr := newFrameReader(st)
	for {
		item := new(pb.SyncItem)
		if err := fr.ReadMsg(item); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return count, last, fmt.Errorf("read sync: %w", err)
		}
		if e := item.GetError(); e != "" {
			return count, last, fmt.Errorf("%s refused sync: %s", p, e)
		}
		switch body := item.GetBody().(type) {
		case *pb.SyncItem_State:
			if _, err := s.applyState(body.State, p); err != nil {
				return count, last, fmt.Errorf("state from sync: %w", err)
			}
		case *pb.SyncItem_Message:
			count.messages++
			m, added, err := s.syncedMessage(gid, body.Message)
			if err != nil {
				return count, last, fmt.Errorf("message from sync: %w", err)
			}
			last = m
			if added {
				count.added++
			}
		}
		if item.GetDone() {
			return count, last, nil
		}
	}
}

// syncedMessage checks a relayed message as the topic validator checks a
// live one (memberAt): signed by its author, who was a member in the
// message's epoch and, for an old epoch, still is. It stores it once,
// unless its author is blocked (blockCheck): that one is skipped.
func (s *Service) syncedMessage(gid string, sm *pb.SignedMessage) (storage.Message, bool, error) {
	m, author, err := openMessage(sm)
	if err != nil {
		return storage.Message{}, false, err
	}
	id, ok := idString(m.GetId())
	if !ok {
		return storage.Message{}, false, fmt.Errorf("%w: message id", ErrInvalid)
	}
	if got, _ := idString(m.GetGroupId()); got != gid {
		return storage.Message{}, false, fmt.Errorf("%w: message of another group", ErrInvalid)
	}
	v, ok := s.groups.get(gid)
	if !ok || !v.memberAt(author, m.GetEpoch()) {
		return storage.Message{}, false, fmt.Errorf("%w: %s may not write in epoch %d", ErrInvalid, author, m.GetEpoch())
	}
	var before bool
	if err := s.store.View(func(tx *storage.Tx) error {
		_, err := tx.Message(GroupConversationID(gid), id)
		before = err == nil
		return nil
	}); err != nil {
		return storage.Message{}, false, err
	}
	if !before {
		_, err := s.storeGroupMessage(gid, m, sm, author)
		if errors.Is(err, errBlockedAuthor) {
			before = true // skipped, and the page goes on
		} else if err != nil {
			return storage.Message{}, false, err
		}
	}
	stored := storage.Message{ID: id, SentAt: time.Unix(0, m.GetSentAt()).UTC()}
	return stored, !before, nil
}

// handleSync answers a member's sync request: the states after its
// version and the messages after its cursor, from the epoch it joined.
func (s *Service) handleSync(st network.Stream) {
	if !s.track() {
		st.Reset()
		return
	}
	defer s.wg.Done()
	remote := st.Conn().RemotePeer()
	if err := st.SetDeadline(time.Now().Add(syncTimeout)); err != nil {
		st.Reset()
		return
	}
	req := new(pb.SyncRequest)
	if err := newFrameReader(st).ReadMsg(req); err != nil {
		s.refuse(st, remote, err)
		return
	}
	// Close on success and Reset only on error: on QUIC a Reset after
	// Close discards the answer before the asker has read it.
	if err := s.writeSyncAnswer(st, remote, req); err != nil {
		s.log.Debug("group sync: answer", "peer", remote, "err", err)
		st.Reset()
		return
	}
	st.Close()
}

// writeSyncAnswer writes the answer to req, ending with a done item.
func (s *Service) writeSyncAnswer(st network.Stream, remote peer.ID, req *pb.SyncRequest) error {
	fw := newFrameWriter(st)
	items, err := s.syncItems(remote, req)
	if err != nil {
		items = []*pb.SyncItem{{Error: err.Error()}}
	}
	items = append(items, &pb.SyncItem{Done: true})
	for _, it := range items {
		if err := fw.Write(it); err != nil {
			return err
		}
	}
	return fw.Flush()
}

// syncItems gathers the answer to a sync request.
func (s *Service) syncItems(remote peer.ID, req *pb.SyncRequest) ([]*pb.SyncItem, error) {
	gid, ok := idString(req.GetGroupId())
	if !ok {
		return nil, fmt.Errorf("bad group id")
	}
	v, ok := s.groups.get(gid)
	if !ok || v.status != storage.GroupActive {
		return nil, fmt.Errorf("not a member of that group")
	}
	i := memberIndex(v.state, remote)
	if i < 0 {
		return nil, fmt.Errorf("you are not a member of that group")
	}
	joinEpoch := v.state.GetMembers()[i].GetJoinEpoch()
	limit := int(min(req.GetLimit(), syncPage))
	if limit == 0 {
		limit = syncPage
	}
	var after time.Time
	var afterID string
	if req.GetAfterSentAt() > 0 {
		after = time.Unix(0, req.GetAfterSentAt())
		afterID, _ = idString(req.GetAfterId())
	}
	var items []*pb.SyncItem
	err := s.store.View(func(tx *storage.Tx) error {
		blocks := newBlockCheck(tx)
		states, err := tx.GroupStatesAfter(gid, req.GetStateVersion(), MaxChainLength)
		if err != nil {
			return err
		}
		for _, raw := range states {
			ss := new(pb.SignedState)
			if err := proto.Unmarshal(raw, ss); err != nil {
				return fmt.Errorf("stored state: %w", err)
			}
			items = append(items, &pb.SyncItem{Body: &pb.SyncItem_State{State: ss}})
		}
		// Gather up to limit messages the member may see; skipped ones
		// (before it joined) do not count, so that a short page still
		// means "no more".
		sent := 0
		for sent < limit {
			msgs, err := tx.MessagesAfter(GroupConversationID(gid), after, afterID, limit)
			if err != nil {
				return err
			}
			for _, m := range msgs {
				after, afterID = m.SentAt, m.ID
				if m.Epoch < joinEpoch || sent == limit || !v.mayHaveWritten(m) {
					continue
				}
				if refused, err := blocks.refuses(m.Sender, m.SentAt); err != nil {
					return err
				} else if refused {
					continue
				}
				raw, err := tx.Proof(m.ConversationID, m.ID)
				if errors.Is(err, storage.ErrNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				sm := new(pb.SignedMessage)
				if err := proto.Unmarshal(raw, sm); err != nil {
					return fmt.Errorf("stored proof: %w", err)
				}
				items = append(items, &pb.SyncItem{Body: &pb.SyncItem_Message{Message: sm}})
				sent++
			}
			if len(msgs) < limit {
				return nil
			}
		}
		return nil
	})
	return items, err
}
