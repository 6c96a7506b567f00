package identity

import (
	"errors"
	"fmt"
	"math"
	"time"

	record "github.com/libp2p/go-libp2p-record"
	"github.com/libp2p/go-libp2p/core/crypto"
	cryptopb "github.com/libp2p/go-libp2p/core/crypto/pb"
	"github.com/libp2p/go-libp2p/core/peer"
	envelope "github.com/libp2p/go-libp2p/core/record"
)

// Limits of the signed records. Validators on every node enforce them.
const (
	// MaxProfileRecordSize caps a marshaled profile envelope; it leaves room
	// for a MaxAvatarSize avatar and the rest of the profile.
	MaxProfileRecordSize = 16 << 10
	// MaxPresenceRecordSize caps a marshaled presence envelope.
	MaxPresenceRecordSize = 2 << 10
	// MaxAvatarSize caps the inline avatar image of a profile, in bytes.
	MaxAvatarSize = 8 << 10
	// MaxNicknameLength caps a nickname, in Unicode code points.
	MaxNicknameLength = 64
	// MaxPresenceNoteLength caps a presence note, in Unicode code points.
	MaxPresenceNoteLength = 256
	// MaxPresenceTTL is the longest a presence record may stay valid: its
	// ExpiresAt is at most this long after its UpdatedAt, and validators
	// reject one that expires more than this long after their own clock.
	MaxPresenceTTL = 7 * 24 * time.Hour
)

// DHT namespaces (the first key segment) and envelope signature domains.
// A domain is part of what is signed, so a profile signature can never
// pass for a presence one or for any other libp2p envelope.
const (
	profileNamespace  = "profile"
	presenceNamespace = "presence"
	profileDomain     = "parley-profile"
	presenceDomain    = "parley-presence"
)

// Envelope payload types. They are not registered multicodecs; as byte
// strings they cannot collide with the short varint codes libp2p uses.
var (
	profileCodec  = []byte("/parley/profile/1")
	presenceCodec = []byte("/parley/presence/1")
)

func init() {
	envelope.RegisterType(&profileRecord{})
	envelope.RegisterType(&presenceRecord{})
}

// ProfileKey returns the DHT key of id's profile: "/profile/" followed by
// the raw bytes of the peer ID, like the /pk namespace.
func ProfileKey(id peer.ID) string { return "/" + profileNamespace + "/" + string(id) }

// PresenceKey returns the DHT key of id's presence: "/presence/" followed by
// the raw bytes of the peer ID.
func PresenceKey(id peer.ID) string { return "/" + presenceNamespace + "/" + string(id) }

// peerFromKey returns the peer ID of a DHT key in namespace ns.
func peerFromKey(key, ns string) (peer.ID, error) {
	gotNS, rest, err := record.SplitKey(key)
	if err != nil || gotNS != ns {
		return "", fmt.Errorf("%w: %q is not in the /%s/ namespace", ErrInvalidRecordKey, key, ns)
	}
	id, err := peer.IDFromBytes([]byte(rest))
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrInvalidRecordKey, key, err)
	}
	return id, nil
}

// signerID returns the peer ID of key and checks that it matches claimed,
// when the caller set one.
func signerID(key crypto.PrivKey, claimed peer.ID) (peer.ID, error) {
	if key == nil {
		return "", errors.New("no key")
	}
	if key.Type() != cryptopb.KeyType_Ed25519 {
		return "", fmt.Errorf("key type %s, want Ed25519", key.Type())
	}
	id, err := peer.IDFromPrivateKey(key)
	if err != nil {
		return "", fmt.Errorf("peer ID of key: %w", err)
	}
	if claimed != "" && claimed != id {
		return "", fmt.Errorf("%w: user %s, key of %s", ErrSignerMismatch, claimed, id)
	}
	return id, nil
}

// seal signs rec with key and returns the marshaled envelope, refusing one
// larger than maxSize.
func seal(rec envelope.Record, key crypto.PrivKey, maxSize int) ([]byte, error) {
	env, err := envelope.Seal(rec, key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	data, err := env.Marshal()
	if err != nil {
		return nil, fmt.Errorf("marshal envelope: %w", err)
	}
	if len(data) > maxSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrRecordTooLarge, len(data), maxSize)
	}
	return data, nil
}

// openEnvelope checks the size and signature of a marshaled envelope in
// domain and returns its signer and payload.
func openEnvelope(data []byte, domain string, maxSize int) (peer.ID, envelope.Record, error) {
	if len(data) > maxSize {
		return "", nil, fmt.Errorf("%w: %d bytes, limit %d", ErrRecordTooLarge, len(data), maxSize)
	}
	env, rec, err := envelope.ConsumeEnvelope(data, domain)
	if err != nil {
		if errors.Is(err, envelope.ErrInvalidSignature) {
			return "", nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
		}
		return "", nil, fmt.Errorf("%w: %v", ErrInvalidRecord, err)
	}
	// User IDs are Ed25519 peer IDs; refusing other signers also keeps
	// RSA keys and their slow verification out of the DHT.
	if t := env.PublicKey.Type(); t != cryptopb.KeyType_Ed25519 {
		return "", nil, fmt.Errorf("%w: signer key type %s, want Ed25519", ErrInvalidRecord, t)
	}
	id, err := peer.IDFromPublicKey(env.PublicKey)
	if err != nil {
		return "", nil, fmt.Errorf("%w: signer: %v", ErrInvalidRecord, err)
	}
	return id, rec, nil
}

// maxUnixNano is the latest time that int64 Unix nanoseconds can hold.
var maxUnixNano = time.Unix(0, math.MaxInt64)

// toUnixNano encodes a record time; it must be after 1970 and before 2262.
func toUnixNano(name string, t time.Time) (int64, error) {
	if !t.After(time.Unix(0, 0)) || t.After(maxUnixNano) {
		return 0, fmt.Errorf("%w: %s %v out of range", ErrInvalidRecord, name, t)
	}
	return t.UnixNano(), nil
}

// fromUnixNano decodes a record time; zero and negative times are invalid.
func fromUnixNano(name string, n int64) (time.Time, error) {
	if n <= 0 {
		return time.Time{}, fmt.Errorf("%w: %s missing", ErrInvalidRecord, name)
	}
	return time.Unix(0, n).UTC(), nil
}

// selectBest returns the index of the valid value with the highest seq;
// on a tie, the later time wins, then the earlier index. check validates
// one value and returns its seq and time. Invalid values never win; if
// none is valid, selectBest fails.
func selectBest(values [][]byte, check func([]byte) (uint64, time.Time, error)) (int, error) {
	best := -1
	var bestSeq uint64
	var bestAt time.Time
	var firstErr error
	for i, v := range values {
		seq, at, err := check(v)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if best < 0 || seq > bestSeq || (seq == bestSeq && at.After(bestAt)) {
			best, bestSeq, bestAt = i, seq, at
		}
	}
	if best < 0 {
		if firstErr == nil {
			firstErr = ErrInvalidRecord
		}
		return 0, fmt.Errorf("no valid record among %d: %w", len(values), firstErr)
	}
	return best, nil
}

// envelopeRecord is libp2p's record.Record, named apart from the DHT's.
type envelopeRecord = envelope.Record
