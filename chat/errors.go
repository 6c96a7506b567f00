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
	// ErrBadPeer means a peer was named by neither a valid peer ID nor a
	// contact's remark name.
	ErrBadPeer = errors.New("unknown peer")
	// ErrAmbiguousPeer means a remark name matches more than one contact.
	ErrAmbiguousPeer = errors.New("ambiguous peer name")
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
	// ErrNoGroups means the service runs without GossipSub.
	ErrNoGroups = errors.New("groups are not available on this node")
)
