package storage

import (
	"encoding/base64"
	"fmt"
	"hash/crc32"
)

// A history cursor names the position of the last message of a page: its
// sentAt (8 bytes, as in the history key), the first cursorIDBytes bytes
// of its ID and one check byte, base64url without padding (at most
// MaxCursorLen characters). The page after it starts at the message just
// older than that position, so a cursor stays valid when its message is
// deleted. Two messages of one conversation sent in the same nanosecond
// with IDs sharing their first cursorIDBytes bytes would be skipped
// together.
const cursorIDBytes = 9

// MaxCursorLen is the longest history cursor a node hands out.
const MaxCursorLen = (8 + cursorIDBytes + 1 + 2) / 3 * 4

var cursorEncoding = base64.RawURLEncoding

// encodeCursor is the cursor of a history key suffix (sentAt + ID).
func encodeCursor(suffix []byte) string {
	pos := suffix[:min(len(suffix), 8+cursorIDBytes)]
	return cursorEncoding.EncodeToString(append(append([]byte{}, pos...), cursorCheck(pos)))
}

// cursorCheck is the check byte of a cursor's position, so that a mistyped
// cursor is refused rather than read as another position.
func cursorCheck(pos []byte) byte { return byte(crc32.ChecksumIEEE(pos)) }

// decodeCursor returns the history key suffix a cursor names, or
// ErrBadCursor saying what to pass instead.
func decodeCursor(c string) ([]byte, error) {
	if len(c) > MaxCursorLen {
		return nil, fmt.Errorf("%w: history cursor of %d characters is longer than %d (an older node's long cursor?): pass the next of a page this node returned, or none for the newest page",
			ErrBadCursor, len(c), MaxCursorLen)
	}
	b, err := cursorEncoding.DecodeString(c)
	if err != nil || len(b) < 8+1+1 || cursorCheck(b[:len(b)-1]) != b[len(b)-1] {
		return nil, fmt.Errorf("%w: history cursor %q is not one this node hands out: pass the next of a previous page, or none for the newest page",
			ErrBadCursor, c)
	}
	return b[:len(b)-1], nil
}
