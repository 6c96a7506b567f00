package chat

import (
	"fmt"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/storage"
)

// Names people type for peers, requests and groups, resolved the way git
// resolves short commit IDs: an exact match wins, a unique prefix does
// too, and an ambiguous one is an error that lists the candidates.

const (
	// peerIDStart is how every Ed25519 peer ID starts; it says nothing.
	peerIDStart = "12D3KooW"
	// MinPeerPrefix is how many characters after peerIDStart a peer ID
	// prefix needs (and a suffix, written …abcdef, in all).
	MinPeerPrefix = 6
	// MinIDPrefix is the shortest prefix of a request or group ID taken.
	MinIDPrefix = 4
	// maxCandidates bounds the candidates an ambiguity error lists.
	maxCandidates = 5
)

// ResolvePeer turns what a person typed for a peer into a peer ID: a peer
// ID, a contact's remark name (case-insensitive), the nickname of exactly
// one contact (case-insensitive), or a unique prefix of the ID of a
// contact, a requester or a connected peer (at least MinPeerPrefix
// characters after "12D3KooW"), or such a suffix written as …abcdef. A
// name that matches several is ErrAmbiguousPeer, listing them.
func (s *Service) ResolvePeer(name string) (peer.ID, error) {
	name = strings.TrimSpace(name)
	if p, err := peer.Decode(name); err == nil {
		return p, nil
	}
	if name == "" {
		return "", fmt.Errorf("%w: empty name", ErrBadPeer)
	}
	known, err := s.knownPeers()
	if err != nil {
		return "", err
	}
	for _, match := range []func(knownPeer) bool{
		func(k knownPeer) bool { return k.remark != "" && strings.EqualFold(k.remark, name) },
		func(k knownPeer) bool { return k.contact && k.nickname != "" && strings.EqualFold(k.nickname, name) },
		peerIDMatcher(name),
	} {
		if match == nil {
			continue
		}
		var found []knownPeer
		for _, k := range known {
			if match(k) {
				found = append(found, k)
			}
		}
		switch len(found) {
		case 0:
			continue
		case 1:
			return peer.Decode(found[0].id)
		}
		return "", fmt.Errorf("%w: %q could be %s; use a remark name or more of the peer id", ErrAmbiguousPeer, name, candidates(found, knownPeer.String))
	}
	return "", fmt.Errorf("%w: %q is neither a peer id (or a prefix of one, at least %d characters after %s) nor a contact's remark name or nickname",
		ErrBadPeer, name, MinPeerPrefix, peerIDStart)
}

// peerIDMatcher returns a test for peer IDs that name abbreviates, or nil
// when name is too short to abbreviate one.
func peerIDMatcher(name string) func(knownPeer) bool {
	for _, dots := range []string{"…", "..."} {
		if suffix, ok := strings.CutPrefix(name, dots); ok {
			if len(suffix) < MinPeerPrefix {
				return nil
			}
			return func(k knownPeer) bool { return strings.HasSuffix(k.id, suffix) }
		}
	}
	if !strings.HasPrefix(name, peerIDStart) || len(name) < len(peerIDStart)+MinPeerPrefix {
		return nil
	}
	return func(k knownPeer) bool { return strings.HasPrefix(k.id, name) }
}

// knownPeer is a peer a name may stand for.
type knownPeer struct {
	id, remark, nickname string
	contact              bool
}

func (k knownPeer) String() string {
	switch {
	case k.remark != "":
		return fmt.Sprintf("%s (%s)", k.id, k.remark)
	case k.nickname != "":
		return fmt.Sprintf("%s (nickname %s)", k.id, k.nickname)
	}
	return k.id
}

