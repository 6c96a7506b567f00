package chat

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/identity"
)

// Publishing of the owner's signed records. Two loops, one per record,
// put the record in the DHT at start, when it changes, and again before it
// goes stale (the profile every Config.ProfileRepublish, presence at half
// of Config.PresenceTTL). A failed put (no DHT peers yet, a timeout) is
// retried with backoff, and sooner when a peer connects; a put never runs
// twice at once for the same record.

const (
	// putTimeout bounds one DHT put, the lookup of the closest peers
	// included.
	putTimeout = time.Minute
	// connectSettle is how long after a connection a failed put is
	// retried: the DHT adds a peer to its table only after identify and a
	// check of its own, so retrying at once would fail again.
	connectSettle = time.Second
	// warnAfter is how many failed puts in a row are logged at debug
	// level before one warning.
	warnAfter = 6
)

// PublishState reports how publishing goes.
type PublishState struct {
	// ProfileAt and PresenceAt are the times of the last puts that
	// reached the DHT.
	ProfileAt  time.Time `json:"profile_at,omitzero"`
	PresenceAt time.Time `json:"presence_at,omitzero"`
	// ProfileError and PresenceError are the last failures, cleared by the
	// next success.
	ProfileError  string `json:"profile_error,omitempty"`
	PresenceError string `json:"presence_error,omitempty"`
}

// records is the service's state of its own records, of the loops that
// publish them and of profile refreshes of friends.
type records struct {
	profile  *republisher
	presence *republisher
	pushSem  chan struct{} // bounds concurrent presence pushes

	mu            sync.Mutex
	state         PublishState
	presenceRec   []byte            // last signed presence record
	presenceInfo  identity.Presence // its content
	presenceDirty bool              // the chosen presence changed since
	offline       bool              // PublishOffline ran: sign only offline
	refreshes     map[peer.ID]*refreshState
	pushed        map[peer.ID]uint64 // seq of the last record each friend acked
	refreshGap    time.Duration      // see defaultRefreshGap
}

// republisher runs the publishing of one record.
type republisher struct {
	name    string
	kick    chan struct{} // publish now
	connect chan struct{} // a peer connected
	// run publishes once and says when to run again (≤ 0: only when
	// kicked).
	run func(ctx context.Context) (again time.Duration, err error)
}

func newRecords(s *Service) *records {
	r := &records{pushSem: make(chan struct{}, 16), refreshes: make(map[peer.ID]*refreshState), pushed: make(map[peer.ID]uint64), refreshGap: defaultRefreshGap}
	r.profile = &republisher{name: "profile", kick: make(chan struct{}, 1), connect: make(chan struct{}, 1), run: s.publishProfile}
	r.presence = &republisher{name: "presence", kick: make(chan struct{}, 1), connect: make(chan struct{}, 1), run: s.publishPresence}
	return r
}

// startPublishing starts the two loops.
func (s *Service) startPublishing() {
	if s.cfg.Key == nil {
		s.log.Warn("records: no private key; profile and presence are not published")
		return
	}
	s.wg.Go(func() { s.runRepublisher(s.records.profile) })
	s.wg.Go(func() { s.runRepublisher(s.records.presence) })
}

// runRepublisher is the loop of one record. It stops with the service.
func (s *Service) runRepublisher(r *republisher) {
	timer := time.NewTimer(0) // publish at start
	defer timer.Stop()
	var (
		backoff  time.Duration // > 0 while failing
		failures int
		next     time.Time // when the timer fires; zero when stopped
	)
	schedule := func(d time.Duration) {
		if d <= 0 {
			timer.Stop()
			next = time.Time{}
			return
		}
		timer.Reset(d)
		next = time.Now().Add(d)
	}
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-timer.C:
		case <-r.kick:
		case <-r.connect:
			if backoff > 0 && (next.IsZero() || time.Until(next) > connectSettle) {
				schedule(connectSettle)
			}
			continue
		}
		again, err := r.run(s.ctx)
		if s.ctx.Err() != nil {
			return
		}
		if err != nil {
			failures++
			backoff = min(max(2*backoff, s.retryMin()), s.retryMax())
			level := s.log.Debug
			if failures == warnAfter {
				level = s.log.Warn
			}
			level("records: publish failed", "record", r.name, "failures", failures, "retry_in", backoff, "err", err)
			again = backoff
		} else {
			backoff, failures = 0, 0
		}
		schedule(again)
	}
}

