package chat

import (
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// maxLimitedPeers bounds the buckets a limiter keeps.
const maxLimitedPeers = 4096

// peerLimiter is a token bucket per peer: rate tokens a second, up to
// burst. It keeps at most maxPeers buckets; a full bucket is the same as
// none, so those go first when room is needed.
type peerLimiter struct {
	rate, burst float64
	maxPeers    int
	now         func() time.Time

	mu    sync.Mutex
	peers map[peer.ID]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newPeerLimiter(rate, burst float64, maxPeers int) *peerLimiter {
	return &peerLimiter{rate: rate, burst: burst, maxPeers: maxPeers, now: time.Now, peers: make(map[peer.ID]*bucket)}
}

// take spends n tokens of p's bucket when it holds them. Otherwise it
// spends nothing and says how long until the bucket holds n (at most the
// time to fill it, for n over the burst).
func (l *peerLimiter) take(p peer.ID, n float64) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.peers[p]
	if b == nil {
		l.makeRoom(now)
		b = &bucket{tokens: l.burst, last: now}
		l.peers[p] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= n {
		b.tokens -= n
		return true, 0
	}
	need := min(n, l.burst) - b.tokens
	return false, time.Duration(need / l.rate * float64(time.Second))
}

// makeRoom drops buckets until there is room for one more: full ones
// first, then any.
func (l *peerLimiter) makeRoom(now time.Time) {
	if len(l.peers) < l.maxPeers {
		return
	}
	for p, b := range l.peers {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.peers, p)
		}
	}
	for p := range l.peers {
		if len(l.peers) < l.maxPeers {
			return
		}
		delete(l.peers, p)
	}
}

// refund gives back n tokens that take spent for an action that did not
// happen after all.
func (l *peerLimiter) refund(p peer.ID, n float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.peers[p]; b != nil {
		b.tokens = min(l.burst, b.tokens+n)
	}
}
