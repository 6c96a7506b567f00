package storage

import (
	"errors"
	"fmt"
	"time"
)

// Profile is the node owner's own profile, the source of the signed
// profile record it publishes.
type Profile struct {
	Nickname   string    `json:"nickname"`
	Avatar     []byte    `json:"avatar,omitempty"`
	AvatarType string    `json:"avatar_type,omitempty"`
	Seq        uint64    `json:"seq"`
	UpdatedAt  time.Time `json:"updated_at"`
}

var ownProfileKey = []byte("s/profile")

// OwnProfile returns the owner's profile; the zero Profile when none is set.
func (d *DB) OwnProfile() (Profile, error) {
	var p Profile
	err := d.View(func(tx *Tx) error { return getJSON(tx.txn, ownProfileKey, &p) })
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Profile{}, fmt.Errorf("read own profile: %w", err)
	}
	return p, nil
}

// UpdateOwnProfile applies change to the owner's profile, bumps its Seq
// and UpdatedAt, stores it and returns it. change may return an error to
// abort without writing. Seq becomes the larger of Seq+1 and the Unix time
// in nanoseconds, so that a profile made after the database was lost still
// outranks the old records that the DHT holds.
func (d *DB) UpdateOwnProfile(change func(*Profile) error) (Profile, error) {
	var p Profile
	err := d.Update(func(tx *Tx) error {
		p = Profile{}
		if err := getJSON(tx.txn, ownProfileKey, &p); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if err := change(&p); err != nil {
			return err
		}
		now := time.Now().UTC()
		p.Seq = max(p.Seq+1, uint64(now.UnixNano()))
		p.UpdatedAt = now
		return setJSON(tx.txn, ownProfileKey, &p)
	})
	if err != nil {
		return Profile{}, fmt.Errorf("update own profile: %w", err)
	}
	return p, nil
}
