package chat

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/parley-im/parley/chat/pb"
	"github.com/parley-im/parley/storage"
)

// DMProtocol is the direct-message protocol: friend requests, messages,
// receipts and presence between two peers.
const DMProtocol protocol.ID = "/parley/dm/1.0.0"

// Outbox item kinds.
const (
	kindMessage  = "message"
	kindRequest  = "request"
	kindResponse = "response"
	kindReceipt  = "receipt"
)

const (
	// sendWindow bounds the frames in flight (sent, not yet acked) on one
	// stream.
	sendWindow = 1024
	// sendBatch is how many outbox items one read of the outbox takes.
	sendBatch = 256
	// ackBatch bounds the acks the reader hands over at once.
	ackBatch = 1024
	// sentDelay is how long a written frame waits for its ack before its
	// message is recorded as sent: on a fast link the ack comes first and
	// the message goes from pending to delivered with one write, not two.
	sentDelay = 20 * time.Millisecond
)

var errAckTimeout = errors.New("no ack in time")

// sender delivers one peer's outbox over one long-lived stream at a time.
type sender struct {
	peer peer.ID
	more chan struct{} // new items were queued
	kick chan struct{} // the peer is reachable now: stop backing off
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// wake makes sure a sender runs for p and tells it there is new work.
func (s *Service) wake(p peer.ID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	sd := s.senders[p]
	if sd == nil {
		sd = &sender{peer: p, more: make(chan struct{}, 1), kick: make(chan struct{}, 1)}
		s.senders[p] = sd
		s.wg.Go(func() { s.runSender(sd) })
	}
	signal(sd.more)
}

// poke tells p's sender, if p has anything queued, that p is reachable.
func (s *Service) poke(p peer.ID) {
	s.mu.Lock()
	sd := s.senders[p]
	if sd != nil {
		signal(sd.kick)
	}
	s.mu.Unlock()
	if sd != nil {
		return
	}
	items, err := s.pending(p, 0, 1)
	if err != nil {
		s.log.Error("outbox: read", "peer", p, "err", err)
		return
	}
	if len(items) > 0 {
		s.wake(p)
	}
}

// retire removes an idle sender unless work arrived meanwhile.
func (s *Service) retire(sd *sender) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(sd.more) > 0 || len(sd.kick) > 0 {
		return false
	}
	delete(s.senders, sd.peer)
	return true
}

// runSender runs sessions until the outbox is empty, backing off between
// failed ones.
func (s *Service) runSender(sd *sender) {
	backoff := s.cfg.RetryMin
	for {
		progressed, err := s.session(sd)
		if s.ctx.Err() != nil {
			return
		}
		if err == nil {
			if s.retire(sd) {
				return
			}
			continue
		}
		if progressed {
			// The stream worked and then broke (the connection dropped or
			// was replaced): try a new one at once before backing off.
			backoff = s.cfg.RetryMin
			s.log.Debug("dm: stream broke, reopening", "peer", sd.peer, "err", err)
			continue
		}
		wait := time.Duration(float64(backoff) * (0.8 + 0.4*rand.Float64()))
		s.log.Debug("dm: delivery paused", "peer", sd.peer, "retry_in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-s.ctx.Done():
			t.Stop()
			return
		case <-sd.kick:
		case <-t.C:
		}
		t.Stop()
		backoff = min(2*backoff, s.cfg.RetryMax)
	}
}

// pending reads up to limit outbox items of p after sequence number after.
func (s *Service) pending(p peer.ID, after uint64, limit int) ([]storage.OutboxItem, error) {
	var items []storage.OutboxItem
	err := s.store.View(func(tx *storage.Tx) (err error) {
		items, err = tx.Outbox(s.ids.get(p), after, limit)
		return err
	})
	return items, err
}

// session opens a stream to the peer and sends its outbox, pipelined,
// until everything is acked and the stream has idled, or until an error.
// progressed reports whether any ack arrived.
func (s *Service) session(sd *sender) (progressed bool, err error) {
	items, err := s.pending(sd.peer, 0, 1)
	if err != nil || len(items) == 0 {
		return false, err
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.DialTimeout)
	st, err := s.host.NewStream(ctx, sd.peer, DMProtocol)
	cancel()
	if err != nil {
		return false, fmt.Errorf("open stream: %w", err)
	}
	ss := &sendSession{svc: s, sd: sd, st: st, fw: newFrameWriter(st), inflight: make(map[string]storage.OutboxItem)}
	return ss.run()
}

