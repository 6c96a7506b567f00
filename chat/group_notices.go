package chat

import (
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/storage"
)

// GroupNotice is one change of a group as its stored state chain tells
// it: the state before and after, when it was signed and by whom. Clients
// say in words what differs (a member joined, left or was removed, was
// promoted or demoted; the group was renamed).
type GroupNotice struct {
	At      time.Time     `json:"at"`
	By      string        `json:"by"`
	Version uint64        `json:"version"`
	Before  GroupSnapshot `json:"before"`
	After   GroupSnapshot `json:"after"`
}

// GroupSnapshot is a group's name and members at one state.
type GroupSnapshot struct {
	Name    string                `json:"name"`
	Members []storage.GroupMember `json:"members"`
}

// MaxGroupNotices bounds the notices one call returns; the newest are
// kept.
const MaxGroupNotices = 1000

// GroupNotices returns the changes of a group signed from from to to
// (inclusive; a zero bound is open), oldest first, at most
// MaxGroupNotices (the newest). The creation of the group is no notice.
func (s *Service) GroupNotices(group string, from, to time.Time) ([]GroupNotice, error) {
	g, err := s.findGroup(group)
	if err != nil {
		return nil, err
	}
	var chain [][]byte
	err = s.store.View(func(tx *storage.Tx) (err error) {
		chain, err = tx.GroupStatesAfter(g.Info.GroupID, 0, MaxChainLength)
		return
	})
	if err != nil {
		return nil, fmt.Errorf("notices of group %s: %w", g.Info.GroupID, err)
	}
	var out []GroupNotice
	var prev GroupSnapshot
	for i, raw := range chain {
		ss, st, err := decodeStored(raw)
		if err != nil {
			return nil, fmt.Errorf("notices of group %s: %w", g.Info.GroupID, err)
		}
		cur := GroupSnapshot{Name: st.GetName(), Members: groupRecord(st, nil, "", "").Members}
		at := time.Unix(0, st.GetUpdatedAt()).UTC()
		if i > 0 && inSpan(at, from, to) {
			out = append(out, GroupNotice{At: at, By: peer.ID(ss.GetSigner()).String(), Version: st.GetVersion(), Before: prev, After: cur})
		}
		prev = cur
	}
	if len(out) > MaxGroupNotices {
		out = out[len(out)-MaxGroupNotices:]
	}
	return out, nil
}

// inSpan reports whether t is within [from, to]; a zero bound is open.
func inSpan(t, from, to time.Time) bool {
	return (from.IsZero() || !t.Before(from)) && (to.IsZero() || !t.After(to))
}
