package netns

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// lanConfig is the default profile without the public rendezvous, which
// would reach for the real public IPFS network.
const lanConfig = "profile = \"default\"\n\n[network]\n  public_rendezvous = false\n"

// TestLAN: three personal nodes on one LAN (a bridge), default profile,
// homes with nothing configured but the public rendezvous off. They find each other by mDNS, befriend
// each other and exchange direct messages.
func TestLAN(t *testing.T) {
	requireNetns(t)
	t.Parallel()
	start := time.Now()
	l := newLab(t)
	sw := l.ns("lan")
	l.bridge(sw, "br0")

	nodes := make([]*daemon, 3)
	for i := range nodes {
		name := fmt.Sprintf("n%d", i+1)
		ns := l.ns(name)
		l.port(sw, "br0", ns, "eth0", fmt.Sprintf("10.77.0.%d/24", i+1))
		// A home with only lanConfig: the default profile (mDNS, NAT
		// mapping, hole punching, AutoRelay), API on 127.0.0.1:7070
		// inside the namespace.
		home := t.TempDir()
		if err := os.WriteFile(filepath.Join(home, "config.toml"), []byte(lanConfig), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := runCLI(ns, home, "init"); err != nil {
			t.Fatalf("parley init: %v\n%s", err, out)
		}
		nodes[i] = startDaemon(t, ns, name, home)
	}

	for i, a := range nodes {
		for _, b := range nodes[i+1:] {
			waitConnected(t, a, b.peerID(), b.name, 30*time.Second)
			waitConnected(t, b, a.peerID(), a.name, 30*time.Second)
			if path, addr := connection(a, b.peerID()); path != "direct" {
				t.Errorf("%s–%s: %s connection via %s, want a direct one on the LAN", a.name, b.name, path, addr)
			}
		}
	}
	t.Logf("mDNS: all three connected after %s", time.Since(start).Round(time.Millisecond))

	for i, a := range nodes {
		for _, b := range nodes[i+1:] {
			befriend(t, a, b, 30*time.Second)
		}
	}
	for _, a := range nodes {
		for _, b := range nodes {
			if a != b {
				sendDM(t, a, b, fmt.Sprintf("hi %s, %s here", b.name, a.name), 30*time.Second)
			}
		}
	}
	t.Logf("LAN: mDNS discovery, 3 friendships and 6 DMs in %s", time.Since(start).Round(time.Millisecond))
}
