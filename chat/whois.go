package chat

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/routing"

	"github.com/parley-im/parley/identity"
	"github.com/parley-im/parley/storage"
)

// WhoisOptions tune Whois.
type WhoisOptions struct {
	// Refresh asks the DHT even when the cache holds a fresh record.
	Refresh bool
	// CacheOnly answers from the cache alone, without any network lookup.
	CacheOnly bool
}

// errNoRouting means the service runs without a DHT.
var errNoRouting = errors.New("no DHT on this node")

// Whois returns what the node knows about p: its profile and presence.
// Each comes from the cache when it is fresh there (a live record until it
// expires, a DHT record for Config.CacheFor), else from the DHT, bounded
// by Config.LookupTimeout; when the DHT fails, the cached record is served
// with source "cache" and a warning says why. A record newly learned for a
// contact is announced on the feed (profile and presence events).
func (s *Service) Whois(ctx context.Context, p peer.ID, opts WhoisOptions) (UserView, error) {
	if p == s.host.ID() {
		return s.selfView()
	}
	var (
		prof *openedProfile
		pres *openedPresence
	)
	err := s.store.View(func(tx *storage.Tx) (err error) {
		if prof, err = openCachedProfile(tx, p); err != nil {
			return err
		}
		pres, err = openCachedPresence(tx, p)
		return err
	})
	if err != nil {
		return UserView{}, fmt.Errorf("whois %s: read cache: %w", p, err)
	}
	v := UserView{UserID: p}
	var (
		wg                 sync.WaitGroup
		profWarn, presWarn string
		profErr, presErr   error
	)
	wg.Go(func() { v.Profile, profWarn, profErr = s.resolveProfile(ctx, p, prof, opts) })
	wg.Go(func() { v.Presence, presWarn, presErr = s.resolvePresence(ctx, p, pres, opts) })
	wg.Wait()
	if err := errors.Join(profErr, presErr); err != nil {
		return UserView{}, fmt.Errorf("whois %s: %w", p, err)
	}
	for _, w := range []string{profWarn, presWarn} {
		if w != "" {
			v.Warnings = append(v.Warnings, w)
		}
	}
	return v, nil
}

// resolveProfile serves p's profile from the cache or the DHT.
func (s *Service) resolveProfile(ctx context.Context, p peer.ID, cached *openedProfile, opts WhoisOptions) (*ProfileView, string, error) {
	now := time.Now()
	if opts.CacheOnly || (cached != nil && !opts.Refresh && now.Sub(cached.rec.FetchedAt) < s.cfg.CacheFor) {
		return cached.view("", now), "", nil
	}
	val, err := s.getRecord(ctx, identity.ProfileKey(p))
	now = time.Now()
	if err != nil {
		return cached.view(SourceCache, now), lookupWarning("profile", err), nil
	}
	u, err := identity.OpenProfile(val)
	if err == nil && u.UserID != p {
		err = fmt.Errorf("%w: record of %s", identity.ErrSignerMismatch, u.UserID)
	}
	if err != nil {
		// The DHT's validator should have refused it; never serve it.
		return cached.view(SourceCache, now), "profile: the DHT returned a bad record: " + err.Error(), nil
	}
	var (
		out *openedProfile
		ev  *ProfileEvent
	)
	err = s.store.Update(func(tx *storage.Tx) (err error) {
		out, ev, err = cacheProfile(tx, p, val, u, SourceDHT, time.Now().UTC())
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("cache profile: %w", err)
	}
	if ev != nil {
		s.publish(EventProfile, *ev)
	}
	return out.view("", time.Now()), "", nil
}

// resolvePresence serves p's presence from the cache or the DHT.
func (s *Service) resolvePresence(ctx context.Context, p peer.ID, cached *openedPresence, opts WhoisOptions) (PresenceView, string, error) {
	now := time.Now()
	if opts.CacheOnly || (cached != nil && !opts.Refresh && !cached.info.Expired(now) &&
		(cached.rec.Source == SourceLive || now.Sub(cached.rec.FetchedAt) < s.cfg.CacheFor)) {
		return cached.view(p, "", now), "", nil
	}
	val, err := s.getRecord(ctx, identity.PresenceKey(p))
	now = time.Now()
	if err != nil {
		warn := lookupWarning("presence", err)
		if errors.Is(err, routing.ErrNotFound) {
			warn = "" // no record anywhere: the user is offline
		}
		return cached.view(p, SourceCache, now), warn, nil
	}
	pr, err := identity.OpenPresence(val)
	if err == nil && pr.UserID != p {
		err = fmt.Errorf("%w: record of %s", identity.ErrSignerMismatch, pr.UserID)
	}
	if err == nil && pr.Expired(now) {
		err = identity.ErrRecordExpired
	}
	if err != nil {
		return cached.view(p, SourceCache, now), "presence: the DHT returned a bad record: " + err.Error(), nil
	}
	var (
		out *openedPresence
		ev  *PresenceEvent
	)
	err = s.store.Update(func(tx *storage.Tx) (err error) {
		out, ev, err = cachePresence(tx, p, val, pr, SourceDHT, time.Now().UTC())
		return err
	})
	if err != nil {
		return PresenceView{}, "", fmt.Errorf("cache presence: %w", err)
	}
	if ev != nil {
		s.publish(EventPresence, *ev)
	}
	return out.view(p, "", time.Now()), "", nil
}

// getRecord looks key up in the DHT. It follows the search as it finds
// better records and returns the best one when the search ends, when
// Config.LookupTimeout passes, or when no better record came for a fifth
// of that after the last one: a recently dead peer among the closest ones
// (whose dial can take seconds to fail) then does not hold up an answer
// that the live ones already gave. Callers verify what it returns.
func (s *Service) getRecord(ctx context.Context, key string) ([]byte, error) {
	if s.cfg.Routing == nil {
		return nil, errNoRouting
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.LookupTimeout)
	defer cancel() // also ends the search
	found, err := s.cfg.Routing.SearchValue(ctx, key)
	if err != nil {
		return nil, err
	}
	settle := time.NewTimer(time.Hour)
	settle.Stop()
	defer settle.Stop()
	var best []byte
	for {
		select {
		case v, ok := <-found:
			if ok {
				best = v // each value the search sends is better than the last
				settle.Reset(s.cfg.LookupTimeout / 5)
				continue
			}
			if best != nil {
				return best, nil
			}
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%w after %v", context.DeadlineExceeded, s.cfg.LookupTimeout)
			}
			return nil, routing.ErrNotFound
		case <-settle.C:
			return best, nil
		case <-ctx.Done():
			if best != nil {
				return best, nil
			}
			return nil, fmt.Errorf("%w after %v", context.DeadlineExceeded, s.cfg.LookupTimeout)
		}
	}
}

// lookupWarning explains a failed lookup of kind (profile, presence).
func lookupWarning(kind string, err error) string {
	switch {
	case errors.Is(err, routing.ErrNotFound):
		return kind + ": no record in the DHT"
	case errors.Is(err, context.DeadlineExceeded):
		return kind + ": the DHT did not answer in time"
	case errors.Is(err, errNoRouting):
		return kind + ": this node runs without a DHT"
	}
	return kind + ": DHT lookup failed: " + err.Error()
}
