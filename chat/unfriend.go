package chat

import (
	"github.com/parley-im/parley/chat/pb"
	"github.com/parley-im/parley/storage"
)

// reasonUnfriended is the error of a message that was still queued when
// the friendship ended.
const reasonUnfriended = "no longer friends"

// failQueuedMessages takes the messages still queued for peerID out of the
// outbox and records them as failed: the friendship ended before they
// left. Other items (responses, receipts) stay.
func failQueuedMessages(tx *storage.Tx, peerID string) ([]ReceiptEvent, error) {
	var events []ReceiptEvent
	var after uint64
	for {
		items, err := tx.Outbox(peerID, after, sendBatch)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			after = it.Seq
			if it.Kind != kindMessage {
				continue
			}
			if err := tx.DeleteOutbox(it.Peer, it.Seq); err != nil {
				return nil, err
			}
			ev, ok, err := setStatus(tx, itemRef(it), storage.StatusFailed, reasonUnfriended)
			if err != nil {
				return nil, err
			}
			if ok {
				events = append(events, ev)
			}
		}
		if len(items) < sendBatch {
			return events, nil
		}
	}
}

// queueUnfriend tells peerID that we ended the friendship.
func (s *Service) queueUnfriend(tx *storage.Tx, peerID string) error {
	return s.queueResponse(tx, peerID, newID(), pb.FriendResponse_UNFRIEND)
}

// unfriended handles the remote peer's end of our friendship: it is no
// longer a friend here either (a block stays), what we queued for it
// fails, and a new request from either side waits for the other user.
func (in *inbound) unfriended() error {
	if !in.contact.Friend {
		return nil
	}
	in.contact.Friend = false
	if in.contact.Blocked {
		if err := in.tx.PutContact(*in.contact); err != nil {
			return err
		}
	} else if err := in.tx.DeleteContact(in.from); err != nil {
		return err
	}
	events, err := failQueuedMessages(in.tx, in.from)
	if err != nil {
		return err
	}
	in.res.event(EventContact, ContactEvent{Action: ContactRemoved, Contact: *in.contact})
	for _, ev := range events {
		in.res.event(EventReceipt, ev)
	}
	in.res.unprotect = true
	return nil
}
