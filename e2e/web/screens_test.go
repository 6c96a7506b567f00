package web_test

import "testing"

// screens writes screenshots of the main screens at 360 and 1440 px, and
// logs how long the first render of the conversation list took.
func screens(t *testing.T, a, b *user) {
	t.Helper()
	ms := eval[float64](t, a, `window.parleyFirstRender`)
	t.Logf("first render of the conversation list: %.0f ms (load and draw, after sign-in)", ms)
	for _, w := range []struct{ width, height int64 }{{1440, 900}, {360, 740}} {
		a.click(t, "#tab-chats")
		a.waitJS(t, `document.querySelector('[data-conv]')`)
		a.screenshot(t, "chats", w.width, w.height)
		a.click(t, `[data-conv="`+b.id()+`"]`)
		a.waitJS(t, `document.querySelector('.msg')`)
		a.screenshot(t, "conversation", w.width, w.height)
		for _, tab := range []string{"requests", "groups", "contacts", "profile", "node"} {
			if w.width < 700 {
				// At 360 px the open pane hides the sidebar: go back first.
				a.click(t, ".main header .back")
			}
			a.click(t, "#tab-"+tab)
			a.waitJS(t, `document.querySelector('#panel-title')`)
			a.screenshot(t, tab, w.width, w.height)
		}
		if w.width < 700 {
			a.click(t, ".main header .back")
		}
	}
}
