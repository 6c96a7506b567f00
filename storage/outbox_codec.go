package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Outbox items are written in a compact binary form (schema version 2):
// a queue of thousands of items during a burst stays small enough to sit
// in Badger's tree rather than its value log (values up to
// Options.ValueThreshold), and it costs no JSON. The peer and the sequence
// number are in the key and not repeated; a message item's conversation
// is left out when it is the peer's. Items written as JSON by version 1
// (their first byte is '{') are still read.
const outboxFormat = 1

// convIsPeer flags an item whose conversation is its peer's.
const convIsPeer = 1

func encodeOutbox(it OutboxItem) []byte {
	conv, flags := it.Conv, byte(0)
	if conv != "" && conv == it.Peer {
		conv, flags = "", convIsPeer
	}
	b := make([]byte, 0, 48+len(it.Kind)+len(conv)+len(it.RefID)+len(it.Frame))
	b = append(b, outboxFormat, flags)
	b = appendString(b, it.Kind)
	b = appendString(b, conv)
	b = appendString(b, it.RefID)
	b = binary.AppendVarint(b, unixNanos(it.SentAt))
	b = binary.AppendVarint(b, unixNanos(it.CreatedAt))
	return appendString(b, string(it.Frame))
}

func decodeOutbox(key, v []byte) (OutboxItem, error) {
	peer, seq, err := parseOutboxKey(key)
	if err != nil {
		return OutboxItem{}, err
	}
	if len(v) > 0 && v[0] == '{' {
		var it OutboxItem
		err := jsonUnmarshal(key, v, &it)
		return it, err
	}
	if len(v) < 2 || v[0] != outboxFormat {
		return OutboxItem{}, fmt.Errorf("decode %q: unknown outbox format", key)
	}
	flags := v[1]
	d := decoder{b: v[2:]}
	it := OutboxItem{Peer: peer, Seq: seq}
	it.Kind = d.string()
	it.Conv = d.string()
	it.RefID = d.string()
	it.SentAt = fromUnixNanos(d.varint())
	it.CreatedAt = fromUnixNanos(d.varint())
	if frame := d.string(); frame != "" {
		it.Frame = []byte(frame)
	}
	if d.err != nil {
		return OutboxItem{}, fmt.Errorf("decode %q: %w", key, d.err)
	}
	if flags&convIsPeer != 0 {
		it.Conv = peer
	}
	return it, nil
}

// parseOutboxKey splits o/<peer>/<seq:8>.
func parseOutboxKey(key []byte) (string, uint64, error) {
	rest := key[len(prefixOutbox):]
	if len(key) < len(prefixOutbox)+10 || rest[len(rest)-9] != '/' {
		return "", 0, fmt.Errorf("malformed outbox key %q", key)
	}
	return string(rest[:len(rest)-9]), binary.BigEndian.Uint64(rest[len(rest)-8:]), nil
}

func unixNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

var errShort = errors.New("truncated value")

// decoder reads what appendString and AppendVarint wrote; the first
// error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) string() string {
	if d.err != nil {
		return ""
	}
	n, k := binary.Uvarint(d.b)
	if k <= 0 || uint64(len(d.b)-k) < n {
		d.err = errShort
		return ""
	}
	s := string(d.b[k : k+int(n)])
	d.b = d.b[k+int(n):]
	return s
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, k := binary.Varint(d.b)
	if k <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[k:]
	return v
}
