package storage

import "time"

// MessageType is the kind of content a message carries.
type MessageType string

// Message types. Only text is sent today; the others are reserved so that
// stored history and the wire format need no change when they arrive.
const (
	TypeText   MessageType = "text"
	TypeImage  MessageType = "image"
	TypeFile   MessageType = "file"
	TypeSystem MessageType = "system"
)

// MessageStatus is where a message is on its way.
type MessageStatus string

// Message statuses. Outgoing: pending → sent → delivered → read, or
// failed. Incoming messages are delivered, then read.
const (
	StatusPending   MessageStatus = "pending"
	StatusSent      MessageStatus = "sent"
	StatusDelivered MessageStatus = "delivered"
	StatusRead      MessageStatus = "read"
	StatusFailed    MessageStatus = "failed"
)

// rank orders statuses so that a late, older status never overwrites a
// newer one (a delivered ack arriving after the read receipt).
func (s MessageStatus) rank() int {
	switch s {
	case StatusPending:
		return 1
	case StatusSent:
		return 2
	case StatusDelivered:
		return 3
	case StatusRead:
		return 4
	case StatusFailed:
		return 5
	}
	return 0
}

// Advances reports whether moving from s to next is progress.
func (s MessageStatus) Advances(next MessageStatus) bool { return next.rank() > s.rank() }

// Message is one message of a conversation, in either direction. Group
// messages set GroupID and Epoch.
type Message struct {
	ID             string        `json:"id"`
	ConversationID string        `json:"conversation_id"`
	Sender         string        `json:"sender"`
	Recipient      string        `json:"recipient,omitempty"`
	Type           MessageType   `json:"type"`
	Content        string        `json:"content"`
	SentAt         time.Time     `json:"sent_at"`
	ReceivedAt     time.Time     `json:"received_at,omitzero"`
	Status         MessageStatus `json:"status"`
	Outgoing       bool          `json:"outgoing"`
	Error          string        `json:"error,omitempty"`
	GroupID        string        `json:"group_id,omitempty"`
	Epoch          uint64        `json:"epoch,omitempty"`
}

// Conversation summarizes one conversation for the conversation list.
type Conversation struct {
	ID        string    `json:"id"`
	Last      Message   `json:"last"`
	Unread    int       `json:"unread"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ContactInfo is what the owner keeps about another user. A contact is a
// friend, or a stranger kept only to be blocked (Friend false).
type ContactInfo struct {
	UserID     string    `json:"user_id"`
	RemarkName string    `json:"remark_name,omitempty"`
	Labels     []string  `json:"labels,omitempty"`
	Friend     bool      `json:"friend"`
	Blocked    bool      `json:"blocked"`
	AddedAt    time.Time `json:"added_at"`
	// Addrs are the multiaddrs the contact was last reached at, so that it
	// can be redialed after a restart.
	Addrs []string `json:"addrs,omitempty"`
}

// RequestStatus is the state of a friend request.
type RequestStatus string

// Friend request statuses.
const (
	RequestPending  RequestStatus = "pending"
	RequestAccepted RequestStatus = "accepted"
	RequestRejected RequestStatus = "rejected"
	RequestCanceled RequestStatus = "canceled"
)

// FriendRequest asks UserID to become ReqUserID's friend.
type FriendRequest struct {
	ID         string        `json:"id"`
	UserID     string        `json:"user_id"`     // to
	ReqUserID  string        `json:"req_user_id"` // from
	ReqMessage string        `json:"req_message,omitempty"`
	Status     RequestStatus `json:"status"`
	Outgoing   bool          `json:"outgoing"`
	CreatedAt  time.Time     `json:"created_at"`
	UpdatedAt  time.Time     `json:"updated_at"`
	// ReceivedAt is when an incoming request arrived, by the owner's
	// clock (CreatedAt is the sender's): the pending index's order.
	ReceivedAt time.Time `json:"received_at,omitzero"`
}

// OutboxItem is something owed to a peer until it acks: a reference to a
// stored record (a message by Conv and RefID, a request by RefID) that the
// sender turns into a frame, or, for kinds with no record of their own, the
// encoded frame itself (opaque to storage).
type OutboxItem struct {
	Peer  string `json:"peer"`
	Seq   uint64 `json:"seq"`
	Kind  string `json:"kind"`
	Conv  string `json:"conv,omitempty"`
	RefID string `json:"ref_id,omitempty"`
	// SentAt locates a message item's record without the ID index.
	SentAt    time.Time `json:"sent_at,omitzero"`
	Frame     []byte    `json:"frame,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}
