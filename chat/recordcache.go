package chat

import (
	"errors"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/identity"
	"github.com/parley-im/parley/storage"
)

// The cache of other users' signed records: a record replaces the cached
// one only with a higher seq, whatever path it came by (a live push, a DHT
// lookup), and a change for a contact becomes an event.

// cacheProfile stores p's verified profile record u (bytes val) from
// source unless the cache holds a newer one, and returns what the cache
// holds afterwards, with an event when a contact's profile changed.
func cacheProfile(tx *storage.Tx, p peer.ID, val []byte, u identity.UserInfo, source string, now time.Time) (*openedProfile, *ProfileEvent, error) {
	old, err := openCachedProfile(tx, p)
	if err != nil {
		return nil, nil, err
	}
	if old != nil && old.info.Seq >= u.Seq {
		if old.info.Seq == u.Seq && old.rec.Source == source {
			old.rec.FetchedAt = now // confirmed: fresh again
			if err := tx.PutCachedProfile(p.String(), old.rec); err != nil {
				return nil, nil, err
			}
		}
		return old, nil, nil
	}
	out := &openedProfile{info: u, rec: storage.CachedRecord{Record: val, Source: source, FetchedAt: now}}
	if err := tx.PutCachedProfile(p.String(), out.rec); err != nil {
		return nil, nil, err
	}
	if old != nil && sameProfile(old.info, u) {
		return out, nil, nil
	}
	friend, err := isFriend(tx, p)
	if err != nil || !friend {
		return out, nil, err
	}
	return out, &ProfileEvent{UserID: p.String(), Profile: *out.view(source, now)}, nil
}

// cachePresence stores p's verified presence record pr (bytes val) from
// source unless the cache holds a newer one, and returns what the cache
// holds afterwards, with an event when a contact's effective presence
// changed.
func cachePresence(tx *storage.Tx, p peer.ID, val []byte, pr identity.Presence, source string, now time.Time) (*openedPresence, *PresenceEvent, error) {
	old, err := openCachedPresence(tx, p)
	if err != nil {
		return nil, nil, err
	}
	if old != nil && old.info.Seq >= pr.Seq {
		if old.info.Seq == pr.Seq && old.rec.Source == source {
			old.rec.FetchedAt = now
			if err := tx.PutCachedPresence(p.String(), old.rec); err != nil {
				return nil, nil, err
			}
		}
		return old, nil, nil
	}
	out := &openedPresence{info: pr, rec: storage.CachedRecord{Record: val, Source: source, FetchedAt: now}}
	if err := tx.PutCachedPresence(p.String(), out.rec); err != nil {
		return nil, nil, err
	}
	before, after := old.view(p, "", now), out.view(p, source, now)
	if before.Status == after.Status && before.Note == after.Note {
		return out, nil, nil
	}
	friend, err := isFriend(tx, p)
	if err != nil || !friend {
		return out, nil, err
	}
	return out, &PresenceEvent{UserID: p.String(), Presence: after}, nil
}

func sameProfile(a, b identity.UserInfo) bool {
	return a.Nickname == b.Nickname && a.AvatarType == b.AvatarType && string(a.Avatar) == string(b.Avatar)
}

// isFriend reports whether p is an unblocked friend.
func isFriend(tx *storage.Tx, p peer.ID) (bool, error) {
	c, err := tx.Contact(p.String())
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return c.Friend && !c.Blocked, nil
}
