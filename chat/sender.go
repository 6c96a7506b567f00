package chat

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

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
	// conn is the connection of the last session's stream (nil when it
	// opened none); only the sender's goroutine uses it.
	conn network.Conn
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
	quick := 0 // retries in a row without a backoff after a lost connection
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
		if s.waitBusy(sd, err) {
			continue // the peer asked to wait; nothing was lost
		}
		if progressed {
			// The stream worked and then broke (the connection dropped or
			// was replaced): try a new one at once before backing off.
			backoff, quick = s.cfg.RetryMin, 0
			s.log.Debug("dm: stream broke, reopening", "peer", sd.peer, "err", err)
			continue
		}
		if quick < maxQuickRetries && s.connMoved(sd) {
			// The stream's connection died (a dead one was found and
			// closed, see dropDeadConns) while another one to the peer
			// is open: the peer is there, so waiting would only delay.
			quick++
			s.log.Debug("dm: connection replaced, reopening", "peer", sd.peer, "err", err)
			continue
		}
		quick = 0
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

// maxQuickRetries bounds the sessions in a row that connMoved lets start
// without a backoff, so that a peer whose connections keep dying cannot
// make the sender spin.
const maxQuickRetries = 3

// connMoved reports whether the last session's connection is closed while
// another connection to the peer is open.
func (s *Service) connMoved(sd *sender) bool {
	if sd.conn == nil || !sd.conn.IsClosed() {
		return false
	}
	for _, c := range s.host.Network().ConnsToPeer(sd.peer) {
		if c != sd.conn && !c.IsClosed() {
			return true
		}
	}
	return false
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
	sd.conn = nil
	items, err := s.pending(sd.peer, 0, 1)
	if err != nil || len(items) == 0 {
		return false, err
	}
	st, err := s.openStream(sd)
	if err != nil {
		return false, fmt.Errorf("open stream: %w", err)
	}
	sd.conn = st.Conn()
	ss := &sendSession{svc: s, sd: sd, st: st, fw: newFrameWriter(st), inflight: make(map[string]storage.OutboxItem), sizes: make(map[string]int)}
	return ss.run()
}

// openStream opens a DM stream to sd's peer. libp2p answers a dial only
// once every address of the peer has failed, and a dial to an address the
// peer has left can hang until its transport gives up (a QUIC handshake to
// a port nobody answers waits out its 5 s timeout), while the peer, back
// on a new address, may have connected to us meanwhile. So when the peer
// connects during the dial, the dial is abandoned and the stream opened on
// that connection.
func (s *Service) openStream(sd *sender) (network.Stream, error) {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.DialTimeout)
	defer cancel()
	for {
		if s.host.Network().Connectedness(sd.peer) == network.Connected {
			return s.host.NewStream(ctx, sd.peer, DMProtocol)
		}
		st, again, err := s.dialStream(ctx, sd)
		if !again {
			return st, err
		}
	}
}

// dialStream opens a stream that needs a dial; again reports that the
// peer connected meanwhile and the dial was abandoned.
func (s *Service) dialStream(ctx context.Context, sd *sender) (st network.Stream, again bool, err error) {
	type opened struct {
		st  network.Stream
		err error
	}
	dctx, stop := context.WithCancel(ctx)
	defer stop()
	res := make(chan opened, 1)
	// Owned here: every path below waits for its result.
	go func() {
		st, err := s.host.NewStream(dctx, sd.peer, DMProtocol)
		res <- opened{st, err}
	}()
	for {
		select {
		case r := <-res:
			return r.st, false, r.err
		case <-sd.kick:
			if s.host.Network().Connectedness(sd.peer) != network.Connected {
				continue
			}
			stop()
			if r := <-res; r.err == nil {
				return r.st, false, nil // the dial had won the race
			}
			return nil, ctx.Err() == nil, ctx.Err()
		}
	}
}
