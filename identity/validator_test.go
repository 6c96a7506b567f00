package identity

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	record "github.com/libp2p/go-libp2p-record"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/identity/pb"
)

// flipSignature corrupts the last byte of a marshaled envelope, which is
// inside its signature.
func flipSignature(data []byte) []byte {
	out := bytes.Clone(data)
	out[len(out)-1] ^= 0x01
	return out
}

func TestProfileValidator(t *testing.T) {
	alice, mallory := newUser(t), newUser(t)
	secp, _, err := crypto.GenerateSecp256k1Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	secpID, err := peer.IDFromPrivateKey(secp)
	if err != nil {
		t.Fatal(err)
	}
	valid := signProfile(t, alice, sampleProfile(1))
	key := ProfileKey(alice.id)
	big := append(bytes.Clone(pngAvatar), make([]byte, MaxProfileRecordSize)...)

	cases := []struct {
		name  string
		key   string
		value []byte
		want  error // nil: valid
	}{
		{"valid", key, valid, nil},
		{"signed by another key", key, signProfile(t, mallory, sampleProfile(9)), ErrSignerMismatch},
		{"bad signature", key, flipSignature(valid), ErrBadSignature},
		{"presence envelope", key, signPresence(t, alice, samplePresence(1)), ErrBadSignature},
		{"truncated", key, valid[:len(valid)/2], ErrInvalidRecord},
		{"garbage", key, []byte("not an envelope"), ErrInvalidRecord},
		{"empty", key, nil, ErrInvalidRecord},
		{"oversized", key, sealRaw(t, alice.key, craftedProfile(func(m *pb.Profile) { m.Avatar, m.AvatarType = big, "image/png" })), ErrRecordTooLarge},
		{"empty nickname", key, sealRaw(t, alice.key, craftedProfile(func(m *pb.Profile) { m.Nickname = "" })), ErrInvalidNickname},
		{"long nickname", key, sealRaw(t, alice.key, craftedProfile(func(m *pb.Profile) { m.Nickname = strings.Repeat("a", 65) })), ErrInvalidNickname},
		{"control in nickname", key, sealRaw(t, alice.key, craftedProfile(func(m *pb.Profile) { m.Nickname = "ali\x1bce" })), ErrInvalidNickname},
		{"bidi override in nickname", key, sealRaw(t, alice.key, craftedProfile(func(m *pb.Profile) { m.Nickname = "\u202Eecila" })), ErrInvalidNickname},
		{"avatar over 8 KiB", key, sealRaw(t, alice.key, craftedProfile(func(m *pb.Profile) {
			m.Avatar, m.AvatarType = append(bytes.Clone(pngAvatar), make([]byte, MaxAvatarSize)...), "image/png"
		})), ErrInvalidAvatar},
		{"svg avatar", key, sealRaw(t, alice.key, craftedProfile(func(m *pb.Profile) { m.Avatar, m.AvatarType = []byte("<svg/>"), "image/svg+xml" })), ErrInvalidAvatar},
		{"no updated_at", key, sealRaw(t, alice.key, craftedProfile(func(m *pb.Profile) { m.UpdatedAtUnixNano = 0 })), ErrInvalidRecord},
		{"secp256k1 signer", ProfileKey(secpID), sealRaw(t, secp, craftedProfile(func(*pb.Profile) {})), ErrInvalidRecord},
		{"presence namespace", PresenceKey(alice.id), valid, ErrInvalidRecordKey},
		{"no namespace", string(alice.id), valid, ErrInvalidRecordKey},
		{"not a peer ID", "/profile/alice", valid, ErrInvalidRecordKey},
		{"empty peer ID", "/profile/", valid, ErrInvalidRecordKey},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ProfileValidator{}.Validate(tc.key, tc.value)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			// Select must never pick an invalid value, alone or beside a
			// valid one.
			if i, err := (ProfileValidator{}).Select(tc.key, [][]byte{tc.value}); err == nil {
				t.Fatalf("Select chose invalid value %d", i)
			}
			if tc.key == key {
				if i, err := (ProfileValidator{}).Select(key, [][]byte{tc.value, valid}); err != nil || i != 1 {
					t.Fatalf("Select = %d, %v, want 1", i, err)
				}
			}
		})
	}
}

