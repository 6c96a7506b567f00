package chat

import (
	"errors"
	"fmt"
	"sync"

	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/proto"

	"github.com/parley-im/parley/chat/pb"
	"github.com/parley-im/parley/storage"
)

// groupView is the in-memory copy of a group that topic validators read
// on every message, so that they need no database read.
type groupView struct {
	id     string
	state  *pb.GroupState
	signed *pb.SignedState
	status storage.GroupStatus
	keys   map[uint64][]byte
	// members of each epoch seen: authors are checked against the epoch
	// their message claims.
	epochMembers map[uint64]map[peer.ID]bool
}

// groupCache holds a groupView per group.
type groupCache struct {
	// reload is held from the read of a group to the store of its view
	// (refreshGroup, remove), so that a view read before a change can
	// never replace one read after it.
	reload sync.Mutex
	mu     sync.RWMutex
	groups map[string]*groupView
}

func newGroupCache() *groupCache { return &groupCache{groups: make(map[string]*groupView)} }

func (c *groupCache) get(id string) (*groupView, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	g, ok := c.groups[id]
	return g, ok
}

func (c *groupCache) remove(id string) {
	c.reload.Lock()
	defer c.reload.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.groups, id)
}

// load rebuilds the view of one group from storage: its latest state,
// every epoch key, and the members of every epoch from the state chain.
func loadGroupView(tx *storage.Tx, id string) (*groupView, error) {
	g, err := tx.Group(id)
	if err != nil {
		return nil, err
	}
	ss := new(pb.SignedState)
	if err := proto.Unmarshal(g.State, ss); err != nil {
		return nil, fmt.Errorf("stored state of group %s: %w", id, err)
	}
	st := new(pb.GroupState)
	if err := proto.Unmarshal(ss.GetState(), st); err != nil {
		return nil, fmt.Errorf("stored state of group %s: %w", id, err)
	}
	v := &groupView{id: id, state: st, signed: ss, status: g.Status, keys: make(map[uint64][]byte), epochMembers: make(map[uint64]map[peer.ID]bool)}
	chain, err := tx.GroupStatesAfter(id, 0, MaxChainLength)
	if err != nil {
		return nil, err
	}
	for _, raw := range chain {
		css := new(pb.SignedState)
		cst := new(pb.GroupState)
		if proto.Unmarshal(raw, css) != nil || proto.Unmarshal(css.GetState(), cst) != nil {
			return nil, fmt.Errorf("stored state chain of group %s is corrupt", id)
		}
		v.addEpochMembers(cst)
	}
	v.addEpochMembers(st)
	for e := uint64(1); e <= st.GetEpoch(); e++ {
		k, err := tx.GroupKey(id, e)
		if err == nil {
			v.keys[e] = k
		}
	}
	return v, nil
}

// MaxChainLength bounds the state chain one sync hands out and one load
// reads.
const MaxChainLength = 100_000

func (v *groupView) addEpochMembers(st *pb.GroupState) {
	set := v.epochMembers[st.GetEpoch()]
	if set == nil {
		set = make(map[peer.ID]bool)
		v.epochMembers[st.GetEpoch()] = set
	}
	for _, m := range st.GetMembers() {
		set[peer.ID(m.GetPeer())] = true
	}
}

// refresh reloads a group's view after a committed change.
func (s *Service) refreshGroup(id string) {
	s.groups.reload.Lock()
	defer s.groups.reload.Unlock()
	var v *groupView
	err := s.store.View(func(tx *storage.Tx) (err error) { v, err = loadGroupView(tx, id); return })
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		s.log.Error("group: load", "group", id, "err", err)
	}
	s.groups.mu.Lock()
	defer s.groups.mu.Unlock()
	if err != nil {
		delete(s.groups.groups, id)
		return
	}
	s.groups.groups[id] = v
}
