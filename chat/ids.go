package chat

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// idLen is the length of message, request and frame IDs on the wire.
const idLen = 16

// newID returns 16 random bytes, hex-encoded as stored.
func newID() string {
	var b [idLen]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// idBytes is the wire form of a stored ID.
func idBytes(id string) ([]byte, error) {
	b, err := hex.DecodeString(id)
	if err != nil || len(b) != idLen {
		return nil, fmt.Errorf("%w: id %q", ErrInvalid, id)
	}
	return b, nil
}

// idString is the stored form of a wire ID; ok is false when it is not 16
// bytes.
func idString(b []byte) (string, bool) {
	if len(b) != idLen {
		return "", false
	}
	return hex.EncodeToString(b), true
}
