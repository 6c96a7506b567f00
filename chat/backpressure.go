package chat

import (
	"errors"
	"fmt"
	"time"

	"github.com/parley-im/parley/chat/pb"
	"github.com/parley-im/parley/storage"
)

const (
	// maxBusyWait bounds how long a BUSY ack can hold a sender back.
	maxBusyWait = 10 * time.Minute
	// sendWindowBytes bounds the bytes in flight on one stream, as
	// sendWindow bounds the frames: 1,024 messages of 60 KB would be 60 MB
	// for the receiver to read, and to answer BUSY, on every retry.
	sendWindowBytes = 8 << 20
)

// errBusy is a session's end when the peer answered BUSY: the frames it
// did not take stay in the outbox, and the sender waits before it offers
// them again (back-pressure, not loss).
type errBusy struct{ wait time.Duration }

func (e *errBusy) Error() string { return fmt.Sprintf("peer is busy: retry in %s", e.wait) }

// busyErr is an *errBusy for a positive wait, nil otherwise.
func busyErr(wait time.Duration) error {
	if wait <= 0 {
		return nil
	}
	return &errBusy{wait: wait}
}

// retryAfter is the wait a BUSY ack asks for, within bounds.
func retryAfter(a *pb.Ack) time.Duration {
	d := time.Duration(a.GetRetryAfterMs()) * time.Millisecond
	return min(max(d, 10*time.Millisecond), maxBusyWait)
}

// waitBusy waits out a BUSY answer, when err is one; it reports whether it
// did. A new connection of the peer (a kick) ends the wait early: a peer
// that restarted has new buckets.
func (s *Service) waitBusy(sd *sender, err error) bool {
	var b *errBusy
	if !errors.As(err, &b) {
		return false
	}
	t := time.NewTimer(b.wait)
	defer t.Stop()
	select {
	case <-s.ctx.Done():
	case <-sd.kick:
	case <-t.C:
	}
	return true
}

// track records item as in flight, its frame size bytes.
func (ss *sendSession) track(item storage.OutboxItem, size int) {
	ss.inflight[item.RefID] = item
	ss.sizes[item.RefID] = size
	ss.bytes += size
}

// untrack ends frame id's flight.
func (ss *sendSession) untrack(id string) {
	delete(ss.inflight, id)
	ss.bytes -= ss.sizes[id]
	delete(ss.sizes, id)
}
