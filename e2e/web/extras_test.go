package web_test

import (
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"time"

	"github.com/chromedp/chromedp"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/storage"
)

// contactsAndAvatar: A gives B a remark and labels in its contacts,
// which the list then shows, and uploads an avatar after a preview.
func contactsAndAvatar(t *testing.T, a, b *user) {
	t.Helper()
	a.click(t, "#tab-contacts")
	row := `#contacts [data-peer="` + b.id() + `"]`
	a.typeText(t, row+` input[placeholder=remark]`, "Bobby")
	a.typeText(t, row+` input[placeholder=labels]`, "work, school")
	a.click(t, row+` button`)
	a.waitJS(t, `[...document.querySelectorAll('#conv-list .title')].some(e => e.textContent === 'Bobby')`)
	c, err := a.client.Contact(context.Background(), b.id())
	if err != nil {
		t.Fatal(err)
	}
	if c.RemarkName != "Bobby" || !slices.Equal(c.Labels, []string{"school", "work"}) {
		t.Errorf("contact after the page saved it: remark %q, labels %q", c.RemarkName, c.Labels)
	}

	// Whois by peer ID, then block and unblock.
	a.typeText(t, "#whois-peer", b.id())
	a.click(t, "#whois-go")
	a.waitJS(t, `document.querySelector('#whois-out').textContent.includes('Bob')`)
	block := row + ` [data-act=block]`
	a.waitJS(t, `document.querySelector('`+block+`').textContent === 'Block'`)
	a.click(t, block)
	a.waitJS(t, `document.querySelector('`+block+`').textContent === 'Unblock'`)
	if c, err := a.client.Contact(context.Background(), b.id()); err != nil || !c.Blocked {
		t.Fatalf("after Block in the page: %+v, %v", c, err)
	}
	a.click(t, block)
	a.waitJS(t, `document.querySelector('`+block+`').textContent === 'Block'`)
	if c, err := a.client.Contact(context.Background(), b.id()); err != nil || c.Blocked {
		t.Fatalf("after Unblock in the page: %+v, %v", c, err)
	}

	pic := filepath.Join(t.TempDir(), "me.png")
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	img.Set(0, 0, color.RGBA{255, 0, 0, 255})
	f, err := os.Create(pic)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()
	a.click(t, "#tab-profile")
	a.typeText(t, "#avatar-file", pic) // on a file input: sets the file
	a.waitJS(t, `!document.querySelector('.preview').hidden && document.querySelector('.preview').src.startsWith('blob:')`)
	a.click(t, "#avatar-upload")
	a.waitJS(t, `!document.querySelector('#me-avatar').hidden && document.querySelector('#me-avatar').src.startsWith('data:image/')`)
	// Presence and note.
	if err := chromedp.Do(a.tab, chromedp.SetValue(chromedp.CSS("#presence-status"), "away")); err != nil {
		t.Fatal(err)
	}
	a.typeText(t, "#presence-note", "at lunch")
	a.click(t, "#presence-go")
	a.waitJS(t, `document.querySelector('.panel p .muted') && document.querySelector('.panel p .muted').textContent === 'away'`)
	me, err := a.client.Profile(context.Background())
	if err != nil || me.Presence.Status != "away" || me.Presence.Note != "at lunch" {
		t.Errorf("presence after the page set it: %+v, %v", me.Presence, err)
	}
}

// resume: A's connections to its API drop and stay refused while B
// writes; once the API takes connections again, the page's feed resumes
// from its last event and the open conversation shows the message (a
// fresh stream would not replay it).
func resume(t *testing.T, a, b *user) {
	t.Helper()
	a.click(t, "#tab-chats")
	a.click(t, `[data-conv="`+b.id()+`"]`)
	a.waitJS(t, `document.querySelector('.msg')`)
	a.ln.setDown(true)
	a.waitJS(t, `document.querySelector('#conn').textContent.startsWith('reconnecting')`)
	// Wait until A's node holds it (its feed says so), so that only a
	// resume can bring it to the page.
	sub := a.node.Feed().Subscribe(0)
	defer sub.Close()
	m, err := b.client.Send(context.Background(), a.id(), "while you were away")
	if err != nil {
		t.Fatal(err)
	}
	timeout := time.After(waitFor)
	for got := false; !got; {
		select {
		case ev, ok := <-sub.Events():
			if !ok {
				t.Fatal("A's feed closed")
			}
			msg, isMsg := ev.Data.(storage.Message)
			got = ev.Type == chat.EventMessage && isMsg && msg.ID == m.ID
		case <-timeout:
			t.Fatal("A's node never got B's message")
		}
	}
	a.ln.setDown(false)
	a.waitJS(t, `document.querySelector('#conn').textContent === 'connected'`)
	a.waitJS(t, `[...document.querySelectorAll('.msg .text')].some(e => e.textContent === 'while you were away')`)
}
