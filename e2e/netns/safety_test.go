package netns

import (
	"os"
	"path/filepath"
	"testing"
)

// No daemon of the suite can reach the real public IPFS network: the
// configs its tests write keep the public rendezvous off (or point it at
// stand-ins), and daemon.start refuses a home that would not. This test
// needs no root.
func TestSuiteStaysOffThePublicNetwork(t *testing.T) {
	for name, cfg := range map[string]string{"homeConfig": homeConfig, "lanConfig": lanConfig, "rendezvousConfig": rendezvousConfig([]string{"/ip4/7.0.0.100/tcp/4001/p2p/12D3KooWPDDegm63JkTESNwiBARWTcWv9cSd9N1oGgydttPqfY86"}, true)} {
		home := t.TempDir()
		if err := os.WriteFile(filepath.Join(home, "config.toml"), []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := offThePublicNetwork(home, nil); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := offThePublicNetwork(t.TempDir(), []string{"--profile", "server"}); err != nil {
		t.Errorf("an empty server home: %v", err)
	}
	// The guard can fail: an empty home of the default profile, or a
	// config that names the default profile and nothing else.
	if err := offThePublicNetwork(t.TempDir(), nil); err == nil {
		t.Error("an empty home with the default profile passed the guard")
	}
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, "config.toml"), []byte("profile = \"default\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := offThePublicNetwork(home, nil); err == nil {
		t.Error("a default config passed the guard")
	}
}
