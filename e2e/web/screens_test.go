package web_test

import (
	"context"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

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
	// Dark: the system's scheme, as the page follows it.
	setScheme(t, a, "dark")
	a.click(t, "#tab-chats")
	a.click(t, `[data-conv="`+b.id()+`"]`)
	a.waitJS(t, `document.querySelector('.msg')`)
	if bg := eval[string](t, a, `getComputedStyle(document.body).backgroundColor`); bg != "rgb(21, 23, 27)" {
		t.Errorf("with a dark system scheme the page's background is %s, want the dark one", bg)
	}
	a.screenshot(t, "conversation-dark", 1440, 900)
	a.screenshot(t, "conversation-dark", 360, 740)
	setScheme(t, a, "")
}

// setScheme emulates the system's light or dark scheme ("" for none).
func setScheme(t *testing.T, u *user, scheme string) {
	t.Helper()
	err := chromedp.Do(u.tab, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		p := emulation.SetEmulatedMediaParams{}
		if scheme != "" {
			p.Features = []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}
		}
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, p)
		return err
	}))
	if err != nil {
		t.Fatalf("emulate %q scheme: %v", scheme, err)
	}
}