// sendSession is one stream's worth of sending.
type sendSession struct {
	svc        *Service
	sd         *sender
	st         network.Stream
	fw         *frameWriter
	inflight   map[string]storage.OutboxItem // by frame ID
	lastSeq    uint64                        // highest outbox seq written on this stream
	progressed bool
	// caughtUp: the last read of the outbox found nothing beyond lastSeq
	// that the window could not take, and no item was queued since (the
	// sender's more signal), so fill need not read the outbox again.
	caughtUp bool
	// awaitingAck: frames went out since the last ack batch came back.
	awaitingAck bool
	// marks are the messages written whose "sent" is not recorded yet.
	marks sentMarks
}

func (ss *sendSession) run() (bool, error) {
	s := ss.svc
	acks := make(chan []*pb.Ack, 4)
	readErr := make(chan error, 1)
	done := make(chan struct{})
	var reader sync.WaitGroup
	reader.Go(func() { ss.readAcks(acks, readErr, done) })
	graceful := false
	defer func() {
		close(done)
		if graceful {
			ss.st.Close()
		} else {
			ss.st.Reset()
		}
		reader.Wait()
	}()

	idle := time.NewTimer(s.cfg.IdleTimeout)
	defer idle.Stop()
	ackTimer := time.NewTimer(s.cfg.AckTimeout)
	defer ackTimer.Stop()
	markTimer := time.NewTimer(sentDelay)
	markTimer.Stop()
	marking := false
	defer func() {
		markTimer.Stop()
		ss.recordSent(time.Time{}) // what is still in flight did leave this node
	}()
	for {
		sent, err := ss.fill()
		if err != nil {
			return ss.progressed, err
		}
		if sent > 0 {
			ackTimer.Reset(s.cfg.AckTimeout)
		}
		if at, ok := ss.marks.due(); ok && !marking {
			markTimer.Reset(time.Until(at))
			marking = true
		}
		var idleC, ackC <-chan time.Time
		if len(ss.inflight) == 0 {
			idle.Reset(s.cfg.IdleTimeout)
			idleC = idle.C
		} else {
			ackC = ackTimer.C
		}
		select {
		case <-s.ctx.Done():
			return ss.progressed, s.ctx.Err()
		case batch := <-acks:
			if err := ss.applyAcks(batch); err != nil {
				return ss.progressed, err
			}
			ss.awaitingAck = false
			ackTimer.Reset(s.cfg.AckTimeout)
		case <-ss.sd.more:
			ss.caughtUp = false
		case <-ss.sd.kick:
			ss.caughtUp = false
		case err := <-readErr:
			if len(ss.inflight) == 0 {
				// The peer closed or reset an idle stream, or the
				// connection went: nothing is owed; anything queued later
				// opens a new stream.
				return ss.progressed, nil
			}
			return ss.progressed, fmt.Errorf("read acks: %w", err)
		case <-markTimer.C:
			marking = false
			ss.recordSent(time.Now().Add(-sentDelay))
		case <-ackC:
			return ss.progressed, errAckTimeout
		case <-idleC:
			graceful = true
			return ss.progressed, nil
		}
	}
}

// fill writes queued items beyond lastSeq while the window has room.
func (ss *sendSession) fill() (int, error) {
	s := ss.svc
	total := 0
	if ss.room() == 0 {
		return 0, nil
	}
	defer func() { ss.awaitingAck = len(ss.inflight) > 0 }()
	for !ss.caughtUp && len(ss.inflight) < sendWindow {
		limit := min(sendBatch, sendWindow-len(ss.inflight))
		items, err := s.pending(ss.sd.peer, ss.lastSeq, limit)
		if err != nil {
			return total, err
		}
		ss.caughtUp = len(items) < limit
		if len(items) == 0 {
			return total, nil
		}
		frames, gone, err := s.framesFor(items)
		if err != nil {
			return total, err
		}
		if err := s.dropItems(ss.sd.peer, gone); err != nil {
			return total, err
		}
		if err := ss.st.SetWriteDeadline(time.Now().Add(s.cfg.AckTimeout)); err != nil {
			return total, fmt.Errorf("set write deadline: %w", err)
		}
		var sentItems []storage.OutboxItem
		for i, f := range frames {
			if f == nil {
				continue
			}
			if err := ss.fw.Write(f); err != nil {
				return total, fmt.Errorf("write frame: %w", err)
			}
			ss.inflight[items[i].RefID] = items[i]
			sentItems = append(sentItems, items[i])
		}
		if err := ss.fw.Flush(); err != nil {
			return total, fmt.Errorf("send frames: %w", err)
		}
		ss.lastSeq = items[len(items)-1].Seq
		total += len(sentItems)
		ss.marks.add(time.Now(), sentItems)
	}
	return total, nil
}

