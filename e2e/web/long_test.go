package web_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/node/nodetest"
	"github.com/parley-im/parley/storage"
)

// TestLongConversationScrollsByPages: a conversation of 100k messages
// (10k under the race detector, where storing them takes 25 s)
// opens with one page, and each scroll to the top loads the page before,
// in order, without loading the conversation whole.
func TestLongConversationScrollsByPages(t *testing.T) {
	br := browser(t)
	a := newUser(t, "A", nodetest.QUIC) // no peer: the transport does not matter
	friend := fillConversation(t, a, longConversation)
	t0 := time.Now()
	a.signIn(t, br)
	t.Logf("sign-in and first render with a %d-message conversation: %v (list drawn in %.0f ms)",
		longConversation, time.Since(t0).Round(time.Millisecond), eval[float64](t, a, `window.parleyFirstRender`))
	a.click(t, `[data-conv="`+friend+`"]`)
	count := `document.querySelectorAll('.messages .msg').length`
	a.waitJS(t, count+` >= 50`)
	if n := eval[int](t, a, count); n != 50 {
		t.Fatalf("the conversation opened with %d messages, want one page of 50", n)
	}
	newest := longConversation - 1
	if got := eval[string](t, a, `[...document.querySelectorAll('.messages .msg .text')].pop().textContent`); got != msgText(newest) {
		t.Fatalf("last message shown is %q, want %q", got, msgText(newest))
	}
	for page := 2; page <= 6; page++ {
		t1 := time.Now()
		if err := evalVoid(a, `document.querySelector('.messages').scrollTop = 0`); err != nil {
			t.Fatal(err)
		}
		a.waitJS(t, fmt.Sprintf(`%s >= %d`, count, 50*page))
		took := time.Since(t1)
		want := msgText(longConversation - 50*page)
		if got := eval[string](t, a, `document.querySelector('.messages .msg .text').textContent`); got != want {
			t.Fatalf("after %d pages the oldest message shown is %q, want %q", page, got, want)
		}
		t.Logf("page %d loaded on scroll in %v", page, took.Round(time.Millisecond))
	}
	if n := eval[int](t, a, count); n != 300 {
		t.Errorf("after 6 pages the page holds %d messages, want 300", n)
	}
}

func msgText(i int) string { return fmt.Sprintf("message %d", i) }

// fillConversation stores n messages of a conversation with a new friend
// straight into u's database, and returns the friend's peer ID.
func fillConversation(t *testing.T, u *user, n int) string {
	t.Helper()
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id, err := peer.IDFromPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	friend, self := id.String(), u.id()
	db := u.node.Store()
	start := time.Now().Add(-24 * time.Hour)
	err = db.Update(func(tx *storage.Tx) error {
		return tx.PutContact(storage.ContactInfo{UserID: friend, Friend: true, AddedAt: start})
	})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	const perTx = 500
	for first := 0; first < n; first += perTx {
		err := db.Update(func(tx *storage.Tx) error {
			for i := first; i < min(first+perTx, n); i++ {
				b := make([]byte, 16)
				rand.Read(b)
				at := start.Add(time.Duration(i) * time.Millisecond)
				m := storage.Message{ID: hex.EncodeToString(b), ConversationID: friend, Type: storage.TypeText,
					Content: msgText(i), SentAt: at, Status: storage.StatusRead}
				if i%2 == 0 {
					m.Sender, m.Recipient, m.Outgoing = self, friend, true
				} else {
					m.Sender, m.Recipient, m.ReceivedAt = friend, self, at
				}
				if err := tx.AddNewMessage(m); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("stored %d messages in %v", n, time.Since(t0).Round(time.Millisecond))
	return friend
}
