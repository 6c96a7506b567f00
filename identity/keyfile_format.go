package identity

import (
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"fmt"

	"github.com/libp2p/go-libp2p/core/crypto"
	cryptopb "github.com/libp2p/go-libp2p/core/crypto/pb"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/scrypt"
)

// The key file format; doc.go describes it for people.
const (
	keyFileVersion = 1
	keyTypeEd25519 = "ed25519"
	kdfScrypt      = "scrypt"
	cipherXChaCha  = "xchacha20poly1305"

	// maxKeyFileSize bounds what Load reads: a key file is a few hundred
	// bytes, so anything this large is not one.
	maxKeyFileSize = 64 << 10
	saltSize       = 16

	// Bounds on the scrypt parameters Load accepts, so that a crafted file
	// cannot make it allocate gigabytes or spin for minutes. They leave 8x
	// headroom above the default cost.
	maxScryptMemory = 256 << 20 // 128 * N * r bytes
	maxScryptWork   = 1 << 24   // N * r * p
	maxScryptP      = 16

	// aadPrefix starts the AEAD additional data, so that the header of a key
	// file cannot be mistaken for any other authenticated string.
	aadPrefix = "parley identity key file\x00"
)

// scryptCost is a set of scrypt parameters.
type scryptCost struct{ N, R, P int }

// defaultScrypt is the cost of new encrypted key files: N=2^15, r=8, p=1,
// the interactive-login setting of the scrypt paper (32 MiB, about 0.1 s).
var defaultScrypt = scryptCost{N: 1 << 15, R: 8, P: 1}

// createScrypt is the cost Create uses. Tests lower it; nothing else changes it.
var createScrypt = defaultScrypt

// keyFile is the JSON document stored in a key file. A plain file sets Key;
// an encrypted one sets KDF, Cipher, Nonce and Ciphertext instead. []byte
// fields are standard base64 in JSON.
type keyFile struct {
	Version    int        `json:"version"`
	Type       string     `json:"type"`
	Key        []byte     `json:"key,omitempty"`
	KDF        *kdfParams `json:"kdf,omitempty"`
	Cipher     string     `json:"cipher,omitempty"`
	Nonce      []byte     `json:"nonce,omitempty"`
	Ciphertext []byte     `json:"ciphertext,omitempty"`
}

// kdfParams says how the file key is derived from the passphrase.
type kdfParams struct {
	Name string `json:"name"`
	N    int    `json:"n"`
	R    int    `json:"r"`
	P    int    `json:"p"`
	Salt []byte `json:"salt"`
}

// encrypted reports whether f claims to be an encrypted file.
func (f *keyFile) encrypted() bool {
	return f.KDF != nil || f.Cipher != "" || f.Nonce != nil || f.Ciphertext != nil
}

// additionalData is the AEAD additional data of an encrypted file: every
// header field, re-encoded from the parsed values, so that changing the
// version, type, KDF parameters or cipher name makes decryption fail.
func (f *keyFile) additionalData() ([]byte, error) {
	header := struct {
		Version int        `json:"version"`
		Type    string     `json:"type"`
		KDF     *kdfParams `json:"kdf"`
		Cipher  string     `json:"cipher"`
	}{f.Version, f.Type, f.KDF, f.Cipher}
	b, err := json.Marshal(header)
	if err != nil {
		return nil, fmt.Errorf("encode key file header: %w", err)
	}
	return append([]byte(aadPrefix), b...), nil
}

// encodeKeyFile returns the file contents for key, sealed with passphrase
// at the given cost unless passphrase is empty.
func encodeKeyFile(key crypto.PrivKey, passphrase []byte, cost scryptCost) ([]byte, error) {
	raw, err := crypto.MarshalPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("marshal key: %w", err)
	}
	f := keyFile{Version: keyFileVersion, Type: keyTypeEd25519}
	if len(passphrase) == 0 {
		f.Key = raw
	} else {
		defer clear(raw)
		if err := f.seal(raw, passphrase, cost); err != nil {
			return nil, err
		}
	}
	out, err := json.MarshalIndent(&f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode key file: %w", err)
	}
	return append(out, '\n'), nil
}

// seal fills the encryption fields of f with raw sealed under passphrase.
func (f *keyFile) seal(raw, passphrase []byte, cost scryptCost) error {
	salt := make([]byte, saltSize)
	nonce := make([]byte, chacha20poly1305.NonceSizeX)
	if _, err := rand.Read(salt); err != nil {
		return fmt.Errorf("generate salt: %w", err)
	}
	if _, err := rand.Read(nonce); err != nil {
		return fmt.Errorf("generate nonce: %w", err)
	}
	f.KDF = &kdfParams{Name: kdfScrypt, N: cost.N, R: cost.R, P: cost.P, Salt: salt}
	f.Cipher = cipherXChaCha
	f.Nonce = nonce
	aead, err := f.aead(passphrase)
	if err != nil {
		return err
	}
	ad, err := f.additionalData()
	if err != nil {
		return err
	}
	f.Ciphertext = aead.Seal(nil, nonce, raw, ad)
	return nil
}

