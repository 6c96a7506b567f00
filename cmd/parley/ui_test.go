package main

import (
	"bytes"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/parley-im/parley/node"
)

// TestUICommand: parley ui prints a one-time link that signs a page in,
// and parley ui --revoke ends that session.
func TestUICommand(t *testing.T) {
	home, _ := daemonHome(t)
	code, stdout, stderr := parley(t, "--home", home, "ui", "--no-open")
	if code != 0 {
		t.Fatalf("parley ui: exit %d: %s", code, stderr)
	}
	link, err := url.Parse(strings.Fields(stdout)[0])
	if err != nil || !strings.HasPrefix(link.Fragment, "code=") || !strings.Contains(stdout, "one minute") {
		t.Fatalf("parley ui printed %q: want a link with #code= and its lifetime", stdout)
	}
	body, _ := json.Marshal(map[string]string{"code": strings.TrimPrefix(link.Fragment, "code=")})
	resp, err := http.Post("http://"+link.Host+"/v1/ui/sessions", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Data struct{ Token string } `json:"data"`
	}
	err = json.NewDecoder(resp.Body).Decode(&env)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || env.Data.Token == "" {
		t.Fatalf("trading the link's code: HTTP %d, %v", resp.StatusCode, err)
	}
	nodeStatus := func() int {
		req, _ := http.NewRequest(http.MethodGet, "http://"+link.Host+"/v1/node", nil)
		req.Header.Set("Authorization", "Bearer "+env.Data.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := nodeStatus(); got != http.StatusOK {
		t.Fatalf("the page session before --revoke: HTTP %d", got)
	}
	code, stdout, stderr = parley(t, "--home", home, "ui", "--revoke")
	if code != 0 || !strings.Contains(stdout, "ended 1 page session") {
		t.Fatalf("parley ui --revoke: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if got := nodeStatus(); got != http.StatusUnauthorized {
		t.Errorf("the page session after --revoke: HTTP %d, want 401", got)
	}
}

// The page handed to the opener forwards to the link, and only its owner
// can read it.
func TestUIOpenPage(t *testing.T) {
	home := node.Home{Dir: t.TempDir()}
	link := "http://127.0.0.1:7070/#code=abc&x=<y>"
	for range 2 { // the second call replaces the first page
		path, err := writeOpenPage(home, link)
		if err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %o, want 600", path, perm)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if want := `content="0;url=` + html.EscapeString(link) + `"`; !strings.Contains(string(b), want) {
			t.Errorf("page %q does not forward with %s", b, want)
		}
	}
}