// room is how many frames fill may write now: up to the window. An idle
// stream takes a new message at once; a busy one takes what was queued
// meanwhile when the next acks come back, and then only once a whole
// batch fits, so that it reads the outbox once per batch of acks rather
// than once per message queued, and the peer stores bigger batches.
func (ss *sendSession) room() int {
	free := sendWindow - len(ss.inflight)
	if len(ss.inflight) > 0 && (ss.awaitingAck || free < sendBatch) {
		return 0
	}
	return free
}

// recordSent records "sent" for the messages written at or before cutoff
// (all of them, with a zero cutoff) that are still waiting for their ack.
func (ss *sendSession) recordSent(cutoff time.Time) {
	var items []storage.OutboxItem
	for _, it := range ss.marks.take(cutoff) {
		if _, ok := ss.inflight[it.RefID]; ok {
			items = append(items, it)
		}
	}
	if len(items) == 0 {
		return
	}
	// Recording must not hold up the next frames; the session runs inside
	// the service's WaitGroup, so this goroutine may join it.
	s := ss.svc
	s.wg.Go(func() {
		if err := s.markSent(items); err != nil {
			s.log.Warn("dm: record sent", "peer", ss.sd.peer, "err", err)
		}
	})
}

// readAcks reads ack frames and hands them over in batches.
func (ss *sendSession) readAcks(out chan<- []*pb.Ack, errc chan<- error, done <-chan struct{}) {
	fr := newFrameReader(ss.st)
	for {
		// The session enforces the ack timeout; this deadline only ends a
		// read that the session forgot.
		if err := ss.st.SetReadDeadline(time.Now().Add(ss.svc.cfg.IdleTimeout + ss.svc.cfg.AckTimeout)); err != nil {
			errc <- err
			return
		}
		var batch []*pb.Ack
		for len(batch) == 0 || (fr.Buffered() && len(batch) < ackBatch) {
			f, err := fr.Read()
			if err != nil {
				errc <- err
				return
			}
			ack := f.GetAck()
			if ack == nil {
				errc <- fmt.Errorf("%w: expected an ack", ErrBadFrame)
				return
			}
			batch = append(batch, ack)
		}
		select {
		case out <- batch:
		case <-done:
			return
		}
	}
}

