package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// parley runs the CLI in-process and returns the exit code, stdout and
// stderr.
func parley(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// The bootstrap commands edit config.toml without a daemon, and refuse a
// bad address with an error that names it, writing nothing.
func TestBootstrapCommandsWithoutDaemon(t *testing.T) {
	const (
		peerA = "12D3KooWPDDegm63JkTESNwiBARWTcWv9cSd9N1oGgydttPqfY86"
		tcpA  = "/ip4/198.51.100.7/tcp/4001/p2p/" + peerA // TEST-NET-2: never dialed
		quicA = "/ip4/198.51.100.7/udp/4001/quic-v1/p2p/" + peerA
	)
	home := t.TempDir()
	if code, _, stderr := parley(t, "--home", home, "bootstrap", "list"); code == 0 || !strings.Contains(stderr, "parley --home "+home+" init") {
		t.Errorf("list on an empty home: exit %d, %q; want a hint to init", code, stderr)
	}
	if code, _, stderr := parley(t, "--home", home, "init", "--profile", "local"); code != 0 {
		t.Fatalf("init: %s", stderr)
	}
	config := filepath.Join(home, "config.toml")
	before, _ := os.ReadFile(config)

	for _, bad := range []string{"/ip4/198.51.100.7/tcp/4001", "198.51.100.7:4001", "/ip4/198.51.100.7/tcp/4001/p2p/bogus"} {
		code, _, stderr := parley(t, "--home", home, "bootstrap", "add", tcpA, bad)
		if code == 0 || !strings.Contains(stderr, bad) {
			t.Errorf("add %q: exit %d, stderr %q; want an error naming it", bad, code, stderr)
		}
	}
	if _, _, stderr := parley(t, "--home", home, "bootstrap", "add", "/ip4/198.51.100.7/tcp/4001"); !strings.Contains(stderr, "/p2p/") {
		t.Errorf("an address without /p2p/: %q, want a hint about /p2p/", stderr)
	}
	if after, _ := os.ReadFile(config); !bytes.Equal(before, after) {
		t.Fatal("a refused add changed config.toml")
	}

	code, stdout, stderr := parley(t, "--home", home, "--json", "bootstrap", "add", tcpA, quicA)
	if code != 0 {
		t.Fatalf("add: %s", stderr)
	}
	var res bootstrapResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	if res.Daemon != "not running" || len(res.Added) != 2 || len(res.Bootstrap) != 2 || res.Config != config {
		t.Errorf("add: %+v", res)
	}
	code, stdout, _ = parley(t, "--home", home, "bootstrap", "add", tcpA)
	if code != 0 || !strings.Contains(stdout, "already listed") {
		t.Errorf("add again: exit %d, %q", code, stdout)
	}

	code, stdout, _ = parley(t, "--home", home, "--json", "bootstrap", "list")
	var list bootstrapList
	if err := json.Unmarshal([]byte(stdout), &list); code != 0 || err != nil {
		t.Fatalf("list: exit %d, %v", code, err)
	}
	if list.DaemonRunning || len(list.Bootstrap) != 2 || list.Bootstrap[0].PeerID != peerA || list.Bootstrap[0].Status != nil {
		t.Errorf("list: %+v", list)
	}
	if code, stdout, _ = parley(t, "--home", home, "bootstrap", "list"); code != 0 || !strings.Contains(stdout, tcpA) || !strings.Contains(stdout, "no daemon running") {
		t.Errorf("list: exit %d\n%s", code, stdout)
	}

	code, stdout, _ = parley(t, "--home", home, "--json", "bootstrap", "rm", peerA)
	res = bootstrapResult{}
	if err := json.Unmarshal([]byte(stdout), &res); code != 0 || err != nil || len(res.Removed) != 2 || len(res.Bootstrap) != 0 {
		t.Errorf("rm by peer id: exit %d, %+v, %v", code, res, err)
	}
	if code, _, stderr = parley(t, "--home", home, "bootstrap", "rm", peerA); code == 0 || !strings.Contains(stderr, "not in network.bootstrap") {
		t.Errorf("rm again: exit %d, %q", code, stderr)
	}
}
