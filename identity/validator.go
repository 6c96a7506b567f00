package identity

import (
	"fmt"
	"time"

	record "github.com/libp2p/go-libp2p-record"
)

// NewValidator returns the DHT validator of a Parley node: ProfileValidator
// under "profile", PresenceValidator under "presence" (with clock now; nil
// means time.Now) and libp2p's PublicKeyValidator under "pk". Pass it to
// kad-dht with dht.Validator. It is a NamespacedValidator, so a caller can
// add namespaces.
func NewValidator(now func() time.Time) record.NamespacedValidator {
	return record.NamespacedValidator{
		profileNamespace:  ProfileValidator{},
		presenceNamespace: PresenceValidator{Now: now},
		"pk":              record.PublicKeyValidator{},
	}
}

// ProfileValidator validates profile records under /profile/<peer ID>: a
// value of at most MaxProfileRecordSize bytes, signed by that peer, whose
// profile passes the content rules (see SignProfile). Among valid values
// the highest Seq wins, then the later UpdatedAt, then the first. The zero
// value is ready to use.
type ProfileValidator struct{}

var _ record.Validator = ProfileValidator{}

// Validate implements record.Validator.
func (ProfileValidator) Validate(key string, value []byte) error {
	_, err := validateProfile(key, value)
	return err
}

// Select implements record.Validator; invalid values never win.
func (ProfileValidator) Select(key string, values [][]byte) (int, error) {
	return selectBest(values, func(v []byte) (uint64, time.Time, error) {
		u, err := validateProfile(key, v)
		return u.Seq, u.UpdatedAt, err
	})
}

// validateProfile opens value and checks that it belongs under key.
func validateProfile(key string, value []byte) (UserInfo, error) {
	id, err := peerFromKey(key, profileNamespace)
	if err != nil {
		return UserInfo{}, err
	}
	u, err := OpenProfile(value)
	if err != nil {
		return UserInfo{}, err
	}
	if u.UserID != id {
		return UserInfo{}, fmt.Errorf("profile of %s: %w: signed by %s", id, ErrSignerMismatch, u.UserID)
	}
	return u, nil
}

// PresenceValidator validates presence records under /presence/<peer ID>:
// a value of at most MaxPresenceRecordSize bytes, signed by that peer,
// whose presence passes the content rules (see SignPresence; status
// "invisible" is refused), has not expired at Now and expires at most
// MaxPresenceTTL after Now. Selection is as for ProfileValidator.
type PresenceValidator struct {
	// Now is the validator's clock; nil means time.Now.
	Now func() time.Time
}

var _ record.Validator = PresenceValidator{}

// Validate implements record.Validator.
func (v PresenceValidator) Validate(key string, value []byte) error {
	_, err := v.validate(key, value)
	return err
}

// Select implements record.Validator; invalid and expired values never win.
func (v PresenceValidator) Select(key string, values [][]byte) (int, error) {
	return selectBest(values, func(b []byte) (uint64, time.Time, error) {
		p, err := v.validate(key, b)
		return p.Seq, p.UpdatedAt, err
	})
}

// validate opens value, checks that it belongs under key and checks it
// against the clock.
func (v PresenceValidator) validate(key string, value []byte) (Presence, error) {
	id, err := peerFromKey(key, presenceNamespace)
	if err != nil {
		return Presence{}, err
	}
	p, err := OpenPresence(value)
	if err != nil {
		return Presence{}, err
	}
	if p.UserID != id {
		return Presence{}, fmt.Errorf("presence of %s: %w: signed by %s", id, ErrSignerMismatch, p.UserID)
	}
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	if p.Expired(now) {
		return Presence{}, fmt.Errorf("presence of %s: %w at %v", id, ErrRecordExpired, p.ExpiresAt)
	}
	if p.ExpiresAt.Sub(now) > MaxPresenceTTL {
		return Presence{}, fmt.Errorf("presence of %s: %w: expires %v, more than %v from now", id, ErrInvalidRecord, p.ExpiresAt, MaxPresenceTTL)
	}
	return p, nil
}
