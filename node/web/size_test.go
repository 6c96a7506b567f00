package web_test

import (
	"io/fs"
	"testing"

	"github.com/parley-im/parley/node/web"
)

// TestPayloadSize holds the whole page, every file of it, under
// MaxPayload, and checks that it has what index.html loads.
func TestPayloadSize(t *testing.T) {
	var total int64
	err := fs.WalkDir(web.Files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		total += info.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("page payload: %d bytes (cap %d)", total, web.MaxPayload)
	if total > web.MaxPayload {
		t.Errorf("page payload is %d bytes, over the cap of %d", total, web.MaxPayload)
	}
	for _, name := range []string{"index.html", "app.css", "app.js"} {
		if _, err := fs.Stat(web.Files, name); err != nil {
			t.Errorf("page lacks %s: %v", name, err)
		}
	}
}
