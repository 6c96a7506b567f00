package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// qrCodes checks the page's QR encoder against codes in testdata that a
// reader decoded to their text (zbarimg, when they were made): "hi"
// (version 1), a peer ID (version 4, two blocks) and 170 bytes (version
// 9, blocks of two sizes and the version field).
func qrCodes(t *testing.T, u *user) {
	t.Helper()
	for name, text := range map[string]string{
		"hi":   "hi",
		"peer": "12D3KooWPDDegm63JkTESNwiBARWTcWv9cSd9N1oGgydttPqfY86",
		"long": strings.Repeat("y", 170),
	} {
		want, err := os.ReadFile(filepath.Join("testdata", "qr-"+name+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(u.tab, chromedp.Evaluate[string](
			`import('/ui/qr.js').then(m => m.qrMatrix(`+js(text)+`).map(r => r.map(d => d ? '#' : '.').join('')).join('\n') + '\n')`,
			chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("qr %s: %v", name, err)
		}
		if got != string(want) {
			t.Errorf("QR code of %s differs from testdata/qr-%s.txt:\n%s", name, name, got)
		}
	}
	// The node panel draws the peer ID's code.
	u.click(t, "#tab-node")
	u.waitJS(t, `document.querySelector('canvas.qr') && document.querySelector('canvas.qr').width === (33 + 8) * 5`)
}