func TestPresenceValidator(t *testing.T) {
	alice, mallory := newUser(t), newUser(t)
	v := PresenceValidator{Now: fixedNow}
	valid := signPresence(t, alice, samplePresence(1))
	key := PresenceKey(alice.id)
	at := func(updated, expires time.Time) func(*pb.Presence) {
		return func(m *pb.Presence) {
			m.UpdatedAtUnixNano, m.ExpiresAtUnixNano = updated.UnixNano(), expires.UnixNano()
		}
	}

	cases := []struct {
		name  string
		key   string
		value []byte
		want  error
	}{
		{"valid", key, valid, nil},
		{"offline", key, signPresence(t, alice, Presence{Status: Offline, UpdatedAt: testNow, ExpiresAt: testNow.Add(MaxPresenceTTL)}), nil},
		{"signed by another key", key, signPresence(t, mallory, samplePresence(9)), ErrSignerMismatch},
		{"bad signature", key, flipSignature(valid), ErrBadSignature},
		{"profile envelope", key, signProfile(t, alice, sampleProfile(1)), ErrBadSignature},
		{"truncated", key, valid[:len(valid)-10], ErrInvalidRecord},
		{"garbage", key, []byte{0xff, 0xff, 0xff}, ErrInvalidRecord},
		{"expired", key, sealRaw(t, alice.key, craftedPresence(at(testNow.Add(-2*time.Hour), testNow.Add(-time.Hour)))), ErrRecordExpired},
		{"expires now", key, sealRaw(t, alice.key, craftedPresence(at(testNow.Add(-time.Hour), testNow))), ErrRecordExpired},
		{"expires too far ahead", key, sealRaw(t, alice.key, craftedPresence(at(testNow.Add(2*24*time.Hour), testNow.Add(8*24*time.Hour)))), ErrInvalidRecord},
		{"ttl too long", key, sealRaw(t, alice.key, craftedPresence(at(testNow.Add(-2*24*time.Hour), testNow.Add(6*24*time.Hour)))), ErrInvalidRecord},
		{"expires before update", key, sealRaw(t, alice.key, craftedPresence(at(testNow.Add(time.Hour), testNow.Add(time.Minute)))), ErrInvalidRecord},
		{"no times", key, sealRaw(t, alice.key, craftedPresence(at(time.Unix(0, 0), time.Unix(0, 0)))), ErrInvalidRecord},
		{"invisible", key, sealRaw(t, alice.key, craftedPresence(func(m *pb.Presence) { m.Status = string(Invisible) })), ErrInvalidRecord},
		{"unknown status", key, sealRaw(t, alice.key, craftedPresence(func(m *pb.Presence) { m.Status = "dancing" })), ErrInvalidRecord},
		{"empty status", key, sealRaw(t, alice.key, craftedPresence(func(m *pb.Presence) { m.Status = "" })), ErrInvalidRecord},
		{"long note", key, sealRaw(t, alice.key, craftedPresence(func(m *pb.Presence) { m.Note = strings.Repeat("n", MaxPresenceNoteLength+1) })), ErrInvalidRecord},
		{"control in note", key, sealRaw(t, alice.key, craftedPresence(func(m *pb.Presence) { m.Note = "hi\x07" })), ErrInvalidRecord},
		{"oversized", key, sealRaw(t, alice.key, craftedPresence(func(m *pb.Presence) { m.Note = strings.Repeat("n", MaxPresenceRecordSize) })), ErrRecordTooLarge},
		{"profile namespace", ProfileKey(alice.id), valid, ErrInvalidRecordKey},
		{"not a peer ID", "/presence/xyz", valid, ErrInvalidRecordKey},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := v.Validate(tc.key, tc.value)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if i, err := v.Select(tc.key, [][]byte{tc.value}); err == nil {
				t.Fatalf("Select chose invalid value %d", i)
			}
			if tc.key == key {
				if i, err := v.Select(key, [][]byte{tc.value, valid}); err != nil || i != 1 {
					t.Fatalf("Select = %d, %v, want 1", i, err)
				}
			}
		})
	}
}

