package identity

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/identity/pb"
)

// testNow is the validators' clock in these tests.
var testNow = time.Date(2030, 1, 2, 3, 4, 5, 600, time.UTC)

func fixedNow() time.Time { return testNow }

// pngAvatar is a tiny image that sniffs as image/png.
var pngAvatar = append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)

type user struct {
	key crypto.PrivKey
	id  peer.ID
}

func newUser(t testing.TB) user {
	t.Helper()
	key := mustKey(t)
	id, err := peer.IDFromPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return user{key, id}
}

func sampleProfile(seq uint64) UserInfo {
	return UserInfo{
		Nickname:   "Alice 🐇",
		Avatar:     pngAvatar,
		AvatarType: "image/png",
		Seq:        seq,
		UpdatedAt:  testNow.Add(-time.Hour),
	}
}

func samplePresence(seq uint64) Presence {
	return Presence{
		Status:    Busy,
		Note:      "in a meeting",
		Seq:       seq,
		UpdatedAt: testNow.Add(-time.Minute),
		ExpiresAt: testNow.Add(time.Hour),
	}
}

func signProfile(t testing.TB, u user, info UserInfo) []byte {
	t.Helper()
	data, err := SignProfile(u.key, info)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func signPresence(t testing.TB, u user, p Presence) []byte {
	t.Helper()
	data, err := SignPresence(u.key, p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// sealRaw signs any payload, bypassing the content checks of Sign*, as a
// malicious node could.
func sealRaw(t testing.TB, key crypto.PrivKey, rec envelopeRecord) []byte {
	t.Helper()
	data, err := seal(rec, key, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestProfileRoundTrip(t *testing.T) {
	alice := newUser(t)
	in := sampleProfile(7)
	in.UserID = alice.id
	out, err := OpenProfile(signProfile(t, alice, in))
	if err != nil {
		t.Fatal(err)
	}
	if out.UserID != alice.id || out.Nickname != in.Nickname || out.Seq != 7 ||
		out.AvatarType != in.AvatarType || !bytes.Equal(out.Avatar, in.Avatar) || !out.UpdatedAt.Equal(in.UpdatedAt) {
		t.Fatalf("got %+v, want %+v", out, in)
	}

	// No avatar at all is fine too, and UserID may be left empty.
	bare := UserInfo{Nickname: "bob", UpdatedAt: testNow}
	out, err = OpenProfile(signProfile(t, alice, bare))
	if err != nil {
		t.Fatal(err)
	}
	if out.UserID != alice.id || out.Avatar != nil || out.AvatarType != "" {
		t.Fatalf("got %+v", out)
	}
}

func TestPresenceRoundTrip(t *testing.T) {
	alice := newUser(t)
	in := samplePresence(3)
	out, err := OpenPresence(signPresence(t, alice, in))
	if err != nil {
		t.Fatal(err)
	}
	if out.UserID != alice.id || out.Status != Busy || out.Note != in.Note || out.Seq != 3 ||
		!out.UpdatedAt.Equal(in.UpdatedAt) || !out.ExpiresAt.Equal(in.ExpiresAt) {
		t.Fatalf("got %+v, want %+v", out, in)
	}
	if out.Expired(testNow) || !out.Expired(in.ExpiresAt) {
		t.Error("Expired is wrong")
	}
}

func TestInvisiblePublishedAsOffline(t *testing.T) {
	alice := newUser(t)
	in := samplePresence(1)
	in.Status = Invisible
	data := signPresence(t, alice, in)
	out, err := OpenPresence(data)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != Offline || out.Note != "" {
		t.Fatalf("invisible published as %q with note %q", out.Status, out.Note)
	}
	if bytes.Contains(data, []byte("invisible")) || bytes.Contains(data, []byte(in.Note)) {
		t.Fatal("record leaks the invisible setting")
	}
}

func TestPresenceStatusValid(t *testing.T) {
	for _, s := range []PresenceStatus{Online, Away, Busy, Invisible, Offline} {
		if !s.Valid() {
			t.Errorf("%q not valid", s)
		}
	}
	for _, s := range []PresenceStatus{"", "Online", "dnd", "offline "} {
		if s.Valid() {
			t.Errorf("%q valid", s)
		}
	}
}

func TestSignRejects(t *testing.T) {
	alice, bob := newUser(t), newUser(t)
	secp, _, err := crypto.GenerateSecp256k1Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	profile := func(edit func(*UserInfo)) UserInfo {
		u := sampleProfile(1)
		edit(&u)
		return u
	}
	presence := func(edit func(*Presence)) Presence {
		p := samplePresence(1)
		edit(&p)
		return p
	}
	cases := []struct {
		name string
		sign func() ([]byte, error)
		want error
	}{
		{"profile for someone else", func() ([]byte, error) {
			return SignProfile(alice.key, profile(func(u *UserInfo) { u.UserID = bob.id }))
		}, ErrSignerMismatch},
		{"profile bad nickname", func() ([]byte, error) {
			return SignProfile(alice.key, profile(func(u *UserInfo) { u.Nickname = "" }))
		}, ErrInvalidNickname},
		{"profile big avatar", func() ([]byte, error) {
			return SignProfile(alice.key, profile(func(u *UserInfo) {
				u.Avatar = append(bytes.Clone(pngAvatar), make([]byte, MaxAvatarSize)...)
			}))
		}, ErrInvalidAvatar},
		{"profile no time", func() ([]byte, error) {
			return SignProfile(alice.key, profile(func(u *UserInfo) { u.UpdatedAt = time.Time{} }))
		}, ErrInvalidRecord},
		{"profile nil key", func() ([]byte, error) { return SignProfile(nil, sampleProfile(1)) }, nil},
		{"profile secp256k1 key", func() ([]byte, error) { return SignProfile(secp, sampleProfile(1)) }, nil},
		{"presence for someone else", func() ([]byte, error) {
			return SignPresence(alice.key, presence(func(p *Presence) { p.UserID = bob.id }))
		}, ErrSignerMismatch},
		{"presence bad status", func() ([]byte, error) {
			return SignPresence(alice.key, presence(func(p *Presence) { p.Status = "dancing" }))
		}, ErrInvalidRecord},
		{"presence long note", func() ([]byte, error) {
			return SignPresence(alice.key, presence(func(p *Presence) { p.Note = strings.Repeat("ü", MaxPresenceNoteLength+1) }))
		}, ErrInvalidRecord},
		{"presence expires before update", func() ([]byte, error) {
			return SignPresence(alice.key, presence(func(p *Presence) { p.ExpiresAt = p.UpdatedAt }))
		}, ErrInvalidRecord},
		{"presence ttl too long", func() ([]byte, error) {
			return SignPresence(alice.key, presence(func(p *Presence) { p.ExpiresAt = p.UpdatedAt.Add(MaxPresenceTTL + 1) }))
		}, ErrInvalidRecord},
		{"presence no times", func() ([]byte, error) {
			return SignPresence(alice.key, presence(func(p *Presence) { p.UpdatedAt, p.ExpiresAt = time.Time{}, time.Time{} }))
		}, ErrInvalidRecord},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data, err := tc.sign()
			if err == nil {
				t.Fatalf("signed %d bytes, want an error", len(data))
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestValidateNickname(t *testing.T) {
	good := []string{
		"alice", "Zoë", "Зоя", "李小龙", "👩‍💻 dev", "a b", "x",
		strings.Repeat("é", MaxNicknameLength),
	}
	for _, n := range good {
		if err := ValidateNickname(n); err != nil {
			t.Errorf("ValidateNickname(%q) = %v", n, err)
		}
	}
	bad := []string{
		"", " ", "  alice", "alice ", "\talice", "a\nb", "a\x00b", "a\x7fb", "a\u0085b",
		"a\u2028b", "\u202Eevil", "a\u2066b", "a\u200Fb", "\xff\xfe",
		strings.Repeat("é", MaxNicknameLength+1),
	}
	for _, n := range bad {
		err := ValidateNickname(n)
		if !errors.Is(err, ErrInvalidNickname) {
			t.Errorf("ValidateNickname(%q) = %v, want ErrInvalidNickname", n, err)
		}
	}
}

func TestValidateAvatar(t *testing.T) {
	jpeg := append([]byte("\xff\xd8\xff\xe0"), make([]byte, 16)...)
	gif := []byte("GIF89a......")
	webp := []byte("RIFF\x00\x00\x00\x00WEBPVP8 ")
	cases := []struct {
		name string
		data []byte
		typ  string
		ok   bool
	}{
		{"none", nil, "", true},
		{"png", pngAvatar, "image/png", true},
		{"jpeg", jpeg, "image/jpeg", true},
		{"gif", gif, "image/gif", true},
		{"webp", webp, "image/webp", true},
		{"max size", append(bytes.Clone(pngAvatar), make([]byte, MaxAvatarSize-len(pngAvatar))...), "image/png", true},
		{"too big", append(bytes.Clone(pngAvatar), make([]byte, MaxAvatarSize-len(pngAvatar)+1)...), "image/png", false},
		{"type without image", nil, "image/png", false},
		{"image without type", pngAvatar, "", false},
		{"svg", []byte("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"), "image/svg+xml", false},
		{"html labelled png", []byte("<html><script>alert(1)</script>"), "image/png", false},
		{"png labelled jpeg", pngAvatar, "image/jpeg", false},
		{"type with params", pngAvatar, "image/png; charset=x", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateAvatar(tc.data, tc.typ)
			if tc.ok && err != nil {
				t.Fatalf("err = %v", err)
			}
			if !tc.ok && !errors.Is(err, ErrInvalidAvatar) {
				t.Fatalf("err = %v, want ErrInvalidAvatar", err)
			}
		})
	}
}

func TestKeys(t *testing.T) {
	alice := newUser(t)
	if got, want := ProfileKey(alice.id), "/profile/"+string(alice.id); got != want {
		t.Errorf("ProfileKey = %q, want %q", got, want)
	}
	if got, want := PresenceKey(alice.id), "/presence/"+string(alice.id); got != want {
		t.Errorf("PresenceKey = %q, want %q", got, want)
	}
	id, err := peerFromKey(ProfileKey(alice.id), profileNamespace)
	if err != nil || id != alice.id {
		t.Errorf("peerFromKey = %s, %v", id, err)
	}
}

// craftedProfile returns a profile payload that SignProfile would refuse.
func craftedProfile(edit func(*pb.Profile)) *profileRecord {
	m := &pb.Profile{Nickname: "alice", Seq: 1, UpdatedAtUnixNano: testNow.UnixNano()}
	edit(m)
	return &profileRecord{msg: m}
}

// craftedPresence returns a presence payload that SignPresence would refuse.
func craftedPresence(edit func(*pb.Presence)) *presenceRecord {
	m := &pb.Presence{
		Status:            string(Online),
		Seq:               1,
		UpdatedAtUnixNano: testNow.UnixNano(),
		ExpiresAtUnixNano: testNow.Add(time.Hour).UnixNano(),
	}
	edit(m)
	return &presenceRecord{msg: m}
}
