package chat

import (
	"errors"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/identity"
	"github.com/parley-im/parley/storage"
)

// Sources of a profile or presence view: where the node learned it.
const (
	// SourceLive is a record the user's node pushed to this one over a
	// direct connection.
	SourceLive = storage.SourceLive
	// SourceDHT is a record fetched from the DHT, just now or recently
	// enough (Config.CacheFor) to be served without asking again.
	SourceDHT = storage.SourceDHT
	// SourceCache is a record from the local cache, served because the DHT
	// did not answer (slow, unreachable or without the record).
	SourceCache = "cache"
	// SourceLocal is this node's own profile or presence.
	SourceLocal = "local"
)

// ProfileView is a user's profile with where it came from and how old it
// is.
type ProfileView struct {
	identity.UserInfo
	// Source is live, dht, cache or local.
	Source string `json:"source"`
	// FetchedAt is when this node received the record.
	FetchedAt time.Time `json:"fetched_at"`
	// AgeSeconds is how long ago that was.
	AgeSeconds float64 `json:"age_seconds"`
}

// PresenceView is a user's presence as this node knows it. Status is the
// effective status: offline when no record is known or the last one has
// expired (Expired tells the two apart; UpdatedAt is then when the user
// was last seen).
type PresenceView struct {
	identity.Presence
	// Expired reports that the last known record has expired.
	Expired bool `json:"expired,omitempty"`
	// Source is live, dht, cache or local; empty when no record is known.
	Source string `json:"source,omitempty"`
	// FetchedAt is when this node received the record.
	FetchedAt time.Time `json:"fetched_at,omitzero"`
	// AgeSeconds is how long ago that was.
	AgeSeconds float64 `json:"age_seconds,omitempty"`
}

// UserView is what the node knows about a user.
type UserView struct {
	UserID peer.ID `json:"user_id"`
	// Profile is nil when the user has published none that this node could
	// find.
	Profile *ProfileView `json:"profile,omitempty"`
	// Presence is always set: offline when unknown.
	Presence PresenceView `json:"presence"`
	// Warnings say why a lookup fell back to the cache or found nothing.
	Warnings []string `json:"warnings,omitempty"`
}

// ContactView is a contact with its cached profile and presence.
type ContactView struct {
	storage.ContactInfo
	Profile  *ProfileView `json:"profile,omitempty"`
	Presence PresenceView `json:"presence"`
}

// openedProfile is a cached profile record that verified.
type openedProfile struct {
	info identity.UserInfo
	rec  storage.CachedRecord
}

// openedPresence is a cached presence record that verified.
type openedPresence struct {
	info identity.Presence
	rec  storage.CachedRecord
}

// view makes the view of a cached profile served from source (its own
// source when empty); nil when there is no record.
func (o *openedProfile) view(source string, now time.Time) *ProfileView {
	if o == nil {
		return nil
	}
	if source == "" {
		source = o.rec.Source
	}
	return &ProfileView{UserInfo: o.info, Source: source, FetchedAt: o.rec.FetchedAt, AgeSeconds: age(o.rec.FetchedAt, now)}
}

// view makes the view of a cached presence served from source (its own
// source when empty); with no record (o nil), the user is offline.
func (o *openedPresence) view(p peer.ID, source string, now time.Time) PresenceView {
	if o == nil {
		return PresenceView{Presence: identity.Presence{UserID: p, Status: identity.Offline}}
	}
	if source == "" {
		source = o.rec.Source
	}
	v := PresenceView{Presence: o.info, Source: source, FetchedAt: o.rec.FetchedAt, AgeSeconds: age(o.rec.FetchedAt, now)}
	if o.info.Expired(now) {
		v.Status, v.Note, v.Expired = identity.Offline, "", true
	}
	return v
}

func age(t, now time.Time) float64 { return max(now.Sub(t), 0).Seconds() }

// openCachedProfile verifies a cached profile record of p; nil when there
// is none or it does not verify (a cache written by an older version).
func openCachedProfile(tx *storage.Tx, p peer.ID) (*openedProfile, error) {
	rec, err := tx.CachedProfile(p.String())
	if err != nil {
		return nil, ignoreNotFound(err)
	}
	u, err := identity.OpenProfile(rec.Record)
	if err != nil || u.UserID != p {
		return nil, nil
	}
	return &openedProfile{info: u, rec: rec}, nil
}

// openCachedPresence verifies a cached presence record of p, expired or
// not; nil when there is none or it does not verify.
func openCachedPresence(tx *storage.Tx, p peer.ID) (*openedPresence, error) {
	rec, err := tx.CachedPresence(p.String())
	if err != nil {
		return nil, ignoreNotFound(err)
	}
	pr, err := identity.OpenPresence(rec.Record)
	if err != nil || pr.UserID != p {
		return nil, nil
	}
	return &openedPresence{info: pr, rec: rec}, nil
}

func ignoreNotFound(err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	return err
}
