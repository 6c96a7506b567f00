package chat

import (
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
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

// strike records a violation by p and reports whether p is now banned.
func (a *abuseTracker) strike(p peer.ID) bool {
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
		return true
	}
	return false
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
