package chat

import (
	"errors"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/chat/pb"
	"github.com/parley-im/parley/storage"
)

// maxReceiptIDs bounds the message IDs one read receipt carries (well
// within MaxFrameSize).
const maxReceiptIDs = 1000

// Send stores a text message to friend p and queues it for delivery. It
// returns the stored message (status pending) without waiting for the
// peer; receipt events report its progress.
func (s *Service) Send(p peer.ID, content string) (storage.Message, error) {
	if p == s.host.ID() {
		return storage.Message{}, ErrSelf
	}
	if err := checkContent(storage.TypeText, []byte(content)); err != nil {
		return storage.Message{}, err
	}
	now := time.Now().UTC()
	to := s.ids.get(p)
	m := storage.Message{
		ID:             newID(),
		ConversationID: to,
		Sender:         s.self,
		Recipient:      to,
		Type:           storage.TypeText,
		Content:        content,
		SentAt:         now,
		Status:         storage.StatusPending,
		Outgoing:       true,
	}
	// The frame goes into the cache first: once the commit lands, the
	// sender may read the outbox item before this call returns.
	if id, err := idBytes(m.ID); err == nil {
		s.fresh.put(m.ID, messageFrame(id, m))
	}
	err := s.store.Update(func(tx *storage.Tx) error {
		c, err := tx.Contact(to)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		if c.Blocked {
			return fmt.Errorf("%w: unblock %s to write to them", ErrBlocked, p)
		}
		if !c.Friend {
			return fmt.Errorf("%w: %s is not your friend yet; send a friend request first (parley friend add %s)", ErrNotFriend, p, p)
		}
		if err := tx.AddNewMessage(m); err != nil {
			return err
		}
		_, err = tx.AddOutbox(storage.OutboxItem{Peer: to, Kind: kindMessage, Conv: m.ConversationID, RefID: m.ID, SentAt: m.SentAt, CreatedAt: now})
		return err
	})
	if err != nil {
		s.fresh.take(m.ID)
		return storage.Message{}, err
	}
	s.publish(EventMessage, m)
	s.wake(p)
	return m, nil
}

// HistoryPage is one page of a conversation, newest first.
type HistoryPage struct {
	Messages []storage.Message `json:"messages"`
	// Next is the cursor of the following (older) page; empty at the end.
	Next string `json:"next,omitempty"`
}

// History returns up to limit messages with p older than cursor before
// ("" for the newest).
func (s *Service) History(p peer.ID, before string, limit int) (HistoryPage, error) {
	return s.history(p.String(), before, limit)
}

// history reads a page of a conversation; a malformed cursor is the
// caller's mistake (ErrInvalid).
func (s *Service) history(conv, before string, limit int) (HistoryPage, error) {
	var page HistoryPage
	err := s.store.View(func(tx *storage.Tx) (err error) {
		page.Messages, page.Next, err = tx.History(conv, before, limit)
		return err
	})
	if errors.Is(err, storage.ErrBadCursor) {
		return HistoryPage{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if page.Messages == nil {
		page.Messages = []storage.Message{}
	}
	return page, err
}

// Conversations lists conversations, most recent first.
func (s *Service) Conversations() ([]storage.Conversation, error) {
	var out []storage.Conversation
	err := s.store.View(func(tx *storage.Tx) (err error) { out, err = tx.Conversations(); return })
	return out, err
}

// MarkRead marks the conversation with p read and sends read receipts for
// the messages that were unread. It returns how many there were.
func (s *Service) MarkRead(p peer.ID) (int, error) {
	var changed []storage.Message
	err := s.store.Update(func(tx *storage.Tx) error {
		var err error
		changed, err = tx.MarkRead(p.String())
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("%w: no conversation with %s", ErrNotFound, p)
		}
		if err != nil {
			return err
		}
		for start := 0; start < len(changed); start += maxReceiptIDs {
			if err := queueReceipt(tx, p.String(), changed[start:min(start+maxReceiptIDs, len(changed))]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, m := range changed {
		s.publish(EventReceipt, ReceiptEvent{ConversationID: m.ConversationID, MessageID: m.ID, Status: storage.StatusRead})
	}
	if len(changed) > 0 {
		s.wake(p)
	}
	return len(changed), nil
}

func queueReceipt(tx *storage.Tx, peerID string, msgs []storage.Message) error {
	ids := make([][]byte, 0, len(msgs))
	for _, m := range msgs {
		b, err := idBytes(m.ID)
		if err != nil {
			return err
		}
		ids = append(ids, b)
	}
	frameID := newID()
	fid, err := idBytes(frameID)
	if err != nil {
		return err
	}
	frame, err := encodeFrame(&pb.Frame{Id: fid, Body: &pb.Frame_Receipt{Receipt: &pb.Receipt{
		Kind: pb.Receipt_READ, MessageIds: ids,
	}}})
	if err != nil {
		return err
	}
	_, err = tx.AddOutbox(storage.OutboxItem{Peer: peerID, Kind: kindReceipt, RefID: frameID, Frame: frame, CreatedAt: time.Now().UTC()})
	return err
}

// DeleteConversation deletes the conversation with p from this node only.
// Messages to p still waiting in the outbox are dropped with it.
func (s *Service) DeleteConversation(p peer.ID) error {
	if err := s.store.DeleteConversation(p.String()); err != nil {
		return err
	}
	// Frames of deleted messages must not be sent from the cache; the
	// others are rebuilt from storage when needed.
	s.fresh.clear()
	return nil
}
