package identity

import "errors"

// Sentinel errors. Every error this package returns wraps one of them (or an
// os error) together with the file or record it concerns; test with errors.Is.
var (
	// ErrWrongPassphrase reports that the passphrase does not open an
	// encrypted key file. A file whose encrypted part was altered reads the
	// same way: the two cannot be told apart.
	ErrWrongPassphrase = errors.New("wrong passphrase")
	// ErrPassphraseRequired reports an encrypted key file opened without a
	// passphrase.
	ErrPassphraseRequired = errors.New("key file is encrypted: passphrase required")
	// ErrCorruptKey reports a key file that is not a key file this package
	// can read: garbage, truncated, an unknown version, unsupported
	// parameters, or a key that is not a well-formed Ed25519 key.
	ErrCorruptKey = errors.New("corrupt key file")
	// ErrKeyExists reports that Create found a file already at the path.
	ErrKeyExists = errors.New("key file already exists")

	// ErrInvalidRecord reports a record that does not parse or breaks a
	// content rule (status, note, times, ...).
	ErrInvalidRecord = errors.New("invalid record")
	// ErrInvalidRecordKey reports a DHT key outside the validator's
	// namespace or without a valid peer ID.
	ErrInvalidRecordKey = errors.New("invalid record key")
	// ErrBadSignature reports a record whose envelope signature does not
	// verify.
	ErrBadSignature = errors.New("bad record signature")
	// ErrSignerMismatch reports a record signed by someone other than the
	// user it is filed under (or claims to describe).
	ErrSignerMismatch = errors.New("record signer does not match user")
	// ErrRecordTooLarge reports a record above its namespace's size cap.
	ErrRecordTooLarge = errors.New("record too large")
	// ErrRecordExpired reports a presence record past its expiry time.
	ErrRecordExpired = errors.New("record expired")
	// ErrInvalidNickname reports a nickname that ValidateNickname rejects.
	ErrInvalidNickname = errors.New("invalid nickname")
	// ErrInvalidAvatar reports an avatar that ValidateAvatar rejects.
	ErrInvalidAvatar = errors.New("invalid avatar")
)