// retryMin and retryMax bound the backoff of failed puts; short presence
// TTLs (tests) shorten them so that a record is retried before it expires.
func (s *Service) retryMin() time.Duration { return min(time.Second, s.cfg.PresenceTTL/8) }
func (s *Service) retryMax() time.Duration { return min(2*time.Minute, s.cfg.PresenceTTL/4) }

// kickRecord asks r's loop to publish now.
func kickRecord(r *republisher) { signal(r.kick) }

// recordsOnConnect reacts to a new connection: failing puts are retried
// soon, and a friend is greeted.
func (s *Service) recordsOnConnect(p peer.ID) {
	signal(s.records.profile.connect)
	signal(s.records.presence.connect)
	friend, err := s.friend(p)
	if err != nil {
		s.log.Warn("records: read contact", "peer", p, "err", err)
		return
	}
	if friend {
		s.greetFriend(p)
	}
}

// greetFriend pushes our presence to a friend who just connected or just
// became a friend, and refreshes the friend's profile from the DHT.
func (s *Service) greetFriend(p peer.ID) {
	s.greetPresence(p)
	s.refreshProfile(p)
}

// greetPresence pushes our current presence record to p in the
// background.
func (s *Service) greetPresence(p peer.ID) {
	if s.cfg.Key == nil {
		return
	}
	s.spawn(func() {
		rec, _, err := s.presenceRecord(time.Now())
		if err != nil {
			s.log.Warn("presence: sign", "err", err)
			return
		}
		s.pushPresence(p, rec)
	})
}

// putRecord puts a signed record in the DHT within putTimeout.
func (s *Service) putRecord(ctx context.Context, key string, rec []byte) error {
	if s.cfg.Routing == nil {
		return errNoRouting
	}
	ctx, cancel := context.WithTimeout(ctx, putTimeout)
	defer cancel()
	if err := s.cfg.Routing.PutValue(ctx, key, rec); err != nil {
		return fmt.Errorf("dht put: %w", err)
	}
	return nil
}

// publishProfile puts the owner's profile in the DHT. Without a nickname
// there is no profile to publish yet.
func (s *Service) publishProfile(ctx context.Context) (time.Duration, error) {
	if s.cfg.Routing == nil {
		return 0, nil
	}
	rec, _, err := s.profileRecord()
	if err != nil || rec == nil {
		return 0, err
	}
	err = s.putRecord(ctx, identity.ProfileKey(s.host.ID()), rec)
	s.records.mu.Lock()
	defer s.records.mu.Unlock()
	if err != nil {
		s.records.state.ProfileError = err.Error()
		return 0, err
	}
	s.records.state.ProfileAt, s.records.state.ProfileError = time.Now().UTC(), ""
	// Friends learn of a new profile through the next presence push,
	// which makes them look it up (see refreshProfile).
	s.records.presenceDirty = true
	kickRecord(s.records.presence)
	return s.cfg.ProfileRepublish, nil
}

// publishPresence signs a presence record when due, pushes a new one to
// the connected friends, and puts it in the DHT. It runs again at half
// the record's life.
func (s *Service) publishPresence(ctx context.Context) (time.Duration, error) {
	rec, fresh, err := s.presenceRecord(time.Now())
	if err != nil {
		return 0, err
	}
	if fresh {
		s.pushPresenceToFriends(rec)
	}
	s.records.mu.Lock()
	halfLife := time.Until(s.records.presenceInfo.UpdatedAt.Add(s.cfg.PresenceTTL / 2))
	s.records.mu.Unlock()
	if s.cfg.Routing == nil {
		return max(halfLife, s.retryMin()), nil
	}
	err = s.putRecord(ctx, identity.PresenceKey(s.host.ID()), rec)
	s.records.mu.Lock()
	defer s.records.mu.Unlock()
	if err != nil {
		s.records.state.PresenceError = err.Error()
		return 0, err
	}
	s.records.state.PresenceAt, s.records.state.PresenceError = time.Now().UTC(), ""
	return max(halfLife, s.retryMin()), nil
}

// spawn runs fn in a goroutine that Close waits for, unless the service
// is closing.
func (s *Service) spawn(fn func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Go(fn)
	return true
}