// knownPeers lists contacts (with their cached nicknames), the peers of
// friend requests and the connected peers, each once.
func (s *Service) knownPeers() ([]knownPeer, error) {
	var out []knownPeer
	seen := make(map[string]bool)
	add := func(k knownPeer) {
		if !seen[k.id] {
			seen[k.id] = true
			out = append(out, k)
		}
	}
	err := s.store.View(func(tx *storage.Tx) error {
		contacts, err := tx.Contacts()
		if err != nil {
			return err
		}
		now := time.Now()
		for _, c := range contacts {
			k := knownPeer{id: c.UserID, remark: c.RemarkName, contact: true}
			if v, err := contactView(tx, c, now); err == nil && v.Profile != nil {
				k.nickname = v.Profile.Nickname
			}
			add(k)
		}
		reqs, err := tx.Requests()
		if err != nil {
			return err
		}
		for _, r := range reqs {
			add(knownPeer{id: r.OtherPeer()})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("resolve peer: %w", err)
	}
	for _, p := range s.host.Network().Peers() {
		add(knownPeer{id: p.String()})
	}
	return out, nil
}

// ResolveRequest turns a friend request ID or a unique prefix of one (at
// least MinIDPrefix characters) into the request's ID.
func (s *Service) ResolveRequest(id string) (string, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	var reqs []storage.FriendRequest
	if err := s.store.View(func(tx *storage.Tx) (err error) { reqs, err = tx.Requests(); return }); err != nil {
		return "", fmt.Errorf("resolve request: %w", err)
	}
	ids := make([]string, len(reqs))
	for i, r := range reqs {
		ids[i] = r.ID
	}
	return resolveID("friend request", id, ids, func(s string) string { return s })
}

// ResolveGroup turns a group ID, a unique prefix of one (at least
// MinIDPrefix characters) or a unique group name into the group's ID. A
// name or prefix shared by several groups is ErrAmbiguousGroup, listing
// them; a name shared by one active group and groups you left is the
// active one.
func (s *Service) ResolveGroup(name string) (string, error) {
	name = strings.TrimSpace(name)
	var gs []storage.Group
	if err := s.store.View(func(tx *storage.Tx) (err error) { gs, err = tx.Groups(); return }); err != nil {
		return "", fmt.Errorf("resolve group: %w", err)
	}
	describe := func(id string) string {
		for _, g := range gs {
			if g.Info.GroupID == id {
				return fmt.Sprintf("%s (%s, %s)", id, g.Info.GroupName, g.Status)
			}
		}
		return id
	}
	var named, active []string
	for _, g := range gs {
		if g.Info.GroupID == name {
			return name, nil
		}
		if g.Info.GroupName == name {
			named = append(named, g.Info.GroupID)
			if g.Status == storage.GroupActive {
				active = append(active, g.Info.GroupID)
			}
		}
	}
	switch {
	case len(named) == 1:
		return named[0], nil
	case len(active) == 1:
		return active[0], nil
	case len(named) > 1:
		return "", fmt.Errorf("%w: %d groups are named %q: %s; use the group id (a prefix will do)", ErrAmbiguousGroup, len(named), name, candidates(named, describe))
	}
	ids := make([]string, len(gs))
	for i, g := range gs {
		ids[i] = g.Info.GroupID
	}
	return resolveID("group", strings.ToLower(name), ids, describe)
}

// resolveID finds id, or the one of ids it is a prefix of.
func resolveID(kind, id string, ids []string, describe func(string) string) (string, error) {
	var found []string
	for _, have := range ids {
		if have == id {
			return id, nil
		}
		if len(id) >= MinIDPrefix && strings.HasPrefix(have, id) {
			found = append(found, have)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("%w: no %s %q", ErrNotFound, kind, id)
	case 1:
		return found[0], nil
	}
	err := ErrAmbiguousID
	if kind == "group" {
		err = ErrAmbiguousGroup
	}
	return "", fmt.Errorf("%w: %q starts %d %s ids: %s; give more of it", err, id, len(found), kind, candidates(found, describe))
}

// candidates lists what an ambiguous name matched, at most maxCandidates.
func candidates[T any](found []T, describe func(T) string) string {
	parts := make([]string, 0, maxCandidates+1)
	for i, f := range found {
		if i == maxCandidates {
			parts = append(parts, fmt.Sprintf("and %d more", len(found)-i))
			break
		}
		parts = append(parts, describe(f))
	}
	return strings.Join(parts, ", ")
}

// CheckGroupNameFree refuses (ErrConflict) a name that one of your active
// groups other than except (a group ID) already has, so that a name keeps
// naming one group.
func (s *Service) CheckGroupNameFree(name, except string) error {
	var gs []storage.Group
	if err := s.store.View(func(tx *storage.Tx) (err error) { gs, err = tx.Groups(); return }); err != nil {
		return fmt.Errorf("check group name: %w", err)
	}
	for _, g := range gs {
		if g.Status == storage.GroupActive && g.Info.GroupName == name && g.Info.GroupID != except {
			return fmt.Errorf("%w: you already have a group named %q (%s); choose another name", ErrConflict, name, g.Info.GroupID)
		}
	}
	return nil
}
