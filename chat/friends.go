package chat

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/chat/pb"
	"github.com/parley-im/parley/storage"
)

// friendTag protects friends' connections from the connection manager.
const friendTag = "parley-friend"

// checkRequestMessage applies the rules for a friend request's note.
func checkRequestMessage(s string) error {
	if len(s) > MaxRequestMessage {
		return fmt.Errorf("%w: request message of %d bytes, the limit is %d", ErrTooLarge, len(s), MaxRequestMessage)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: request message is not valid UTF-8", ErrInvalid)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' {
			return fmt.Errorf("%w: request message has control characters", ErrInvalid)
		}
	}
	return nil
}

// AddFriend sends a friend request to p with an optional note. When p has
// already asked us, that request is accepted instead.
func (s *Service) AddFriend(p peer.ID, note string) (storage.FriendRequest, error) {
	if p == s.host.ID() {
		return storage.FriendRequest{}, ErrSelf
	}
	if err := checkRequestMessage(note); err != nil {
		return storage.FriendRequest{}, err
	}
	var (
		req    storage.FriendRequest
		accept string // an incoming request to accept instead
	)
	err := s.store.Update(func(tx *storage.Tx) error {
		req, accept = storage.FriendRequest{}, ""
		c, err := tx.Contact(p.String())
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		if c.Blocked {
			return fmt.Errorf("%w: unblock %s first", ErrBlocked, p)
		}
		if c.Friend {
			return fmt.Errorf("%w: %s is already your friend", ErrConflict, p)
		}
		with, err := tx.RequestsWith(p.String())
		if err != nil {
			return err
		}
		for _, r := range with {
			if r.Status != storage.RequestPending {
				continue
			}
			if r.Outgoing {
				req = r // already asked: nothing new to send
				return nil
			}
			accept = r.ID
			return nil
		}
		now := time.Now().UTC()
		req = storage.FriendRequest{
			ID: newID(), UserID: p.String(), ReqUserID: s.self, ReqMessage: note,
			Status: storage.RequestPending, Outgoing: true, CreatedAt: now, UpdatedAt: now,
		}
		if err := tx.PutRequest(req); err != nil {
			return err
		}
		_, err = tx.AddOutbox(storage.OutboxItem{Peer: p.String(), Kind: kindRequest, RefID: req.ID, CreatedAt: now})
		return err
	})
	if err != nil {
		return storage.FriendRequest{}, fmt.Errorf("friend request to %s: %w", p, err)
	}
	if accept != "" {
		return s.AcceptRequest(accept)
	}
	s.publish(EventFriendRequest, req)
	s.wake(p)
	return req, nil
}

// Requests lists friend requests in both directions, newest first.
func (s *Service) Requests() ([]storage.FriendRequest, error) {
	var out []storage.FriendRequest
	err := s.store.View(func(tx *storage.Tx) (err error) { out, err = tx.Requests(); return })
	return out, err
}

// AcceptRequest accepts an incoming request: the sender becomes a friend
// and is told so.
func (s *Service) AcceptRequest(id string) (storage.FriendRequest, error) {
	return s.answer(id, pb.FriendResponse_ACCEPT)
}

// RejectRequest rejects an incoming request and tells the sender.
func (s *Service) RejectRequest(id string) (storage.FriendRequest, error) {
	return s.answer(id, pb.FriendResponse_REJECT)
}

// CancelRequest withdraws an outgoing request.
func (s *Service) CancelRequest(id string) (storage.FriendRequest, error) {
	return s.answer(id, pb.FriendResponse_CANCEL)
}

