package chat

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"

	"github.com/libp2p/go-libp2p/core/peer"
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

// maxIDStrings bounds the peer IDs idStrings remembers.
const maxIDStrings = 1024

// idStrings caches the text form of peer IDs: base58 costs microseconds,
// which a burst of messages to one friend would otherwise pay for each.
// The zero value is ready to use.
type idStrings struct {
	mu sync.Mutex
	m  map[peer.ID]string
}

func (c *idStrings) get(p peer.ID) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.m[p]; ok {
		return s
	}
	if c.m == nil || len(c.m) >= maxIDStrings {
		c.m = make(map[peer.ID]string)
	}
	s := p.String()
	c.m[p] = s
	return s
}
