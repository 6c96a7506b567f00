package chat

import (
	"context"
	"errors"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/storage"
)

// Friends' profiles are not pushed; a node looks a friend's profile up in
// the DHT when the friend connects or pushes presence (which a node does
// after it published a new profile), at most once per gap.

// defaultRefreshGap is the least time between two background lookups of
// one friend's profile; a push within it defers the lookup to its end.
const defaultRefreshGap = 10 * time.Second

// refreshState tracks the background profile lookups of one friend.
type refreshState struct {
	last    time.Time
	pending bool
}

// refreshProfile looks p's profile up in the DHT in the background, at
// most once per refresh gap, so that friends' profile changes show up
// without anyone asking.
func (s *Service) refreshProfile(p peer.ID) {
	if s.cfg.Routing == nil {
		return
	}
	r := s.records
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.refreshes[p]
	if st == nil {
		if len(r.refreshes) >= 1024 {
			r.pruneRefreshesLocked()
		}
		st = &refreshState{}
		r.refreshes[p] = st
	}
	if st.pending {
		return
	}
	wait := time.Until(st.last.Add(r.refreshGap))
	st.pending = true
	started := s.spawn(func() {
		if wait > 0 {
			t := time.NewTimer(wait)
			defer t.Stop()
			select {
			case <-s.ctx.Done():
				return
			case <-t.C:
			}
		}
		s.lookupProfileNow(p)
		r.mu.Lock()
		st.last, st.pending = time.Now(), false
		r.mu.Unlock()
	})
	if !started {
		st.pending = false
	}
}

// lookupProfileNow asks the DHT for p's profile and caches what it finds;
// a change is announced by cacheProfile.
func (s *Service) lookupProfileNow(p peer.ID) {
	var cached *openedProfile
	if err := s.store.View(func(tx *storage.Tx) (err error) { cached, err = openCachedProfile(tx, p); return }); err != nil {
		s.log.Warn("profile: read cache", "peer", p, "err", err)
		return
	}
	if _, warn, err := s.resolveProfile(s.ctx, p, cached, WhoisOptions{Refresh: true}); err != nil && !errors.Is(err, context.Canceled) {
		s.log.Warn("profile: refresh", "peer", p, "err", err)
	} else if warn != "" {
		s.log.Debug("profile: refresh", "peer", p, "warning", warn)
	}
}

// pruneRefreshesLocked forgets finished lookups older than the gap.
func (r *records) pruneRefreshesLocked() {
	for p, st := range r.refreshes {
		if !st.pending && time.Since(st.last) > r.refreshGap {
			delete(r.refreshes, p)
		}
	}
}
