package storage

import (
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

// PutRequest stores r and indexes it under the other peer.
func (tx *Tx) PutRequest(r FriendRequest) error {
	if r.ID == "" {
		return fmt.Errorf("put request: empty id")
	}
	if err := setJSON(tx.txn, requestKey(r.ID), r); err != nil {
		return err
	}
	if err := tx.txn.Set(requestPeerKey(r.OtherPeer(), r.ID), nil); err != nil {
		return fmt.Errorf("index request %s: %w", r.ID, err)
	}
	return nil
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
