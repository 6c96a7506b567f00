package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/storage"
)

// waitNodeEvent waits until u's node has published an event match
// accepts; the feed replays what it buffered, so an event that came
// before the call counts.
func waitNodeEvent(t *testing.T, u *user, what string, match func(chat.Event) bool) {
	t.Helper()
	sub := u.node.Feed().Subscribe(1)
	defer sub.Close()
	timeout := time.After(waitFor)
	for {
		select {
		case ev, ok := <-sub.Events():
			if !ok {
				t.Fatalf("waiting for %s: the feed closed", what)
			}
			if match(ev) {
				return
			}
		case <-timeout:
			t.Fatalf("waiting for %s: timed out", what)
		}
	}
}

// group: A creates a group with B in its page, B joins in its page, and a
// message of A's reaches B's page live.
func group(t *testing.T, a, b *user) {
	t.Helper()
	a.click(t, "#tab-groups")
	a.typeText(t, "#group-name", "Friends")
	a.click(t, `input[type=checkbox][value="`+b.id()+`"]`)
	a.click(t, `#group-name ~ button.primary, form.form > button.primary`)
	a.waitJS(t, `document.querySelector('#conv-title') && document.querySelector('#conv-title').textContent === 'Friends'`)

	b.click(t, "#tab-requests")
	b.waitJS(t, `[...document.querySelectorAll('.rows li')].some(li => li.textContent.includes('Friends'))`)
	b.click(t, `.rows li button.primary`)
	b.click(t, "#tab-groups")
	b.waitJS(t, `[...document.querySelectorAll('.rows li')].some(li => li.textContent.includes('Friends') && li.textContent.includes('active'))`)
	b.click(t, `.rows li button`)
	b.waitJS(t, `document.querySelector('#conv-title') && document.querySelector('#conv-title').textContent === 'Friends'`)

	// A waits until its view of the group has B as a member.
	a.waitJS(t, `document.querySelector('header .muted') && document.querySelector('header .muted').textContent.includes('2 members')`)
	a.typeText(t, "#composer", "hello group")
	a.enter(t, false)
	b.waitJS(t, `[...document.querySelectorAll('.msg .text')].some(e => e.textContent === 'hello group')`)
	b.waitJS(t, `[...document.querySelectorAll('.msg .from')].some(e => e.textContent.length > 0)`)
	// B has the group open, so its page marks the message read at once.
	waitNodeEvent(t, b, "B's page reads the group message", func(ev chat.Event) bool {
		r, ok := ev.Data.(chat.ReceiptEvent)
		return ok && ev.Type == chat.EventReceipt && strings.HasPrefix(r.ConversationID, "group:") && r.Status == storage.StatusRead
	})

	// A promotes B in the group's settings.
	a.click(t, "header button:last-of-type")
	a.waitJS(t, `document.querySelector('#group-members [data-peer=`+js(b.id())+`]')`)
	a.click(t, `#group-members [data-peer="`+b.id()+`"] button`)
	a.waitJS(t, `document.querySelector('#group-members [data-peer=`+js(b.id())+`]').textContent.includes('admin')`)
	a.screenshot(t, "group-settings", 1440, 900)
	// B has the group open: its page says what changed.
	b.waitJS(t, `[...document.querySelectorAll('.messages .notice')].some(e => e.textContent === 'You are now admin')`)
	// A renames the group; B's open group says so.
	a.waitJS(t, `document.querySelector('#group-rename')`)
	if err := evalVoid(a, `document.querySelector('#group-rename').value = ''`); err != nil {
		t.Fatal(err)
	}
	a.typeText(t, "#group-rename", "Pals")
	a.click(t, "#group-rename-go")
	b.waitJS(t, `[...document.querySelectorAll('.messages .notice')].some(e => e.textContent === 'The group is now called Pals')`)
	// A removes B; B's open group says so.
	a.click(t, `#group-members [data-peer="`+b.id()+`"] [data-act=remove]`)
	a.waitJS(t, `!document.querySelector('#group-members [data-peer=`+js(b.id())+`]')`)
	b.waitJS(t, `[...document.querySelectorAll('.messages .notice')].some(e => e.textContent === 'You were removed')`)
}
