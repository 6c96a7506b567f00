package chat

import "errors"

var (
	// ErrNotFriend means the peer is not a friend: send a friend request first.
	ErrNotFriend = errors.New("not a friend")
	// ErrBlocked means the peer is blocked.
	ErrBlocked = errors.New("peer is blocked")
	// ErrTooLarge means message content is over MaxContentSize.
	ErrTooLarge = errors.New("content too large")
	// ErrInvalid means a request's content or field is not acceptable.
	ErrInvalid = errors.New("invalid input")
	// ErrBadPeer means a peer was named by neither a valid peer ID (or a
	// prefix of one) nor a contact's remark name or nickname.
	ErrBadPeer = errors.New("unknown peer")
	// ErrAmbiguousPeer means a name or peer ID prefix matches more than
	// one peer.
	ErrAmbiguousPeer = errors.New("ambiguous peer name")
	// ErrAmbiguousID means an ID prefix matches more than one object.
	ErrAmbiguousID = errors.New("ambiguous id prefix")
	// ErrNotFound means the named request or contact does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means the request is not in a state that allows the
	// action (accepting an accepted request, befriending a friend).
	ErrConflict = errors.New("conflict")
	// ErrSelf means the peer named is this node.
	ErrSelf = errors.New("that is your own peer id")
	// ErrClosed means the service has stopped.
	ErrClosed = errors.New("chat service closed")
)

var (
	// ErrForbidden means this node's role in a group does not allow the
	// change.
	ErrForbidden = errors.New("not allowed")
	// ErrAmbiguousGroup means a group name or ID prefix matches more than
	// one group.
	ErrAmbiguousGroup = errors.New("ambiguous group name")
	// ErrNoGroups means the service runs without GossipSub.
	ErrNoGroups = errors.New("groups are not available on this node")
)
