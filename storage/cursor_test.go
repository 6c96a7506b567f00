package storage

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestShortCursorsPageEveryMessageOnce pages through 1,200 messages (some
// sent in the same nanosecond, with random IDs as nodes make them) and
// checks each cursor is short and each message comes exactly once, newest
// first.
func TestShortCursorsPageEveryMessageOnce(t *testing.T) {
	db, _ := openTemp(t)
	const n = 1200
	var want []Message
	err := db.Update(func(tx *Tx) error {
		for i := range n {
			m := msg("peerA", i, false)
			m.ID = hex.EncodeToString(randomBytes(16))
			m.SentAt = time.Unix(1_700_000_000, int64(i/3)) // three per nanosecond
			if _, err := tx.AddMessage(m); err != nil {
				return err
			}
			want = append(want, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(want, func(a, b Message) int {
		if c := b.SentAt.Compare(a.SentAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > n {
			t.Fatal("paging does not end")
		}
		var page []Message
		err := db.View(func(tx *Tx) (err error) { page, cursor, err = tx.History("peerA", cursor, 7); return })
		if err != nil {
			t.Fatal(err)
		}
		if len(cursor) > MaxCursorLen || MaxCursorLen > 24 {
			t.Fatalf("cursor %q has %d characters, want at most %d (≤ 24)", cursor, len(cursor), MaxCursorLen)
		}
		for _, m := range page {
			got = append(got, m.ID)
		}
		if cursor == "" {
			break
		}
	}
	if len(got) != n {
		t.Fatalf("got %d messages, want %d", len(got), n)
	}
	for i, m := range want {
		if got[i] != m.ID {
			t.Fatalf("position %d: %s, want %s", i, got[i], m.ID)
		}
	}
}

func TestMalformedAndOldCursorsAreRefused(t *testing.T) {
	db, _ := openTemp(t)
	old := hex.EncodeToString(append(make([]byte, 8), []byte(strings.Repeat("ab", 16))...)) // the long form
	for _, c := range []string{"zz", "!!!!", "AAAA", "not-a-cursor", "AAAAAAAAAAAAAAAAAAAAAAAA", old} {
		err := db.View(func(tx *Tx) error { _, _, err := tx.History("peerA", c, 10); return err })
		if !errors.Is(err, ErrBadCursor) || !strings.Contains(err.Error(), "newest page") {
			t.Errorf("cursor %q: err = %v, want ErrBadCursor saying what to pass", c, err)
		}
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
