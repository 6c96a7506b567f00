package chat

import (
	"time"

	"github.com/parley-im/parley/storage"
)

// sentMarks holds the messages a stream wrote whose "sent" is not
// recorded yet, by the time they were written. A message whose ack comes
// within sentDelay goes from pending to delivered and is never recorded
// as sent: under load that spares a status write and an event for most
// messages.
type sentMarks struct {
	batches []writtenBatch // oldest first
}

type writtenBatch struct {
	at    time.Time
	items []storage.OutboxItem
}

// add notes the message items among items, written at at.
func (m *sentMarks) add(at time.Time, items []storage.OutboxItem) {
	var msgs []storage.OutboxItem
	for _, it := range items {
		if it.Kind == kindMessage {
			msgs = append(msgs, it)
		}
	}
	if len(msgs) > 0 {
		m.batches = append(m.batches, writtenBatch{at: at, items: msgs})
	}
}

// take removes and returns the items written at or before cutoff; with a
// zero cutoff, all of them.
func (m *sentMarks) take(cutoff time.Time) []storage.OutboxItem {
	var out []storage.OutboxItem
	n := 0
	for _, b := range m.batches {
		if !cutoff.IsZero() && b.at.After(cutoff) {
			break
		}
		out = append(out, b.items...)
		n++
	}
	m.batches = append(m.batches[:0], m.batches[n:]...)
	return out
}

// due returns when the oldest batch has waited sentDelay; ok is false when
// there is none.
func (m *sentMarks) due() (at time.Time, ok bool) {
	if len(m.batches) == 0 {
		return time.Time{}, false
	}
	return m.batches[0].at.Add(sentDelay), true
}
