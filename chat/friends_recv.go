package chat

import (
	"errors"
	"fmt"
	"time"

	"github.com/parley-im/parley/chat/pb"
	"github.com/parley-im/parley/storage"
)

// friendRequest handles a request from the remote peer. A request from a
// friend, or one that crosses our own pending request to that peer, is
// accepted at once; otherwise it waits for the user.
func (in *inbound) friendRequest(r *pb.FriendRequest) error {
	id, _ := idString(in.frame.Id)
	note := r.GetMessage()
	if err := checkRequestMessage(note); err != nil {
		in.res.ack(in.frame.Id, pb.Ack_INVALID, err.Error())
		return nil
	}
	if existing, err := in.tx.Request(id); err == nil {
		if existing.OtherPeer() != in.from {
			return fmt.Errorf("%w: request id reused across peers", errViolation)
		}
		in.res.ack(in.frame.Id, pb.Ack_OK, "") // a redelivery
		return nil
	} else if !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	now := time.Now().UTC()
	createdAt, ok := senderTime(r.GetCreatedAt(), now)
	if !ok {
		createdAt = now
	}
	req := storage.FriendRequest{
		ID:         id,
		UserID:     in.svc.self,
		ReqUserID:  in.from,
		ReqMessage: note,
		Status:     storage.RequestPending,
		CreatedAt:  createdAt,
		UpdatedAt:  now,
	}
	with, err := in.tx.RequestsWith(in.from)
	if err != nil {
		return err
	}
	crossed := false
	for _, old := range with {
		if old.Status != storage.RequestPending {
			continue
		}
		if old.Outgoing {
			crossed = true
		}
		// One pending request per peer and direction: the newest wins, an
		// outgoing one is settled by the crossing.
		old.Status = storage.RequestCanceled
		if old.Outgoing {
			old.Status = storage.RequestAccepted
		}
		old.UpdatedAt = now
		if err := in.tx.PutRequest(old); err != nil {
			return err
		}
		in.res.event(EventFriendRequest, old)
	}
	if in.contact.Friend || crossed {
		req.Status = storage.RequestAccepted
		if err := in.befriend(now); err != nil {
			return err
		}
		if err := in.svc.queueResponse(in.tx, in.from, id, pb.FriendResponse_ACCEPT); err != nil {
			return err
		}
		in.res.queued = true
	} else if n, err := pendingIncoming(in.tx); err != nil {
		return err
	} else if n >= maxPendingRequests {
		in.res.ack(in.frame.Id, pb.Ack_LIMIT, "too many pending friend requests")
		return nil
	}
	if err := in.tx.PutRequest(req); err != nil {
		return err
	}
	in.res.event(EventFriendRequest, req)
	in.res.ack(in.frame.Id, pb.Ack_OK, "")
	return nil
}

func pendingIncoming(tx *storage.Tx) (int, error) {
	all, err := tx.Requests()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range all {
		if !r.Outgoing && r.Status == storage.RequestPending {
			n++
		}
	}
	return n, nil
}

// befriend makes the remote peer a friend inside the transaction.
func (in *inbound) befriend(now time.Time) error {
	if in.contact.Friend {
		return nil
	}
	action := ContactUpdated
	if in.contact.UserID == "" {
		action = ContactAdded
		in.contact.UserID = in.from
		in.contact.AddedAt = now
	}
	in.contact.Friend = true
	if err := in.tx.PutContact(*in.contact); err != nil {
		return err
	}
	in.res.event(EventContact, ContactEvent{Action: action, Contact: *in.contact})
	in.res.protect = true
	return nil
}

// friendResponse handles the remote peer's answer to our request, or its
// withdrawal of its own.
func (in *inbound) friendResponse(r *pb.FriendResponse) error {
	in.res.ack(in.frame.Id, pb.Ack_OK, "")
	reqID, ok := idString(r.GetRequestId())
	if !ok {
		return fmt.Errorf("%w: bad request id in a response", errViolation)
	}
	req, err := in.tx.Request(reqID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil // nothing we know of: an answer to a deleted request
	}
	if err != nil {
		return err
	}
	if req.OtherPeer() != in.from || req.Status != storage.RequestPending {
		return nil // not theirs to answer, or already settled
	}
	now := time.Now().UTC()
	switch r.GetDecision() {
	case pb.FriendResponse_ACCEPT:
		if !req.Outgoing {
			return nil
		}
		req.Status = storage.RequestAccepted
		if err := in.befriend(now); err != nil {
			return err
		}
	case pb.FriendResponse_REJECT:
		if !req.Outgoing {
			return nil
		}
		req.Status = storage.RequestRejected
	case pb.FriendResponse_CANCEL:
		if req.Outgoing {
			return nil
		}
		req.Status = storage.RequestCanceled
	default:
		return nil
	}
	req.UpdatedAt = now
	if err := in.tx.PutRequest(req); err != nil {
		return err
	}
	in.res.event(EventFriendRequest, req)
	return nil
}
