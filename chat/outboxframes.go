package chat

import (
	"errors"
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/chat/pb"
	"github.com/parley-im/parley/storage"
)

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
