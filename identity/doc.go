// Package identity holds a Parley node's identity: the Ed25519 key that is
// its peer ID and user ID, the file that stores it, and the signed records
// (profile, presence) that the node publishes in the DHT, with the
// validators that every node runs on them.
//
// # Key file
//
// LoadOrCreate, Load and Create manage the key file (<home>/identity.key).
// It is a small JSON document. Without a passphrase:
//
//	{"version": 1, "type": "ed25519", "key": "<base64 of crypto.MarshalPrivateKey>"}
//
// With a passphrase, the same marshaled key is sealed with
// XChaCha20-Poly1305 under a key derived by scrypt (N=2^15, r=8, p=1, a
// random 16-byte salt, stored so that the cost can rise later):
//
//	{"version": 1, "type": "ed25519",
//	 "kdf": {"name": "scrypt", "n": 32768, "r": 8, "p": 1, "salt": "<base64>"},
//	 "cipher": "xchacha20poly1305", "nonce": "<base64, 24 bytes>", "ciphertext": "<base64>"}
//
// The AEAD additional data is "parley identity key file\x00" followed by
// the JSON of the header fields (version, type, kdf, cipher), so none of
// them can be changed without decryption failing. Load refuses scrypt
// parameters far above the default (more than 256 MiB of memory), so a
// crafted file cannot exhaust the machine. A plain file given a passphrase
// loads anyway: the passphrase had nothing to protect, and refusing would
// only lock the user out. To encrypt an existing key, a caller loads it and
// writes a new file elsewhere; this package never rewrites one.
//
// The file is created with mode 0600 and is never overwritten or removed
// by this package: Create writes a temporary file in the same directory,
// syncs it, hard-links it to the final name (which fails if a file is
// there) and syncs the directory, so the key file is either absent or
// complete, even across a crash. A corrupt or unreadable file is an error
// that names the file; LoadOrCreate never replaces it with a new key.
//
// # Signed records
//
// A UserInfo (profile) or Presence is published in the DHT under
// ProfileKey or PresenceKey ("/profile/" or "/presence/" followed by the
// raw peer ID bytes). The value is a libp2p signed envelope
// (core/record) whose payload is the protobuf message of package pb, with
// a signature domain of its own per record type. SignProfile and
// SignPresence make one; OpenProfile and OpenPresence verify one and take
// the user ID from the signer, never from the payload.
//
// NewValidator returns the namespaced validator for kad-dht. A value is
// valid when it fits the namespace's size cap, its envelope signature
// verifies, the signer is the peer in the key, and the content passes the
// rules (ValidateNickname, ValidateAvatar, a known status other than
// invisible, a short note, sane times); a presence must also be unexpired
// and expire within MaxPresenceTTL. Select prefers the highest Seq, then
// the later UpdatedAt, then the first value, and skips invalid values.
//
// Errors wrap the sentinel errors of this package (ErrCorruptKey,
// ErrBadSignature, ...) with detail; test them with errors.Is.
package identity
