package identity

import (
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/proto"

	"github.com/parley-im/parley/identity/pb"
)

// UserInfo is a user's public profile, published signed in the DHT under
// ProfileKey and served by the API.
type UserInfo struct {
	// UserID is the user; in an opened record it is always the signer.
	UserID peer.ID `json:"user_id"`
	// Nickname is the display name; see ValidateNickname.
	Nickname string `json:"nickname"`
	// Avatar is an inline image of at most MaxAvatarSize bytes.
	Avatar []byte `json:"avatar,omitempty"`
	// AvatarType is the MIME type of Avatar, e.g. image/png.
	AvatarType string `json:"avatar_type,omitempty"`
	// Seq orders the user's profile records: the highest wins.
	Seq uint64 `json:"seq"`
	// UpdatedAt is when the user last changed the profile.
	UpdatedAt time.Time `json:"updated_at"`
}

// SignProfile signs u with key and returns the record to publish under
// ProfileKey. key must be an Ed25519 key; u.UserID may be empty, and
// otherwise must be key's peer ID. u must pass the rules that validators
// apply (ValidateNickname, ValidateAvatar, a set UpdatedAt, the size cap).
func SignProfile(key crypto.PrivKey, u UserInfo) ([]byte, error) {
	if _, err := signerID(key, u.UserID); err != nil {
		return nil, fmt.Errorf("sign profile: %w", err)
	}
	msg, err := u.toProto()
	if err != nil {
		return nil, fmt.Errorf("sign profile: %w", err)
	}
	data, err := seal(&profileRecord{msg: msg}, key, MaxProfileRecordSize)
	if err != nil {
		return nil, fmt.Errorf("sign profile: %w", err)
	}
	return data, nil
}

// OpenProfile verifies a profile record made by SignProfile and returns the
// profile, with UserID set to the signer. It checks the signature and the
// content rules but not which DHT key the record was found under: the
// validator does that, and callers that fetched it for a user must compare
// UserID.
func OpenProfile(data []byte) (UserInfo, error) {
	id, rec, err := openEnvelope(data, profileDomain, MaxProfileRecordSize)
	if err != nil {
		return UserInfo{}, fmt.Errorf("open profile: %w", err)
	}
	r, ok := rec.(*profileRecord)
	if !ok {
		return UserInfo{}, fmt.Errorf("open profile: %w: payload is %T", ErrInvalidRecord, rec)
	}
	u, err := profileFromProto(id, r.msg)
	if err != nil {
		return UserInfo{}, fmt.Errorf("open profile of %s: %w", id, err)
	}
	return u, nil
}

// toProto checks u and converts it to its wire form.
func (u UserInfo) toProto() (*pb.Profile, error) {
	if err := u.check(); err != nil {
		return nil, err
	}
	at, err := toUnixNano("updated_at", u.UpdatedAt)
	if err != nil {
		return nil, err
	}
	return &pb.Profile{
		Nickname:          u.Nickname,
		Avatar:            u.Avatar,
		AvatarType:        u.AvatarType,
		Seq:               u.Seq,
		UpdatedAtUnixNano: at,
	}, nil
}

// profileFromProto converts and checks a profile signed by id.
func profileFromProto(id peer.ID, m *pb.Profile) (UserInfo, error) {
	at, err := fromUnixNano("updated_at", m.GetUpdatedAtUnixNano())
	if err != nil {
		return UserInfo{}, err
	}
	u := UserInfo{
		UserID:     id,
		Nickname:   m.GetNickname(),
		Avatar:     m.GetAvatar(),
		AvatarType: m.GetAvatarType(),
		Seq:        m.GetSeq(),
		UpdatedAt:  at,
	}
	if err := u.check(); err != nil {
		return UserInfo{}, err
	}
	return u, nil
}

// check applies the content rules shared by signing and opening.
func (u UserInfo) check() error {
	if err := ValidateNickname(u.Nickname); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidRecord, err)
	}
	if err := ValidateAvatar(u.Avatar, u.AvatarType); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidRecord, err)
	}
	return nil
}

// profileRecord is the envelope payload of a profile.
type profileRecord struct{ msg *pb.Profile }

var _ envelopeRecord = (*profileRecord)(nil)

// Domain implements record.Record.
func (*profileRecord) Domain() string { return profileDomain }

// Codec implements record.Record.
func (*profileRecord) Codec() []byte { return profileCodec }

// MarshalRecord implements record.Record.
func (r *profileRecord) MarshalRecord() ([]byte, error) { return proto.Marshal(r.msg) }

// UnmarshalRecord implements record.Record.
func (r *profileRecord) UnmarshalRecord(data []byte) error {
	r.msg = new(pb.Profile)
	return proto.Unmarshal(data, r.msg)
}
