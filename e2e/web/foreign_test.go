package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// foreignScript is what a page of another origin tries against A's API:
// read the conversations, send a message (as a simple no-cors request,
// which needs no preflight), and trade a made-up link code.
const foreignScript = `
window.results = {};
const api = new URL(location.href).searchParams.get('api');
const to = new URL(location.href).searchParams.get('to');
(async () => {
  try {
    const r = await fetch(api + '/v1/conversations', { credentials: 'include' });
    window.results.read = 'read ' + r.status + ': ' + await r.text();
  } catch (e) { window.results.read = 'blocked'; }
  try {
    const r = await fetch(api + '/v1/messages', { method: 'POST', mode: 'no-cors', credentials: 'include',
      headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ to, content: 'forged' }) });
    window.results.send = 'sent (' + r.type + ')';
  } catch (e) { window.results.send = 'blocked'; }
  window.results.storage = String(sessionStorage.getItem('parley.session'));
  window.results.done = true;
})();
`

// foreignPage opens a page of another origin (another port of
// 127.0.0.1) in A's tab, where A is signed in, and checks that it can
// neither read A's API nor send through it; then A's page comes back
// signed in (a reload keeps the session).
func foreignPage(t *testing.T, a, b *user) {
	t.Helper()
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/evil.js" {
			w.Header().Set("Content-Type", "text/javascript")
			w.Write([]byte(foreignScript))
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<!doctype html><title>elsewhere</title><script src="/evil.js"></script>`))
	}))
	defer evil.Close()
	before, err := a.client.History(context.Background(), b.id(), "", 500)
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(a.tab, chromedp.Navigate(evil.URL+"/?api=http://"+a.addr+"&to="+b.id())); err != nil {
		t.Fatal(err)
	}
	a.waitJS(t, `window.results && window.results.done`)
	read := eval[string](t, a, `window.results.read`)
	if read != "blocked" {
		t.Errorf("a foreign page read A's API: %s", read)
	}
	if got := eval[string](t, a, `window.results.storage`); got != "null" {
		t.Errorf("a foreign page sees a session in its storage: %s", got)
	}
	after, err := a.client.History(context.Background(), b.id(), "", 500)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range after.Messages {
		if strings.Contains(m.Content, "forged") {
			t.Errorf("a foreign page sent a message through A's API: %+v", m)
		}
	}
	if len(after.Messages) != len(before.Messages) {
		t.Errorf("A's history went from %d to %d messages while a foreign page was open", len(before.Messages), len(after.Messages))
	}
	// Back to A's page: the tab's session survives the trip and a reload.
	if err := chromedp.Do(a.tab, chromedp.Navigate("http://"+a.addr+"/")); err != nil {
		t.Fatal(err)
	}
	a.waitJS(t, `document.body.dataset.ready === 'true'`)
	if err := chromedp.Do(a.tab, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	a.waitJS(t, `document.body.dataset.ready === 'true'`)
	// The used link signs nobody in: a new tab that opens it is told so.
	other := tab(t, a.tab)
	if err := chromedp.Do(other, chromedp.Navigate(a.link)); err != nil {
		t.Fatal(err)
	}
	u2 := &user{name: "A's second tab", tab: other, addr: a.addr}
	u2.waitJS(t, `!document.querySelector('#signin').hidden && document.querySelector('#signin-msg').textContent.includes('used or expired')`)
	u2.screenshot(t, "signin", 1440, 900)
	// The CSP holds: a script element with inline code does not run.
	if got := eval[string](t, a, `(() => { const s = document.createElement('script'); s.textContent = 'window.inlineRan = 1'; document.body.append(s); return String(window.inlineRan); })()`); got != "undefined" {
		t.Errorf("inline script ran in the page despite its CSP: window.inlineRan = %s", got)
	}
}