func TestPresenceValidatorDefaultClock(t *testing.T) {
	alice := newUser(t)
	now := time.Now()
	p := Presence{Status: Online, UpdatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := (PresenceValidator{}).Validate(PresenceKey(alice.id), signPresence(t, alice, p)); err != nil {
		t.Fatal(err)
	}
}

func TestSelectProfile(t *testing.T) {
	alice, mallory := newUser(t), newUser(t)
	key := ProfileKey(alice.id)
	at := func(seq uint64, updated time.Time) []byte {
		u := sampleProfile(seq)
		u.UpdatedAt = updated
		return signProfile(t, alice, u)
	}
	seq1, seq2 := at(1, testNow), at(2, testNow.Add(-time.Hour))
	seq2later := at(2, testNow)
	forged := signProfile(t, mallory, sampleProfile(100))

	cases := []struct {
		name   string
		values [][]byte
		want   int
	}{
		{"higher seq first", [][]byte{seq2, seq1}, 0},
		{"higher seq last", [][]byte{seq1, seq2}, 1},
		{"higher seq beats later time", [][]byte{seq1, seq2}, 1},
		{"tie: later update wins", [][]byte{seq2, seq2later}, 1},
		{"tie: later update wins, reversed", [][]byte{seq2later, seq2}, 0},
		{"full tie: first wins", [][]byte{seq2, bytes.Clone(seq2)}, 0},
		{"forged higher seq skipped", [][]byte{forged, seq1}, 1},
		{"garbage skipped", [][]byte{[]byte("x"), nil, seq1, forged}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ProfileValidator{}.Select(key, tc.values)
			if err != nil || got != tc.want {
				t.Fatalf("Select = %d, %v, want %d", got, err, tc.want)
			}
		})
	}
	if _, err := (ProfileValidator{}).Select(key, [][]byte{forged, []byte("x")}); !errors.Is(err, ErrSignerMismatch) {
		t.Errorf("Select of invalid values: %v, want an error", err)
	}
	if _, err := (ProfileValidator{}).Select(key, nil); err == nil {
		t.Error("Select of no values succeeded")
	}
}

func TestSelectPresence(t *testing.T) {
	alice := newUser(t)
	v := PresenceValidator{Now: fixedNow}
	key := PresenceKey(alice.id)
	seq1 := signPresence(t, alice, samplePresence(1))
	expired := sealRaw(t, alice.key, craftedPresence(func(m *pb.Presence) {
		m.Seq = 5
		m.UpdatedAtUnixNano = testNow.Add(-2 * time.Hour).UnixNano()
		m.ExpiresAtUnixNano = testNow.Add(-time.Hour).UnixNano()
	}))
	seq2 := signPresence(t, alice, samplePresence(2))
	if got, err := v.Select(key, [][]byte{seq1, seq2}); err != nil || got != 1 {
		t.Errorf("Select = %d, %v, want 1", got, err)
	}
	if got, err := v.Select(key, [][]byte{expired, seq1}); err != nil || got != 1 {
		t.Errorf("expired higher seq: Select = %d, %v, want 1", got, err)
	}
}

func TestNewValidator(t *testing.T) {
	alice := newUser(t)
	v := NewValidator(fixedNow)
	var _ record.Validator = v

	if err := v.Validate(ProfileKey(alice.id), signProfile(t, alice, sampleProfile(1))); err != nil {
		t.Errorf("profile: %v", err)
	}
	if err := v.Validate(PresenceKey(alice.id), signPresence(t, alice, samplePresence(1))); err != nil {
		t.Errorf("presence: %v", err)
	}
	pub, err := crypto.MarshalPublicKey(alice.key.GetPublic())
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Validate("/pk/"+string(alice.id), pub); err != nil {
		t.Errorf("pk: %v", err)
	}
	// The profile validator is not reachable under another namespace.
	if err := v.Validate("/presence/"+string(alice.id), signProfile(t, alice, sampleProfile(1))); err == nil {
		t.Error("profile accepted under /presence/")
	}
	for _, k := range []string{"/ipns/" + string(alice.id), "/v/x", "profile", ""} {
		if err := v.Validate(k, []byte("x")); err == nil {
			t.Errorf("Validate(%q) accepted", k)
		}
	}
	// A nil clock means time.Now: a record that expired long ago fails.
	old := sealRaw(t, alice.key, craftedPresence(func(m *pb.Presence) {
		m.UpdatedAtUnixNano = time.Unix(1000, 0).UnixNano()
		m.ExpiresAtUnixNano = time.Unix(2000, 0).UnixNano()
	}))
	if err := NewValidator(nil).Validate(PresenceKey(alice.id), old); !errors.Is(err, ErrRecordExpired) {
		t.Errorf("old presence with default clock: %v", err)
	}
}
