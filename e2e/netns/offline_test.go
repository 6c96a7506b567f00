package netns

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestStartsOffline: a laptop with its network off (loopback only, no
// interface that carries mDNS) starts its default-profile node all the
// same, and finds the node on the LAN it joins later. The daemon used to
// exit with "mdns: no supported interface".
func TestStartsOffline(t *testing.T) {
	requireNetns(t)
	t.Parallel()
	l := newLab(t)
	laptopNS := l.ns("laptop")
	laptop := startDaemon(t, laptopNS, "laptop", lanHome(t, laptopNS))
	if laptop.logCount("mdns: not started") != 1 {
		t.Errorf("the log does not say once that mDNS did not start")
	}

	sw := l.ns("lan")
	l.bridge(sw, "br0")
	deskNS := l.ns("desk")
	l.port(sw, "br0", deskNS, "eth0", "10.78.0.2/24")
	desk := startDaemon(t, deskNS, "desk", lanHome(t, deskNS))
	start := time.Now()
	l.port(sw, "br0", laptopNS, "eth0", "10.78.0.1/24") // the laptop joins the LAN
	waitConnected(t, laptop, desk.peerID(), desk.name, 45*time.Second)
	t.Logf("offline start: the laptop found the desk %s after joining the LAN", time.Since(start).Round(time.Millisecond))
}

// lanHome makes a default-profile home with the public rendezvous off
// (lanConfig), initialized in ns.
func lanHome(t *testing.T, ns string) string {
	t.Helper()
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, "config.toml"), []byte(lanConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := runCLI(ns, home, "init"); err != nil {
		t.Fatalf("parley init: %v\n%s", err, out)
	}
	return home
}