// applyAcks settles acked items: out of the outbox, and messages
// delivered (or failed, when the peer refused them).
func (ss *sendSession) applyAcks(batch []*pb.Ack) error {
	type settled struct {
		item storage.OutboxItem
		ack  *pb.Ack
	}
	var done []settled
	for _, a := range batch {
		id, ok := idString(a.GetId())
		if !ok {
			return fmt.Errorf("%w: ack with a bad id", ErrBadFrame)
		}
		if item, ok := ss.inflight[id]; ok {
			done = append(done, settled{item, a})
		}
	}
	if len(done) == 0 {
		return nil
	}
	s := ss.svc
	var events []ReceiptEvent
	err := s.store.Update(func(tx *storage.Tx) error {
		events = events[:0]
		for _, d := range done {
			if err := tx.DeleteOutbox(d.item.Peer, d.item.Seq); err != nil {
				return err
			}
			if d.ack.GetResult() != pb.Ack_OK {
				s.log.Info("dm: peer refused frame", "peer", d.item.Peer, "kind", d.item.Kind, "result", d.ack.GetResult(), "reason", d.ack.GetReason())
			}
			if d.item.Kind != kindMessage {
				continue
			}
			status, reason := storage.StatusDelivered, ""
			if d.ack.GetResult() != pb.Ack_OK {
				status, reason = storage.StatusFailed, refusal(d.ack)
			}
			ev, ok, err := setStatus(tx, itemRef(d.item), status, reason)
			if err != nil {
				return err
			}
			if ok {
				events = append(events, ev)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("settle acks: %w", err)
	}
	for _, d := range done {
		delete(ss.inflight, d.item.RefID)
	}
	ss.progressed = true
	for _, ev := range events {
		s.publish(EventReceipt, ev)
	}
	return nil
}

// refusal explains a refusing ack to the user.
func refusal(a *pb.Ack) string {
	switch a.GetResult() {
	case pb.Ack_NOT_FRIEND:
		return "the recipient does not have you as a friend: send a friend request first"
	case pb.Ack_INVALID:
		return "the recipient refused the message as invalid: " + a.GetReason()
	case pb.Ack_LIMIT:
		return "the recipient is over a limit: " + a.GetReason()
	}
	return "refused: " + a.GetReason()
}

// setStatus moves a stored message forward to status (never back) and
// returns the receipt event when it changed.
func setStatus(tx *storage.Tx, ref storage.MessageRef, status storage.MessageStatus, reason string) (ReceiptEvent, bool, error) {
	st, changed, err := tx.AdvanceStatus(ref, status, reason)
	if errors.Is(err, storage.ErrNotFound) {
		return ReceiptEvent{}, false, nil // deleted locally meanwhile
	}
	if err != nil || !changed {
		return ReceiptEvent{}, false, err
	}
	return ReceiptEvent{ConversationID: ref.Conv, MessageID: ref.ID, Status: st.Status, Error: st.Error, Outgoing: st.Outgoing}, true, nil
}

// markSent records that messages left this node (never moving one back
// from delivered, should the ack have been faster).
func (s *Service) markSent(items []storage.OutboxItem) error {
	var events []ReceiptEvent
	err := s.store.Update(func(tx *storage.Tx) error {
		events = events[:0]
		for _, it := range items {
			if it.Kind != kindMessage {
				continue
			}
			ev, ok, err := setStatus(tx, itemRef(it), storage.StatusSent, "")
			if err != nil {
				return err
			}
			if ok {
				events = append(events, ev)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark sent: %w", err)
	}
	for _, ev := range events {
		s.publish(EventReceipt, ev)
	}
	return nil
}

// framesFor builds the wire frames of outbox items. An item whose record
// is gone (a deleted conversation, a canceled request) has a nil frame and
// is returned in gone, to be dropped from the outbox.
func (s *Service) framesFor(items []storage.OutboxItem) ([]*pb.Frame, []storage.OutboxItem, error) {
	frames := make([]*pb.Frame, len(items))
	var gone []storage.OutboxItem
	err := s.store.View(func(tx *storage.Tx) error {
		for i, it := range items {
			if f := s.fresh.take(it.RefID); f != nil {
				frames[i] = f
				continue
			}
			f, err := frameFor(tx, it)
			if errors.Is(err, storage.ErrNotFound) || (err == nil && f == nil) {
				gone = append(gone, it)
				continue
			}
			if err != nil {
				return fmt.Errorf("outbox item %s/%d: %w", it.Peer, it.Seq, err)
			}
			frames[i] = f
		}
		return nil
	})
	return frames, gone, err
}

func frameFor(tx *storage.Tx, it storage.OutboxItem) (*pb.Frame, error) {
	id, err := idBytes(it.RefID)
	if err != nil {
		return nil, err
	}
	switch it.Kind {
	case kindMessage:
		m, err := tx.MessageRef(itemRef(it))
		if err != nil {
			return nil, err
		}
		return messageFrame(id, m), nil
	case kindRequest:
		r, err := tx.Request(it.RefID)
		if err != nil {
			return nil, err
		}
		if r.Status != storage.RequestPending {
			return nil, nil // canceled before it left
		}
		return &pb.Frame{Id: id, Body: &pb.Frame_FriendRequest{FriendRequest: &pb.FriendRequest{
			Message: r.ReqMessage, CreatedAt: r.CreatedAt.UnixNano(),
		}}}, nil
	default:
		return decodeFrame(it.Frame)
	}
}

// itemRef names the message an outbox item carries.
func itemRef(it storage.OutboxItem) storage.MessageRef {
	return storage.MessageRef{Conv: it.Conv, ID: it.RefID, SentAt: it.SentAt}
}

// messageFrame is the wire frame of a stored message.
func messageFrame(id []byte, m storage.Message) *pb.Frame {
	return &pb.Frame{Id: id, Body: &pb.Frame_Message{Message: &pb.ChatMessage{
		Type: string(m.Type), Content: []byte(m.Content), SentAt: m.SentAt.UnixNano(),
	}}}
}

// dropItems removes outbox items that have nothing left to send.
func (s *Service) dropItems(p peer.ID, items []storage.OutboxItem) error {
	if len(items) == 0 {
		return nil
	}
	err := s.store.Update(func(tx *storage.Tx) error {
		for _, it := range items {
			if err := tx.DeleteOutbox(it.Peer, it.Seq); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("drop outbox items of %s: %w", p, err)
	}
	return nil
}
