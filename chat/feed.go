package chat

import (
	"sync"
	"time"

	"github.com/parley-im/parley/storage"
)

// EventType names the kind of an Event, as sent in the SSE "event:" field.
type EventType string

// Event types published on the Feed.
const (
	EventPeerConnected    EventType = "peer_connected"
	EventPeerDisconnected EventType = "peer_disconnected"
	// EventMessage carries a storage.Message, sent or received.
	EventMessage EventType = "message"
	// EventReceipt carries a ReceiptEvent: a message changed status.
	EventReceipt EventType = "receipt"
	// EventFriendRequest carries a storage.FriendRequest that was made or
	// changed status.
	EventFriendRequest EventType = "friend_request"
	// EventContact carries a ContactEvent.
	EventContact EventType = "contact"
	// EventGroup carries a GroupEvent: a group was created, joined, left,
	// or its membership changed; invitations arrive as action "invited".
	EventGroup EventType = "group"
	// EventProfile carries a ProfileEvent: a contact's profile changed.
	EventProfile EventType = "profile"
	// EventPresence carries a PresenceEvent: a contact's presence changed.
	EventPresence EventType = "presence"
	// EventReset tells a resuming subscriber that events it asked for were
	// dropped from the buffer (or lost in a restart): re-read state.
	EventReset EventType = "reset"
)

// Event is one entry of the node's event feed.
type Event struct {
	ID   uint64    `json:"id"`
	Type EventType `json:"type"`
	Time time.Time `json:"time"`
	Data any       `json:"data,omitempty"`
}

// PeerEvent is the Data of peer_connected and peer_disconnected events.
type PeerEvent struct {
	PeerID    string `json:"peer_id"`
	Addr      string `json:"addr,omitempty"`
	Direction string `json:"direction,omitempty"`
}

// ReceiptEvent is the Data of a receipt event.
type ReceiptEvent struct {
	ConversationID string                `json:"conversation_id"`
	MessageID      string                `json:"message_id"`
	Status         storage.MessageStatus `json:"status"`
	Error          string                `json:"error,omitempty"`
	// Outgoing is true for our own messages (a peer's progress), false
	// for the peer's messages (our reading of them).
	Outgoing bool `json:"outgoing"`
}

// Contact event actions.
const (
	ContactAdded   = "added"
	ContactUpdated = "updated"
	ContactRemoved = "removed"
)

// ContactEvent is the Data of a contact event.
type ContactEvent struct {
	Action  string              `json:"action"`
	Contact storage.ContactInfo `json:"contact"`
}

// ProfileEvent is the Data of a profile event.
type ProfileEvent struct {
	UserID  string      `json:"user_id"`
	Profile ProfileView `json:"profile"`
}

// PresenceEvent is the Data of a presence event.
type PresenceEvent struct {
	UserID   string       `json:"user_id"`
	Presence PresenceView `json:"presence"`
}

// DefaultFeedSize is how many past events a Feed keeps for resuming
// subscribers.
const DefaultFeedSize = 4096

// feedBytes bounds the message text the ring keeps, so that a flood of
// large messages (64 KiB each, 4,096 of them would be 256 MiB) cannot make
// the feed the node's largest memory user: past it, the oldest events are
// dropped from the ring as if it were full (a resuming client is told
// with EventReset).
const feedBytes = 8 << 20

// subscriberBuffer bounds what a slow subscriber may fall behind before the
// feed drops it; it can resume from its last event ID.
const subscriberBuffer = 1024

// Feed is an in-memory, bounded log of events with live subscribers.
// Event IDs start at the feed's creation time in microseconds and grow by
// one, so IDs keep increasing across daemon restarts and a client resuming
// with an ID from a previous run is told it missed events (EventReset).
type Feed struct {
	mu    sync.Mutex
	buf   []Event // ring of the last len(buf) events
	start uint64  // ID of the first event this feed ever published
	next  uint64  // ID the next event gets
	// first is the oldest event the ring still holds, at most len(buf)
	// behind next; bytes is the message text of the events from first on.
	first  uint64
	bytes  int
	subs   map[*Subscription]struct{}
	closed bool
}

// NewFeed returns a feed that keeps the last size events (DefaultFeedSize
// when size ≤ 0).
func NewFeed(size int) *Feed {
	return newFeed(size, uint64(time.Now().UnixMicro()))
}

func newFeed(size int, first uint64) *Feed {
	if size <= 0 {
		size = DefaultFeedSize
	}
	return &Feed{
		buf:   make([]Event, size),
		start: first,
		next:  first,
		first: first,
		subs:  make(map[*Subscription]struct{}),
	}
}

// Publish appends an event and hands it to every subscriber. A subscriber
// whose buffer is full is dropped rather than blocking the publisher.
func (f *Feed) Publish(typ EventType, data any) Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	ev := Event{ID: f.next, Type: typ, Time: time.Now().UTC(), Data: data}
	f.next++
	if f.next-f.first > uint64(len(f.buf)) {
		f.dropOldestLocked() // the slot the new event takes
	}
	f.buf[ev.ID%uint64(len(f.buf))] = ev
	f.bytes += eventBytes(ev)
	for f.bytes > feedBytes && f.first < ev.ID {
		f.dropOldestLocked()
	}
	for s := range f.subs {
		select {
		case s.ch <- ev:
		default:
			f.dropLocked(s)
		}
	}
	return ev
}

// Subscribe starts a subscription. With after = 0 it delivers only new
// events; otherwise it first delivers the buffered events with ID > after,
// preceded by an EventReset when some of them are no longer buffered.
func (f *Feed) Subscribe(after uint64) *Subscription {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := &Subscription{feed: f}
	var backlog []Event
	if after != 0 && after+1 < f.next {
		oldest := f.first
		from := after + 1
		if from < oldest {
			backlog = append(backlog, Event{Type: EventReset, Time: time.Now().UTC()})
			from = oldest
		}
		for id := from; id < f.next; id++ {
			backlog = append(backlog, f.buf[id%uint64(len(f.buf))])
		}
	}
	s.ch = make(chan Event, subscriberBuffer+len(backlog))
	for _, ev := range backlog {
		s.ch <- ev
	}
	if f.closed {
		close(s.ch)
		return s
	}
	f.subs[s] = struct{}{}
	return s
}

// dropOldestLocked takes the oldest event out of the ring.
func (f *Feed) dropOldestLocked() {
	i := f.first % uint64(len(f.buf))
	f.bytes -= eventBytes(f.buf[i])
	f.buf[i] = Event{}
	f.first++
}

// eventBytes is the part of an event's size that can be large: a
// message's text.
func eventBytes(ev Event) int {
	if m, ok := ev.Data.(storage.Message); ok {
		return len(m.Content)
	}
	return 0
}

// Close ends every subscription; later subscriptions end at once.
func (f *Feed) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for s := range f.subs {
		f.dropLocked(s)
	}
}

func (f *Feed) dropLocked(s *Subscription) {
	delete(f.subs, s)
	close(s.ch)
}

// Subscription receives events from a Feed until it is closed, the feed
// closes, or it falls too far behind.
type Subscription struct {
	feed *Feed
	ch   chan Event
}

// Events returns the channel of events; it is closed when the subscription
// ends.
func (s *Subscription) Events() <-chan Event { return s.ch }

// Close ends the subscription. It is safe to call more than once.
func (s *Subscription) Close() {
	s.feed.mu.Lock()
	defer s.feed.mu.Unlock()
	if _, ok := s.feed.subs[s]; ok {
		s.feed.dropLocked(s)
	}
}
