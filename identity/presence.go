package identity

import (
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/proto"

	"github.com/parley-im/parley/identity/pb"
)

// PresenceStatus is what a user shows others about their availability.
type PresenceStatus string

// Presence statuses. Invisible is a local setting: a user who is invisible
// publishes Offline, and validators reject a record that says invisible.
const (
	Online    PresenceStatus = "online"
	Away      PresenceStatus = "away"
	Busy      PresenceStatus = "busy"
	Invisible PresenceStatus = "invisible"
	Offline   PresenceStatus = "offline"
)

// Valid reports whether s is one of the defined statuses.
func (s PresenceStatus) Valid() bool {
	switch s {
	case Online, Away, Busy, Invisible, Offline:
		return true
	}
	return false
}

// Presence is a user's availability, published signed in the DHT under
// PresenceKey (and pushed to contacts) and served by the API.
type Presence struct {
	// UserID is the user; in an opened record it is always the signer.
	UserID peer.ID `json:"user_id"`
	// Status is the availability; never Invisible in an opened record.
	Status PresenceStatus `json:"status"`
	// Note is a short free-text status of at most MaxPresenceNoteLength
	// code points.
	Note string `json:"note,omitempty"`
	// Seq orders the user's presence records: the highest wins.
	Seq uint64 `json:"seq"`
	// UpdatedAt is when the user's node published the record.
	UpdatedAt time.Time `json:"updated_at"`
	// ExpiresAt is when the record stops being true; a node that keeps
	// running republishes before then. It is after UpdatedAt and at most
	// MaxPresenceTTL after it.
	ExpiresAt time.Time `json:"expires_at"`
}

// Expired reports whether p is no longer valid at now.
func (p Presence) Expired(now time.Time) bool { return !now.Before(p.ExpiresAt) }

// SignPresence signs p with key and returns the record to publish under
// PresenceKey. key must be an Ed25519 key; p.UserID may be empty, and
// otherwise must be key's peer ID.
//
// An Invisible p is published as Offline with no note, so that a caller
// cannot leak the local setting (or a note that betrays activity).
// SignPresence does not check p against the clock; validators reject a
// record that has expired or expires more than MaxPresenceTTL from now.
func SignPresence(key crypto.PrivKey, p Presence) ([]byte, error) {
	if _, err := signerID(key, p.UserID); err != nil {
		return nil, fmt.Errorf("sign presence: %w", err)
	}
	if p.Status == Invisible {
		p.Status, p.Note = Offline, ""
	}
	msg, err := p.toProto()
	if err != nil {
		return nil, fmt.Errorf("sign presence: %w", err)
	}
	data, err := seal(&presenceRecord{msg: msg}, key, MaxPresenceRecordSize)
	if err != nil {
		return nil, fmt.Errorf("sign presence: %w", err)
	}
	return data, nil
}

// OpenPresence verifies a presence record made by SignPresence and returns
// the presence, with UserID set to the signer. It checks the signature and
// the content rules but neither the DHT key nor the clock: use
// Presence.Expired, or the validator, which does both.
func OpenPresence(data []byte) (Presence, error) {
	id, rec, err := openEnvelope(data, presenceDomain, MaxPresenceRecordSize)
	if err != nil {
		return Presence{}, fmt.Errorf("open presence: %w", err)
	}
	r, ok := rec.(*presenceRecord)
	if !ok {
		return Presence{}, fmt.Errorf("open presence: %w: payload is %T", ErrInvalidRecord, rec)
	}
	p, err := presenceFromProto(id, r.msg)
	if err != nil {
		return Presence{}, fmt.Errorf("open presence of %s: %w", id, err)
	}
	return p, nil
}

// toProto checks p and converts it to its wire form.
func (p Presence) toProto() (*pb.Presence, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	updated, err := toUnixNano("updated_at", p.UpdatedAt)
	if err != nil {
		return nil, err
	}
	expires, err := toUnixNano("expires_at", p.ExpiresAt)
	if err != nil {
		return nil, err
	}
	return &pb.Presence{
		Status:            string(p.Status),
		Note:              p.Note,
		Seq:               p.Seq,
		UpdatedAtUnixNano: updated,
		ExpiresAtUnixNano: expires,
	}, nil
}

// presenceFromProto converts and checks a presence signed by id.
func presenceFromProto(id peer.ID, m *pb.Presence) (Presence, error) {
	updated, err := fromUnixNano("updated_at", m.GetUpdatedAtUnixNano())
	if err != nil {
		return Presence{}, err
	}
	expires, err := fromUnixNano("expires_at", m.GetExpiresAtUnixNano())
	if err != nil {
		return Presence{}, err
	}
	p := Presence{
		UserID:    id,
		Status:    PresenceStatus(m.GetStatus()),
		Note:      m.GetNote(),
		Seq:       m.GetSeq(),
		UpdatedAt: updated,
		ExpiresAt: expires,
	}
	if err := p.check(); err != nil {
		return Presence{}, err
	}
	return p, nil
}

// check applies the clock-free content rules shared by signing and
// opening.
func (p Presence) check() error {
	if !p.Status.Valid() || p.Status == Invisible {
		return fmt.Errorf("%w: status %q cannot be published", ErrInvalidRecord, p.Status)
	}
	if err := checkText(p.Note, MaxPresenceNoteLength); err != nil {
		return fmt.Errorf("%w: note: %v", ErrInvalidRecord, err)
	}
	if !p.ExpiresAt.After(p.UpdatedAt) {
		return fmt.Errorf("%w: expires_at %v not after updated_at %v", ErrInvalidRecord, p.ExpiresAt, p.UpdatedAt)
	}
	if ttl := p.ExpiresAt.Sub(p.UpdatedAt); ttl > MaxPresenceTTL {
		return fmt.Errorf("%w: valid for %v, limit %v", ErrInvalidRecord, ttl, MaxPresenceTTL)
	}
	return nil
}

// presenceRecord is the envelope payload of a presence.
type presenceRecord struct{ msg *pb.Presence }

var _ envelopeRecord = (*presenceRecord)(nil)

// Domain implements record.Record.
func (*presenceRecord) Domain() string { return presenceDomain }

// Codec implements record.Record.
func (*presenceRecord) Codec() []byte { return presenceCodec }

// MarshalRecord implements record.Record.
func (r *presenceRecord) MarshalRecord() ([]byte, error) { return proto.Marshal(r.msg) }

// UnmarshalRecord implements record.Record.
func (r *presenceRecord) UnmarshalRecord(data []byte) error {
	r.msg = new(pb.Presence)
	return proto.Unmarshal(data, r.msg)
}
