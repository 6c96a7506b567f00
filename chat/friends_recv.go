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
// accepted at once; otherwise it waits for the user. A stranger has one
// live request: a new one replaces its pending one, and its settled ones
// are pruned. Strangers' requests come at a rate per peer (over it, the
// sender is told to wait: BUSY), and when maxPendingRequests wait already
// the oldest is dropped to make room, so that a flood of identities never
// hides the newest request.
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
	if in.window.Covers(createdAt) {
		in.res.ack(in.frame.Id, pb.Ack_REFUSED, "")
		return nil
	}
	if !in.contact.Friend {
		if ok, wait := in.svc.requestRate.take(in.remote, 1); !ok {
			in.res.busy(in.frame.Id, wait, "too many friend requests from you")
			return nil
		}
	}
	req := storage.FriendRequest{
		ID:         id,
		UserID:     in.svc.self,
		ReqUserID:  in.from,
		ReqMessage: note,
		Status:     storage.RequestPending,
		CreatedAt:  createdAt,
		UpdatedAt:  now,
		ReceivedAt: now,
	}
	crossed, err := in.settleEarlierRequests(now)
	if err != nil {
		return err
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
	} else if err := in.makeRoomForRequest(now); err != nil {
		return err
	}
	if err := in.tx.PutRequest(req); err != nil {
		return err
	}
	in.res.event(EventFriendRequest, req)
	in.res.ack(in.frame.Id, pb.Ack_OK, "")
	return nil
}

// settleEarlierRequests clears the way for a new request from the remote
// peer: our own pending request to it is accepted by the crossing (crossed
// reports it), its pending one is replaced (reported as canceled), and its
// rejected or canceled ones are pruned. Accepted ones stay.
func (in *inbound) settleEarlierRequests(now time.Time) (crossed bool, err error) {
	with, err := in.tx.RequestsWith(in.from)
	if err != nil {
		return false, err
	}
	for _, old := range with {
		switch {
		case old.Outgoing && old.Status == storage.RequestPending:
			crossed = true
			old.Status, old.UpdatedAt = storage.RequestAccepted, now
			if err := in.tx.PutRequest(old); err != nil {
				return false, err
			}
			in.res.event(EventFriendRequest, old)
		case !old.Outgoing && old.Status != storage.RequestAccepted:
			if err := in.tx.DeleteRequest(old.ID); err != nil {
				return false, err
			}
			if old.Status == storage.RequestPending {
				old.Status, old.UpdatedAt = storage.RequestCanceled, now
				in.res.event(EventFriendRequest, old)
			}
		}
	}
	return crossed, nil
}

// makeRoomForRequest drops the pending requests that arrived first until
// one more fits under maxPendingRequests. Each stranger has one pending
// request, so the oldest overall is also the oldest of its peer; its
// sender may ask again later, and the user saw its event when it came.
func (in *inbound) makeRoomForRequest(now time.Time) error {
	n, err := in.tx.CountPendingIncoming(maxPendingRequests)
	if err != nil {
		return err
	}
	for ; n >= maxPendingRequests; n-- {
		old, err := in.tx.OldestPendingIncoming()
		if err != nil {
			return err
		}
		if err := in.tx.DeleteRequest(old.ID); err != nil {
			return err
		}
		old.Status, old.UpdatedAt = storage.RequestCanceled, now
		in.res.event(EventFriendRequest, old)
	}
	return nil
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
	if r.GetDecision() == pb.FriendResponse_UNFRIEND {
		return in.unfriended()
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
		// A withdrawn request is of no further use: pruned at once.
		req.Status, req.UpdatedAt = storage.RequestCanceled, now
		if err := in.tx.DeleteRequest(req.ID); err != nil {
			return err
		}
		in.res.event(EventFriendRequest, req)
		return nil
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
