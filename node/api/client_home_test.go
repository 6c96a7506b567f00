package api_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/parley-im/parley/node"
	"github.com/parley-im/parley/node/api"
)

// After kill -9 the api file stays and may point at another program's
// server; with no daemon holding the home's lock the client says no daemon
// runs, as when the file is missing. While a daemon holds the lock, the
// file is trusted.
func TestClientForHomeStaleAPIFile(t *testing.T) {
	home := node.Home{Dir: t.TempDir()}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "not parley", http.StatusUnauthorized)
	}))
	t.Cleanup(other.Close)
	addr := other.Listener.Addr().String()
	if err := home.WriteAPIAddr(addr); err != nil {
		t.Fatal(err)
	}
	if _, err := home.LoadOrCreateToken(); err != nil {
		t.Fatal(err)
	}
	// The lock file as a killed daemon leaves it: present, held by no one.
	if err := os.WriteFile(home.LockPath(), []byte("4242\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	_, err := api.ClientForHome(home)
	if !errors.Is(err, api.ErrNoDaemon) || !strings.Contains(err.Error(), "parley --home "+home.Dir+" daemon") {
		t.Fatalf("ClientForHome with a stale api file: %v, want ErrNoDaemon saying how to start one", err)
	}
	if err := os.Remove(home.APIPath()); err != nil {
		t.Fatal(err)
	}
	_, missing := api.ClientForHome(home)
	if err.Error() != missing.Error() {
		t.Errorf("stale api file: %q\nmissing api file: %q\nwant the same message", err, missing)
	}

	if err := home.WriteAPIAddr(addr); err != nil {
		t.Fatal(err)
	}
	lock, err := home.Lock()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lock.Unlock(); err != nil {
			t.Error(err)
		}
	})
	c, err := api.ClientForHome(home)
	if err != nil || c.Addr() != addr {
		t.Fatalf("ClientForHome with the lock held: %v, %v; want a client for %s", c, err, addr)
	}
}
