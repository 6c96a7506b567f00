package chat

import (
	"errors"
	"fmt"

	"github.com/parley-im/parley/storage"
)

// MarkGroupRead marks a group's conversation read on this node and
// returns how many messages were unread. Groups send no read receipts;
// the receipt events only tell this node's other clients (a second page).
func (s *Service) MarkGroupRead(group string) (int, error) {
	g, err := s.findGroup(group)
	if err != nil {
		return 0, err
	}
	conv := GroupConversationID(g.Info.GroupID)
	var changed []storage.Message
	err = s.store.Update(func(tx *storage.Tx) (err error) { changed, err = tx.MarkRead(conv); return })
	if errors.Is(err, storage.ErrNotFound) {
		return 0, nil // no message yet: nothing to read
	}
	if err != nil {
		return 0, fmt.Errorf("mark group %s read: %w", g.Info.GroupID, err)
	}
	for _, m := range changed {
		s.publish(EventReceipt, ReceiptEvent{ConversationID: conv, MessageID: m.ID, Status: storage.StatusRead})
	}
	return len(changed), nil
}
