package node

import (
	"context"
	"fmt"
	"time"

	"github.com/parley-im/parley/identity"
)

// PresenceConfig configures the publishing and lookup of profile and
// presence records (the [presence] section of config.toml).
type PresenceConfig struct {
	// TTL is how long a published presence record stays valid; the node
	// publishes a new one at half of it, and a node that dies shows as
	// offline at most this long after its last record. Default 1h.
	TTL Duration `toml:"ttl"`
	// ProfileRepublish is how often the profile is put in the DHT again;
	// DHT nodes drop records after 36h. Default 12h.
	ProfileRepublish Duration `toml:"profile_republish"`
	// LookupTimeout bounds one DHT lookup of a user; past it the cache is
	// served. Default 10s.
	LookupTimeout Duration `toml:"lookup_timeout"`
	// CacheFor is how long a record found in the DHT is served from the
	// cache before a lookup asks the DHT again. Default 1m.
	CacheFor Duration `toml:"cache_for"`
	// ShutdownTimeout bounds publishing "offline" when the node stops
	// gracefully. Default 3s.
	ShutdownTimeout Duration `toml:"shutdown_timeout"`
}

// defaultPresenceConfig is the [presence] section of every profile.
func defaultPresenceConfig() PresenceConfig {
	return PresenceConfig{
		TTL:              Duration(time.Hour),
		ProfileRepublish: Duration(12 * time.Hour),
		LookupTimeout:    Duration(10 * time.Second),
		CacheFor:         Duration(time.Minute),
		ShutdownTimeout:  Duration(3 * time.Second),
	}
}

// validate checks the section and names the first bad key.
func (p PresenceConfig) validate() error {
	for _, v := range []struct {
		key      string
		d        Duration
		min, max time.Duration
	}{
		{"presence.ttl", p.TTL, 2 * time.Second, identity.MaxPresenceTTL},
		{"presence.profile_republish", p.ProfileRepublish, time.Second, 24 * time.Hour},
		{"presence.lookup_timeout", p.LookupTimeout, 100 * time.Millisecond, 5 * time.Minute},
		{"presence.cache_for", p.CacheFor, time.Second, 24 * time.Hour},
		{"presence.shutdown_timeout", p.ShutdownTimeout, 100 * time.Millisecond, time.Minute},
	} {
		if d := time.Duration(v.d); d < v.min || d > v.max {
			return fmt.Errorf("%w: %s: %s: want %s to %s", ErrBadConfig, v.key, d, v.min, v.max)
		}
	}
	return nil
}

// publishOffline tells friends and the DHT that the node goes away, while
// the host, the DHT and chat still run, bounded by presence.shutdown_timeout.
func (n *Node) publishOffline() {
	if n.chat == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(n.cfg.Presence.ShutdownTimeout))
	defer cancel()
	if err := n.chat.PublishOffline(ctx); err != nil {
		n.log.Info("could not publish offline presence; it expires on its own", "err", err)
	}
}
