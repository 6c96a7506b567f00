package chat

import (
	"fmt"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/storage"
)

// A peer that breaks the protocol (oversized or undecodable frames, frames
// of the wrong kind) gets a strike; maxStrikes within strikeWindow and it
// is cut off: its connections closed and its streams refused for banTime.
const (
	maxStrikes   = 3
	strikeWindow = 10 * time.Minute
	banTime      = 10 * time.Minute
)

type strikeRecord struct {
	count       int
	first       time.Time
	bannedUntil time.Time
}

// abuseTracker counts protocol violations per peer.
type abuseTracker struct {
	mu    sync.Mutex
	peers map[peer.ID]*strikeRecord
	now   func() time.Time
}

func newAbuseTracker() *abuseTracker {
	return &abuseTracker{peers: make(map[peer.ID]*strikeRecord), now: time.Now}
}

// strike records a violation by p. It returns when p's ban ends if p is
// now banned, or zero.
func (a *abuseTracker) strike(p peer.ID) time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	r := a.peers[p]
	if r == nil || now.Sub(r.first) > strikeWindow {
		r = &strikeRecord{first: now}
		a.peers[p] = r
	}
	r.count++
	if r.count >= maxStrikes {
		r.bannedUntil = now.Add(banTime)
		return r.bannedUntil
	}
	return time.Time{}
}

// restore bans p until until, as a ban stored before a restart did; it
// reports whether the ban is still running.
func (a *abuseTracker) restore(p peer.ID, until time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	if !now.Before(until) {
		return false
	}
	// first is set so that the record is forgotten once the ban is over.
	a.peers[p] = &strikeRecord{count: maxStrikes, first: until.Add(-strikeWindow), bannedUntil: until}
	return true
}

// banned reports whether p is cut off now; it forgets expired records.
func (a *abuseTracker) banned(p peer.ID) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.peers[p]
	if r == nil {
		return false
	}
	now := a.now()
	if now.Before(r.bannedUntil) {
		return true
	}
	if now.Sub(r.first) > strikeWindow {
		delete(a.peers, p)
	}
	return false
}

// peerSet is a set of peers safe for concurrent use.
type peerSet struct {
	mu    sync.Mutex
	peers map[peer.ID]struct{}
}

func newPeerSet() *peerSet { return &peerSet{peers: make(map[peer.ID]struct{})} }

func (ps *peerSet) set(p peer.ID, in bool) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if in {
		ps.peers[p] = struct{}{}
	} else {
		delete(ps.peers, p)
	}
}

func (ps *peerSet) has(p peer.ID) bool {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	_, ok := ps.peers[p]
	return ok
}

// Refuses reports whether p is cut off now: blocked by the user, or banned
// for breaking the protocol. The node's connection gater asks it on every
// dial and handshake, so it reads only memory.
func (s *Service) Refuses(p peer.ID) bool {
	return s.blocked.has(p) || s.abuse.banned(p)
}

// gated wraps a stream handler so that a refused peer's streams are reset
// before any frame is read: a block or a ban holds on every protocol the
// service serves, also on a connection opened before it began.
func (s *Service) gated(h network.StreamHandler) network.StreamHandler {
	return func(st network.Stream) {
		if s.Refuses(st.Conn().RemotePeer()) {
			st.Reset()
			return
		}
		h(st)
	}
}

// loadBlocked reads the blocked and banned peers, hands the service's
// verdict to the connection gater and closes what a refused peer still has
// open (it may have connected while the node started).
func (s *Service) loadBlocked() error {
	var contacts []storage.ContactInfo
	if err := s.store.View(func(tx *storage.Tx) (err error) { contacts, err = tx.Contacts(); return }); err != nil {
		return fmt.Errorf("chat: read blocked peers: %w", err)
	}
	var refused []peer.ID
	for _, c := range contacts {
		if !c.Blocked {
			continue
		}
		if p, err := peer.Decode(c.UserID); err == nil {
			s.blocked.set(p, true)
			refused = append(refused, p)
		}
	}
	banned, err := s.loadBans()
	if err != nil {
		return err
	}
	refused = append(refused, banned...)
	if s.cfg.Gate != nil {
		s.cfg.Gate(s.Refuses)
	}
	for _, p := range refused {
		s.cutOff(p)
	}
	return nil
}

// loadBans restores the stored bans that still run and deletes the
// expired ones (and any that names no peer). It returns the banned peers.
func (s *Service) loadBans() ([]peer.ID, error) {
	var bans []storage.Ban
	if err := s.store.View(func(tx *storage.Tx) (err error) { bans, err = tx.Bans(); return }); err != nil {
		return nil, fmt.Errorf("chat: read bans: %w", err)
	}
	var banned []peer.ID
	var gone []string
	for _, b := range bans {
		p, err := peer.Decode(b.Peer)
		if err == nil && s.abuse.restore(p, b.Until) {
			banned = append(banned, p)
			continue
		}
		gone = append(gone, b.Peer)
	}
	if len(gone) == 0 {
		return banned, nil
	}
	err := s.store.Update(func(tx *storage.Tx) error {
		for _, p := range gone {
			if err := tx.DeleteBan(p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("chat: drop expired bans: %w", err)
	}
	return banned, nil
}

// storeBan keeps p's ban, so that it holds across a restart. A failure
// leaves the ban in memory for this run.
func (s *Service) storeBan(p peer.ID, until time.Time) {
	err := s.store.Update(func(tx *storage.Tx) error { return tx.PutBan(storage.Ban{Peer: p.String(), Until: until}) })
	if err != nil {
		s.log.Warn("dm: store ban", "peer", p, "err", err)
	}
}

// cutOff closes every connection to p.
func (s *Service) cutOff(p peer.ID) {
	if s.host.Network().Connectedness(p) == network.NotConnected {
		return
	}
	if err := s.host.Network().ClosePeer(p); err != nil {
		s.log.Debug("close connections", "peer", p, "err", err)
	}
}