// answer settles a pending request by the user's decision and queues the
// response frame for the other peer.
func (s *Service) answer(id string, d pb.FriendResponse_Decision) (storage.FriendRequest, error) {
	if _, err := idBytes(id); err != nil {
		return storage.FriendRequest{}, fmt.Errorf("%w: request id %q", ErrInvalid, id)
	}
	var (
		req     storage.FriendRequest
		contact *ContactEvent
	)
	err := s.store.Update(func(tx *storage.Tx) error {
		contact = nil
		var err error
		req, err = tx.Request(id)
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("%w: no friend request %s", ErrNotFound, id)
		}
		if err != nil {
			return err
		}
		if req.Status != storage.RequestPending {
			return fmt.Errorf("%w: request %s is already %s", ErrConflict, id, req.Status)
		}
		outgoingOnly := d == pb.FriendResponse_CANCEL
		if req.Outgoing != outgoingOnly {
			if outgoingOnly {
				return fmt.Errorf("%w: request %s was sent to you: accept or reject it", ErrConflict, id)
			}
			return fmt.Errorf("%w: request %s is yours: cancel it", ErrConflict, id)
		}
		now := time.Now().UTC()
		req.UpdatedAt = now
		switch d {
		case pb.FriendResponse_ACCEPT:
			req.Status = storage.RequestAccepted
			c, err := tx.Contact(req.OtherPeer())
			if err != nil && !errors.Is(err, storage.ErrNotFound) {
				return err
			}
			action := ContactUpdated
			if c.UserID == "" {
				action = ContactAdded
				c = storage.ContactInfo{UserID: req.OtherPeer(), AddedAt: now}
			}
			c.Friend = true
			if err := tx.PutContact(c); err != nil {
				return err
			}
			contact = &ContactEvent{Action: action, Contact: c}
		case pb.FriendResponse_REJECT:
			req.Status = storage.RequestRejected
		case pb.FriendResponse_CANCEL:
			req.Status = storage.RequestCanceled
		}
		if err := tx.PutRequest(req); err != nil {
			return err
		}
		return s.queueResponse(tx, req.OtherPeer(), req.ID, d)
	})
	if err != nil {
		return storage.FriendRequest{}, err
	}
	p, err := peer.Decode(req.OtherPeer())
	if err != nil {
		return storage.FriendRequest{}, fmt.Errorf("stored request %s: %w", id, err)
	}
	s.publish(EventFriendRequest, req)
	if contact != nil {
		s.publish(EventContact, *contact)
		s.host.ConnManager().Protect(p, friendTag)
		s.rememberAddrs(p)
	}
	s.wake(p)
	return req, nil
}

// queueResponse puts a response frame for a request in peer's outbox.
func (s *Service) queueResponse(tx *storage.Tx, peerID, reqID string, d pb.FriendResponse_Decision) error {
	rid, err := idBytes(reqID)
	if err != nil {
		return err
	}
	frameID := newID()
	fid, err := idBytes(frameID)
	if err != nil {
		return err
	}
	frame, err := encodeFrame(&pb.Frame{Id: fid, Body: &pb.Frame_FriendResponse{
		FriendResponse: &pb.FriendResponse{RequestId: rid, Decision: d},
	}})
	if err != nil {
		return err
	}
	_, err = tx.AddOutbox(storage.OutboxItem{
		Peer: peerID, Kind: kindResponse, RefID: frameID, Frame: frame, CreatedAt: time.Now().UTC(),
	})
	return err
}

// checkRemark applies the rules for a contact's remark name.
func checkRemark(r string) error {
	if utf8.RuneCountInString(r) > 64 {
		return fmt.Errorf("%w: remark name over 64 characters", ErrInvalid)
	}
	if strings.TrimSpace(r) != r {
		return fmt.Errorf("%w: remark name starts or ends with a space", ErrInvalid)
	}
	for _, c := range r {
		if unicode.IsControl(c) {
			return fmt.Errorf("%w: remark name has control characters", ErrInvalid)
		}
	}
	if _, err := peer.Decode(r); err == nil && r != "" {
		return fmt.Errorf("%w: a remark name may not look like a peer id", ErrInvalid)
	}
	return nil
}
