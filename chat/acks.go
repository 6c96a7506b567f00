package chat

import (
	"errors"
	"fmt"
	"time"

	"github.com/parley-im/parley/chat/pb"
	"github.com/parley-im/parley/storage"
)

// applyAcks settles acked items: out of the outbox, and messages
// delivered (or failed, when the peer refused them).
func (ss *sendSession) applyAcks(batch []*pb.Ack) error {
	type settled struct {
		item storage.OutboxItem
		ack  *pb.Ack
	}
	var (
		done []settled
		busy time.Duration // the longest wait a BUSY ack asked for
	)
	for _, a := range batch {
		id, ok := idString(a.GetId())
		if !ok {
			return fmt.Errorf("%w: ack with a bad id", ErrBadFrame)
		}
		item, ok := ss.inflight[id]
		if !ok {
			continue
		}
		if a.GetResult() == pb.Ack_BUSY {
			// The item stays in the outbox, for a later session.
			ss.untrack(id)
			busy = max(busy, retryAfter(a))
			continue
		}
		done = append(done, settled{item, a})
	}
	ss.busyWait = max(ss.busyWait, busy)
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
		ss.untrack(d.item.RefID)
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
	case pb.Ack_REFUSED:
		return "the recipient did not accept the message"
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
