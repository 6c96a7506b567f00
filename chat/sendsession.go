package chat

import (
	"fmt"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"google.golang.org/protobuf/proto"

	"github.com/parley-im/parley/chat/pb"
	"github.com/parley-im/parley/storage"
)

// sendSession is one stream's worth of sending.
type sendSession struct {
	svc      *Service
	sd       *sender
	st       network.Stream
	fw       *frameWriter
	inflight map[string]storage.OutboxItem // by frame ID
	// sizes are the encoded sizes of the frames in flight, by frame ID,
	// and bytes their sum: the window is bounded in bytes too.
	sizes      map[string]int
	bytes      int
	lastSeq    uint64 // highest outbox seq written on this stream
	progressed bool
	// caughtUp: the last read of the outbox found nothing beyond lastSeq
	// that the window could not take, and no item was queued since (the
	// sender's more signal), so fill need not read the outbox again.
	caughtUp bool
	// awaitingAck: frames went out since the last ack batch came back.
	awaitingAck bool
	// marks are the messages written whose "sent" is not recorded yet.
	marks sentMarks
	// busyWait, once the peer answered BUSY, is how long to wait before
	// offering the refused frames again; the session writes nothing more
	// and ends when the frames in flight are answered (backpressure.go).
	busyWait time.Duration
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
			if ss.busyWait > 0 && len(ss.inflight) == 0 {
				graceful = true
				return ss.progressed, busyErr(ss.busyWait)
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
	if ss.room() == 0 || ss.busyWait > 0 {
		return 0, nil
	}
	defer func() { ss.awaitingAck = len(ss.inflight) > 0 }()
	for !ss.caughtUp && len(ss.inflight) < sendWindow && ss.bytes < sendWindowBytes {
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
		last := items[len(items)-1].Seq
		for i, f := range frames {
			if ss.bytes >= sendWindowBytes {
				last, ss.caughtUp = items[i-1].Seq, false // the rest waits for acks
				break
			}
			if f == nil {
				continue
			}
			if err := ss.fw.Write(f); err != nil {
				return total, fmt.Errorf("write frame: %w", err)
			}
			ss.track(items[i], proto.Size(f))
			sentItems = append(sentItems, items[i])
		}
		if err := ss.fw.Flush(); err != nil {
			return total, fmt.Errorf("send frames: %w", err)
		}
		ss.lastSeq = last
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
	if ss.bytes >= sendWindowBytes || len(ss.inflight) > 0 && (ss.awaitingAck || free < sendBatch) {
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
