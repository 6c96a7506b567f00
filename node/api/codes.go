package api

import (
	"errors"
	"net/http"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/identity"
	"github.com/parley-im/parley/node"
	"github.com/parley-im/parley/storage"
)

// Code is the machine-readable outcome in a ServerResponse.
type Code int

// Response codes. Keep README.md's table in step with this one.
const (
	CodeOK               Code = 0
	CodeBadRequest       Code = 1000 // malformed JSON, unknown field, missing value
	CodeBadMultiaddr     Code = 1001 // a multiaddr that does not parse or lacks /p2p/
	CodeBadPeerID        Code = 1002 // a peer ID that does not parse
	CodeSelf             Code = 1003 // the request names this node itself
	CodeAmbiguousPeer    Code = 1004 // a peer name or peer ID prefix that matches several
	CodeBadNickname      Code = 1005 // nickname empty, over 64 characters, or with control characters
	CodeBadAvatar        Code = 1006 // avatar upload that is not a usable image
	CodeAmbiguous        Code = 1007 // a group name or an id prefix that matches several
	CodeUnauthorized     Code = 1100 // missing or wrong bearer token
	CodeForbidden        Code = 1101 // foreign Host or Origin header
	CodeNotFriend        Code = 1102 // the peer is not a friend: send a friend request first
	CodeBlocked          Code = 1103 // the peer is blocked
	CodeNotAllowed       Code = 1104 // your role in the group does not allow it
	CodeNotFound         Code = 1200 // no such route or object
	CodeMethodNotAllowed Code = 1201 // the route exists with another method
	CodeNotConnected     Code = 1202 // no connection to that peer
	CodeConflict         Code = 1203 // the object is not in a state that allows this
	CodeTooLarge         Code = 1300 // request body over the limit
	CodeUnreachable      Code = 1400 // dialing the peer failed
	CodeInternal         Code = 1500 // a bug or a storage failure; see the daemon log
	CodeUnavailable      Code = 1501 // the daemon is shutting down
)

// errorKinds maps the errors of lower layers to codes and statuses, the
// one place where that happens. The first match wins.
var errorKinds = []struct {
	err    error
	code   Code
	status int
}{
	{node.ErrBadAddr, CodeBadMultiaddr, http.StatusBadRequest},
	{node.ErrBadPeerID, CodeBadPeerID, http.StatusBadRequest},
	{node.ErrSelf, CodeSelf, http.StatusBadRequest},
	{node.ErrNotConnected, CodeNotConnected, http.StatusNotFound},
	{node.ErrUnreachable, CodeUnreachable, http.StatusBadGateway},
	{node.ErrNotBootstrap, CodeNotFound, http.StatusNotFound},
	{node.ErrClosed, CodeUnavailable, http.StatusServiceUnavailable},
	{identity.ErrInvalidNickname, CodeBadNickname, http.StatusBadRequest},
	{identity.ErrInvalidAvatar, CodeBadAvatar, http.StatusBadRequest},
	{chat.ErrBadPeer, CodeBadPeerID, http.StatusBadRequest},
	{chat.ErrAmbiguousPeer, CodeAmbiguousPeer, http.StatusBadRequest},
	{chat.ErrAmbiguousGroup, CodeAmbiguous, http.StatusBadRequest},
	{chat.ErrAmbiguousID, CodeAmbiguous, http.StatusBadRequest},
	{chat.ErrSelf, CodeSelf, http.StatusBadRequest},
	{chat.ErrInvalid, CodeBadRequest, http.StatusBadRequest},
	{chat.ErrTooLarge, CodeTooLarge, http.StatusRequestEntityTooLarge},
	{chat.ErrNotFriend, CodeNotFriend, http.StatusForbidden},
	{chat.ErrBlocked, CodeBlocked, http.StatusForbidden},
	{chat.ErrNotFound, CodeNotFound, http.StatusNotFound},
	{chat.ErrConflict, CodeConflict, http.StatusConflict},
	{chat.ErrForbidden, CodeNotAllowed, http.StatusForbidden},
	{chat.ErrNoGroups, CodeUnavailable, http.StatusServiceUnavailable},
	{chat.ErrClosed, CodeUnavailable, http.StatusServiceUnavailable},
	{storage.ErrClosed, CodeUnavailable, http.StatusServiceUnavailable},
}

// Error is an API failure: a code, its HTTP status and a message. The
// server writes it as an envelope; the client returns it.
type Error struct {
	Status  int    `json:"-"`
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Message }

// errorf builds an *Error.
func errorf(status int, code Code, msg string) *Error {
	return &Error{Status: status, Code: code, Message: msg}
}

// classify turns any error into an *Error.
func classify(err error) *Error {
	var apiErr *Error
	if errors.As(err, &apiErr) {
		return apiErr
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return errorf(http.StatusRequestEntityTooLarge, CodeTooLarge, err.Error())
	}
	for _, k := range errorKinds {
		if errors.Is(err, k.err) {
			return errorf(k.status, k.code, err.Error())
		}
	}
	return errorf(http.StatusInternalServerError, CodeInternal, err.Error())
}