// aead derives the file key from passphrase with f's KDF parameters.
func (f *keyFile) aead(passphrase []byte) (cipher.AEAD, error) {
	k, err := scrypt.Key(passphrase, f.KDF.Salt, f.KDF.N, f.KDF.R, f.KDF.P, chacha20poly1305.KeySize)
	if err != nil {
		return nil, fmt.Errorf("derive key: %w", err)
	}
	defer clear(k)
	aead, err := chacha20poly1305.NewX(k)
	if err != nil {
		return nil, fmt.Errorf("init cipher: %w", err)
	}
	return aead, nil
}

// decodeKeyFile parses a key file and returns its key. Its errors wrap
// ErrCorruptKey, ErrPassphraseRequired or ErrWrongPassphrase; the caller
// adds the path.
func decodeKeyFile(data, passphrase []byte) (crypto.PrivKey, error) {
	var f keyFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%w: not a key file: %v", ErrCorruptKey, err)
	}
	if f.Version != keyFileVersion {
		return nil, fmt.Errorf("%w: unsupported version %d", ErrCorruptKey, f.Version)
	}
	if f.Type != keyTypeEd25519 {
		return nil, fmt.Errorf("%w: unsupported key type %q", ErrCorruptKey, f.Type)
	}
	if !f.encrypted() {
		// A plain file opens with or without a passphrase: the passphrase
		// protects nothing here, and refusing would lock the user out.
		if len(f.Key) == 0 {
			return nil, fmt.Errorf("%w: no key", ErrCorruptKey)
		}
		return parseKey(f.Key)
	}
	if err := f.checkEncrypted(); err != nil {
		return nil, err
	}
	if len(passphrase) == 0 {
		return nil, ErrPassphraseRequired
	}
	aead, err := f.aead(passphrase)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorruptKey, err)
	}
	ad, err := f.additionalData()
	if err != nil {
		return nil, err
	}
	raw, err := aead.Open(nil, f.Nonce, f.Ciphertext, ad)
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	defer clear(raw)
	return parseKey(raw)
}

// checkEncrypted checks the header of an encrypted file before any work is
// spent on it.
func (f *keyFile) checkEncrypted() error {
	switch {
	case f.Key != nil:
		return fmt.Errorf("%w: both a plain key and a ciphertext", ErrCorruptKey)
	case f.KDF == nil:
		return fmt.Errorf("%w: ciphertext without kdf", ErrCorruptKey)
	case f.KDF.Name != kdfScrypt:
		return fmt.Errorf("%w: unsupported kdf %q", ErrCorruptKey, f.KDF.Name)
	case f.Cipher != cipherXChaCha:
		return fmt.Errorf("%w: unsupported cipher %q", ErrCorruptKey, f.Cipher)
	case len(f.KDF.Salt) < saltSize:
		return fmt.Errorf("%w: salt shorter than %d bytes", ErrCorruptKey, saltSize)
	case len(f.Nonce) != chacha20poly1305.NonceSizeX:
		return fmt.Errorf("%w: nonce is %d bytes, want %d", ErrCorruptKey, len(f.Nonce), chacha20poly1305.NonceSizeX)
	case len(f.Ciphertext) <= chacha20poly1305.Overhead:
		return fmt.Errorf("%w: ciphertext too short", ErrCorruptKey)
	}
	n, r, p := f.KDF.N, f.KDF.R, f.KDF.P
	if n < 2 || n&(n-1) != 0 || r < 1 || p < 1 || p > maxScryptP ||
		n > maxScryptMemory/128/r || n > maxScryptWork/r/p {
		return fmt.Errorf("%w: scrypt parameters n=%d r=%d p=%d out of range", ErrCorruptKey, n, r, p)
	}
	return nil
}

// parseKey unmarshals a libp2p private key and checks that it is a
// well-formed Ed25519 key.
func parseKey(raw []byte) (crypto.PrivKey, error) {
	key, err := crypto.UnmarshalPrivateKey(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorruptKey, err)
	}
	if key.Type() != cryptopb.KeyType_Ed25519 {
		return nil, fmt.Errorf("%w: key type %s, want Ed25519", ErrCorruptKey, key.Type())
	}
	// libp2p keeps the public half as stored; a mismatched one would make
	// every signature invalid and the peer ID wrong, so check it here.
	b, err := key.Raw()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorruptKey, err)
	}
	defer clear(b)
	want := ed25519.NewKeyFromSeed(b[:ed25519.SeedSize])
	defer clear(want)
	if subtle.ConstantTimeCompare(want[ed25519.SeedSize:], b[ed25519.SeedSize:]) != 1 {
		return nil, fmt.Errorf("%w: public key does not match private key", ErrCorruptKey)
	}
	return key, nil
}
