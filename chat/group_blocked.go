package chat

import (
	"errors"
	"time"

	"github.com/parley-im/parley/storage"
)

// errBlockedAuthor means a group message was not stored: its author is
// blocked, or it says it was sent within the author's last block window.
var errBlockedAuthor = errors.New("group message by a blocked author")

// blockCheck tells, within one transaction, which group messages come
// from a blocked author: one this node blocks now, or one whose block
// window covers the message's sent time. As with DMs (receive), nothing
// the peer sent while blocked is stored, from the topic or from sync, nor
// served by our sync, even after the block is lifted. Each author's
// contact and window are read once per transaction.
type blockCheck struct {
	tx   *storage.Tx
	seen map[string]authorBlock
}

type authorBlock struct {
	blocked bool
	window  storage.BlockWindow
}

func newBlockCheck(tx *storage.Tx) *blockCheck {
	return &blockCheck{tx: tx, seen: make(map[string]authorBlock)}
}

// refuses reports whether a message author says it sent at sentAt is to
// be neither stored nor served.
func (b *blockCheck) refuses(author string, sentAt time.Time) (bool, error) {
	ab, ok := b.seen[author]
	if !ok {
		c, err := b.tx.Contact(author)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return false, err
		}
		w, err := b.tx.BlockWindow(author)
		if err != nil {
			return false, err
		}
		ab = authorBlock{blocked: c.Blocked, window: w}
		b.seen[author] = ab
	}
	return ab.blocked || ab.window.Covers(sentAt), nil
}
