package web_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/parley-im/parley/node"
	"github.com/parley-im/parley/node/api"
	"github.com/parley-im/parley/node/nodetest"
)

// waitFor bounds every wait on the page.
const waitFor = 20 * time.Second

// chromiumPath finds Debian's chromium; without it the test skips when
// not root (CI is root, and .ci/run installs it).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Geteuid() != 0 {
		t.Skip("browser tests skipped: no chromium on PATH (apt-get install -y chromium)")
	}
	t.Fatal("no chromium on PATH: .ci/run installs it with apt-get install -y chromium")
	return ""
}

// browser starts one headless Chromium for the test, kept off the outside
// network, with a fresh profile.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-domain-reliability", true),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// tab opens a tab in a browser context of its own (its own storage).
func tab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	return ctx
}

// user is a node with its API and a browser tab on its page.
type user struct {
	name   string
	node   *node.Node
	addr   string
	ln     *dropListener // the API's listener
	link   string        // the sign-in link, used
	client *api.Client
	tab    context.Context
}

// newUser starts a node on tr and its API on 127.0.0.1.
func newUser(t *testing.T, name string, tr nodetest.Transport, opts ...nodetest.Option) *user {
	t.Helper()
	n := nodetest.New(t, tr, opts...)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 16)
	rand.Read(b)
	token := hex.EncodeToString(b)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	dl := newDropListener(ln)
	go func() { done <- api.NewServer(n, token, nil).Serve(ctx, dl) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s: Serve: %v", name, err)
		}
	})
	return &user{name: name, node: n, addr: ln.Addr().String(), ln: dl, client: api.NewClient(ln.Addr().String(), token)}
}

func (u *user) id() string { return u.node.Host().ID().String() }

// signIn opens a fresh one-time link in the user's tab and waits until the
// page has drawn its conversation list.
func (u *user) signIn(t *testing.T, browser context.Context) {
	t.Helper()
	u.tab = tab(t, browser)
	link, err := u.client.UILink(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(u.tab, chromedp.Navigate(link.URL)); err != nil {
		t.Fatalf("%s: open link: %v", u.name, err)
	}
	u.waitJS(t, `document.body.dataset.ready === 'true'`)
	if got := eval[string](t, u, `location.href`); got != "http://"+u.addr+"/" {
		t.Errorf("%s: after sign-in the address bar shows %s, want the code gone", u.name, got)
	}
	u.link = link.URL
}

// waitJS waits until expr is truthy in the user's page. A navigation
// (a reload the page does itself) ends a poll early; it then polls the
// new document, within the same deadline.
func (u *user) waitJS(t *testing.T, expr string) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		left := max(time.Until(deadline), time.Millisecond) // 0 would mean no timeout
		_, err := chromedp.Run(u.tab, chromedp.Poll[chromedp.Void](expr,
			chromedp.WithPollingInterval(25*time.Millisecond), chromedp.WithPollingTimeout(left)))
		if err == nil {
			return
		}
		navigated := strings.Contains(err.Error(), "navigated") || strings.Contains(err.Error(), "Cannot find context")
		if !navigated || time.Now().After(deadline) {
			t.Fatalf("%s: waiting for %s: %v\npage: %s", u.name, expr, err, u.text(t))
		}
	}
}

// eval evaluates expr in the user's page.
func eval[T any](t *testing.T, u *user, expr string) T {
	t.Helper()
	v, err := chromedp.Run(u.tab, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: eval %s: %v", u.name, expr, err)
	}
	return v
}

// evalVoid evaluates expr in the user's page for its effect.
func evalVoid(u *user, expr string) error {
	return chromedp.Do(u.tab, chromedp.Evaluate[chromedp.Void](expr))
}

// text is the page's visible text, for failure messages.
func (u *user) text(t *testing.T) string {
	ctx, cancel := context.WithTimeout(u.tab, 2*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		return fmt.Sprintf("(no text: %v)", err)
	}
	return s
}

// click clicks the first element matching css once it is visible.
func (u *user) click(t *testing.T, css string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(u.tab, waitFor)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(css))); err != nil {
		t.Fatalf("%s: click %s: %v\npage: %s", u.name, css, err, u.text(t))
	}
}

// typeText types text into the element matching css.
func (u *user) typeText(t *testing.T, css, text string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(u.tab, waitFor)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(css)), chromedp.SendKeys(chromedp.CSS(css), text)); err != nil {
		t.Fatalf("%s: type into %s: %v", u.name, css, err)
	}
}

// enter presses Enter (with shift when asked) in the focused element, as
// a keyboard does: a key down the page may cancel, then the key up.
func (u *user) enter(t *testing.T, shift bool) {
	t.Helper()
	var mods int64
	if shift {
		mods = 8 // Shift in the protocol's bit field
	}
	err := chromedp.Do(u.tab, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeChar, input.DispatchKeyEventTypeKeyUp} {
			p := input.DispatchKeyEventParams{Type: typ, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13, Modifiers: mods}
			if typ == input.DispatchKeyEventTypeChar {
				p.Text = "\r"
			}
			if _, err := cdp.Call(ctx, tg, input.DispatchKeyEvent, p); err != nil {
				return err
			}
		}
		return nil
	}))
	if err != nil {
		t.Fatalf("%s: press Enter: %v", u.name, err)
	}
}

// screenshot writes the page at width×height to screenshots/name.png.
func (u *user) screenshot(t *testing.T, name string, width, height int64) {
	t.Helper()
	if err := chromedp.Do(u.tab, chromedp.EmulateViewport(width, height)); err != nil {
		t.Fatal(err)
	}
	buf, err := chromedp.Run(u.tab, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll("screenshots", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("screenshots", fmt.Sprintf("%s-%d.png", name, width)), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

// js quotes s as a JavaScript string literal.
func js(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err) // a string always encodes
	}
	return string(b)
}
