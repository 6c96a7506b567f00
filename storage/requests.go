package storage

import (
	"errors"
	"fmt"
	"slices"
)

// Request returns the friend request with id, or ErrNotFound.
func (tx *Tx) Request(id string) (FriendRequest, error) {
	var r FriendRequest
	if err := getJSON(tx.txn, requestKey(id), &r); err != nil {
		return FriendRequest{}, err
	}
	return r, nil
}

// PutRequest stores r and indexes it under the other peer and, while it
// is an incoming request awaiting an answer, in the pending index.
func (tx *Tx) PutRequest(r FriendRequest) error {
	if r.ID == "" {
		return fmt.Errorf("put request: empty id")
	}
	old, err := tx.Request(r.ID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if err == nil && old.pendingIncoming() && (!r.pendingIncoming() || !old.ReceivedAt.Equal(r.ReceivedAt)) {
		if err := tx.txn.Delete(pendingRequestKey(old)); err != nil {
			return fmt.Errorf("unindex request %s: %w", r.ID, err)
		}
	}
	if err := setJSON(tx.txn, requestKey(r.ID), r); err != nil {
		return err
	}
	if err := tx.txn.Set(requestPeerKey(r.OtherPeer(), r.ID), nil); err != nil {
		return fmt.Errorf("index request %s: %w", r.ID, err)
	}
	if r.pendingIncoming() {
		if err := tx.txn.Set(pendingRequestKey(r), nil); err != nil {
			return fmt.Errorf("index request %s: %w", r.ID, err)
		}
	}
	return nil
}

// DeleteRequest removes the request id and its index entries (no error
// when absent).
func (tx *Tx) DeleteRequest(id string) error {
	r, err := tx.Request(id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	keys := [][]byte{requestKey(id), requestPeerKey(r.OtherPeer(), id)}
	if r.pendingIncoming() {
		keys = append(keys, pendingRequestKey(r))
	}
	for _, k := range keys {
		if err := tx.txn.Delete(k); err != nil {
			return fmt.Errorf("delete request %s: %w", id, err)
		}
	}
	return nil
}

// pendingIncoming reports whether r is someone's request awaiting the
// owner's answer.
func (r FriendRequest) pendingIncoming() bool { return !r.Outgoing && r.Status == RequestPending }

// CountPendingIncoming counts the incoming requests awaiting an answer, up
// to limit: it reads only the pending index, never the requests.
func (tx *Tx) CountPendingIncoming(limit int) (int, error) {
	n := 0
	err := tx.scan([]byte(prefixPendingRequest), nil, false, func(_, _ []byte) (bool, error) {
		n++
		return n < limit, nil
	})
	if err != nil {
		return 0, fmt.Errorf("count pending requests: %w", err)
	}
	return n, nil
}

// OldestPendingIncoming returns the incoming request awaiting an answer
// that arrived first, or ErrNotFound.
func (tx *Tx) OldestPendingIncoming() (FriendRequest, error) {
	var id string
	err := tx.scan([]byte(prefixPendingRequest), nil, false, func(k, _ []byte) (bool, error) {
		id = string(k[len(prefixPendingRequest)+8:])
		return false, nil
	})
	if err != nil {
		return FriendRequest{}, fmt.Errorf("oldest pending request: %w", err)
	}
	if id == "" {
		return FriendRequest{}, ErrNotFound
	}
	return tx.Request(id)
}

// OtherPeer is the peer on the other side of the request.
func (r FriendRequest) OtherPeer() string {
	if r.Outgoing {
		return r.UserID
	}
	return r.ReqUserID
}

// Requests lists every friend request, newest first.
func (tx *Tx) Requests() ([]FriendRequest, error) {
	var out []FriendRequest
	err := scanJSON(tx, []byte(prefixRequest), func(r FriendRequest) (bool, error) {
		out = append(out, r)
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	slices.SortFunc(out, func(a, b FriendRequest) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, nil
}

// RequestsWith lists the requests exchanged with peer, newest first.
func (tx *Tx) RequestsWith(peer string) ([]FriendRequest, error) {
	prefix := requestPeerKey(peer, "")
	var ids []string
	err := tx.scan(prefix, nil, false, func(k, _ []byte) (bool, error) {
		ids = append(ids, string(k[len(prefix):]))
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list requests with %s: %w", peer, err)
	}
	out := make([]FriendRequest, 0, len(ids))
	for _, id := range ids {
		r, err := tx.Request(id)
		if err != nil {
			return nil, fmt.Errorf("request %s: %w", id, err)
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b FriendRequest) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, nil
}
