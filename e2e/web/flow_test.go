package web_test

import (
	"context"
	"testing"

	"github.com/parley-im/parley/node/nodetest"
)

// TestPagesMessageLive: A signs in through the link and sends B a friend
// request; B accepts in its page; they write both ways and both pages show
// the messages live with the right marks; markup from a peer shows as text.
// The flow runs over each transport the daemons use; the first one also
// runs the group, the foreign page and the screenshots.
func TestPagesMessageLive(t *testing.T) {
	br := browser(t)
	for i, tr := range nodetest.Transports {
		t.Run(tr.String(), func(t *testing.T) {
			a, b := newUser(t, "A", tr), newUser(t, "B", tr)
			nodetest.Connect(t, tr, a.node, b.node)
			a.signIn(t, br)
			b.signIn(t, br)
			if i == 0 {
				profile(t, a, "Alice")
			}
			if _, err := b.client.SetNickname(context.Background(), "Bob"); err != nil {
				t.Fatal(err)
			}
			befriend(t, a, b)
			talk(t, a, b)
			if i == 1 {
				cancelAndSignOut(t, a, b)
			}
			if i == 0 {
				foreignPage(t, a, b)
				group(t, a, b)
				contactsAndAvatar(t, a, b)
				resume(t, a, b)
				qrCodes(t, a)
				screens(t, a, b)
			}
		})
	}
}

// befriend: A sends the request from its page, B accepts it in its page.
func befriend(t *testing.T, a, b *user) {
	t.Helper()
	a.click(t, "#tab-requests")
	a.typeText(t, "#req-peer", b.id())
	a.typeText(t, "#req-msg", "hi, it's A")
	a.click(t, "#req-peer ~ button, form.form button.primary")
	a.waitJS(t, `document.querySelector('#req-out [data-peer=`+js(b.id())+`]')`)

	b.click(t, "#tab-requests")
	// The request arrives live: the panel refreshes on the feed event.
	b.waitJS(t, `document.querySelector('#req-in [data-peer=`+js(a.id())+`]')`)
	b.click(t, `#req-in [data-peer="`+a.id()+`"] button.primary`)
	b.waitJS(t, `!document.querySelector('#req-in [data-peer=`+js(a.id())+`]')`)
}

// talk: A opens B from its contacts and writes; B sees it live, opens it,
// and A's mark turns to read; B answers with markup, which A shows as text.
func talk(t *testing.T, a, b *user) {
	t.Helper()
	a.click(t, "#tab-contacts")
	a.click(t, `#contacts [data-peer="`+b.id()+`"] button:nth-of-type(2)`)
	a.waitJS(t, `document.activeElement && document.activeElement.id === 'composer'`)
	a.typeText(t, "#composer", "hello")
	a.enter(t, true) // Shift+Enter: a new line, nothing sent
	a.typeText(t, "#composer", "from A")
	if got := eval[string](t, a, `document.querySelector('#composer').value`); got != "hello\nfrom A" {
		t.Fatalf("composer after Shift+Enter holds %q, want two lines", got)
	}
	a.enter(t, false)
	mine := `document.querySelector('.msg.mine .text')`
	a.waitJS(t, mine+` && `+mine+`.textContent === "hello\nfrom A"`)
	a.waitJS(t, `document.querySelector('#composer').value === ''`)
	// Delivered once B's node acks it.
	a.waitJS(t, `['delivered','read'].includes(document.querySelector('.msg.mine').dataset.status)`)

	// B's list shows the conversation live, with one unread.
	conv := `document.querySelector('[data-conv=` + js(a.id()) + `]')`
	b.click(t, "#tab-chats")
	b.waitJS(t, conv+` && `+conv+`.querySelector('.unread') && `+conv+`.querySelector('.unread').textContent === '1'`)
	b.click(t, `[data-conv="`+a.id()+`"]`)
	b.waitJS(t, `[...document.querySelectorAll('.msg .text')].some(e => e.textContent === "hello\nfrom A")`)
	// Opening it read it: A's mark turns to read.
	a.waitJS(t, `document.querySelector('.msg.mine').dataset.status === 'read'`)

	evil := `<script>window.pwned=1</script><img src=x onerror="window.pwned=2">`
	b.typeText(t, "#composer", evil)
	b.enter(t, false)
	b.waitJS(t, `[...document.querySelectorAll('.msg.mine .text')].some(e => e.textContent === `+js(evil)+`)`)
	theirs := `[...document.querySelectorAll('.msg:not(.mine) .text')]`
	a.waitJS(t, theirs+`.some(e => e.textContent === `+js(evil)+`)`)
	if n := eval[int](t, a, `document.querySelectorAll('.messages img, .messages script').length`); n != 0 {
		t.Errorf("A's conversation holds %d img/script elements made from B's text", n)
	}
	if got := eval[string](t, a, `String(window.pwned)`); got != "undefined" {
		t.Errorf("B's markup ran in A's page: window.pwned = %s", got)
	}
	// A is looking at the conversation, so B's message is read at once.
	b.waitJS(t, `[...document.querySelectorAll('.msg.mine')].every(e => e.dataset.status === 'read')`)
}

// profile sets the nickname in the page's profile panel.
func profile(t *testing.T, u *user, nick string) {
	t.Helper()
	u.click(t, "#tab-profile")
	u.waitJS(t, `document.querySelector('#nickname')`)
	u.typeText(t, "#nickname", nick)
	u.click(t, "#nickname ~ button.primary, form.form button.primary")
	u.waitJS(t, `document.querySelector('#me-name').textContent === `+js(nick))
}

// cancelAndSignOut: A cancels a request to a peer that never answers, and
// B signs out of its page, which then needs a new link.
func cancelAndSignOut(t *testing.T, a, b *user) {
	t.Helper()
	stranger := newUser(t, "C", nodetest.TCP).id() // never connected to A
	a.click(t, "#tab-requests")
	a.typeText(t, "#req-peer", stranger)
	a.click(t, "form.form button.primary")
	out := `#req-out [data-peer="` + stranger + `"]`
	a.waitJS(t, `document.querySelector('`+out+`')`)
	a.click(t, out+` button`)
	a.waitJS(t, `!document.querySelector('`+out+`')`)
	reqs, err := a.client.FriendRequests(context.Background(), "pending", "out")
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 0 {
		t.Errorf("after Cancel, A has %d pending outgoing requests: %+v", len(reqs), reqs)
	}

	b.click(t, "#tab-profile")
	b.click(t, "#sign-out")
	b.waitJS(t, `document.readyState === 'complete' && !document.querySelector('#signin').hidden`)
	if got := eval[string](t, b, `String(sessionStorage.getItem('parley.session'))`); got != "null" {
		t.Errorf("after sign-out the tab still holds a session: %s", got)
	}
}
