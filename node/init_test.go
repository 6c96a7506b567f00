package node_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/parley-im/parley/node"
	"github.com/parley-im/parley/storage"
)

// A home whose identity.key is gone but whose database is still there is
// not given a new identity: the old contacts and history would belong to
// another peer ID. Init refuses, says what to do, and writes no key.
func TestInitRefusesNewKeyOverOldDatabase(t *testing.T) {
	t.Parallel()
	home := node.Home{Dir: t.TempDir()}
	if _, err := node.Init(home, node.ProfileLocal, nil); err != nil {
		t.Fatal(err)
	}
	db, err := storage.Open(home.DBPath(), storage.Options{GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(home.KeyPath()); err != nil {
		t.Fatal(err)
	}
	_, err = node.Init(home, node.ProfileLocal, nil)
	if !errors.Is(err, node.ErrKeyMissing) {
		t.Fatalf("Init without its key over a database: %v, want ErrKeyMissing", err)
	}
	for _, hint := range []string{"identity.key back", "move " + home.DBPath() + " away"} {
		if !strings.Contains(err.Error(), hint) {
			t.Errorf("error %q does not say %q", err, hint)
		}
	}
	if _, err := os.Stat(home.KeyPath()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Init wrote a key after refusing: %v", err)
	}
	if err := home.CheckKeyForDatabase(); !errors.Is(err, node.ErrKeyMissing) {
		t.Errorf("CheckKeyForDatabase: %v, want ErrKeyMissing", err)
	}

	// Without a database there is nothing to lose: a new key is made.
	fresh := node.Home{Dir: t.TempDir()}
	if res, err := node.Init(fresh, node.ProfileLocal, nil); err != nil || !res.CreatedKey {
		t.Fatalf("Init on an empty home: %+v, %v", res, err)
	}
}

// An emptied config.toml keeps the profile the home was made with: a local
// home stays on loopback without mDNS or port mapping.
func TestEmptyConfigKeepsTheHomesProfile(t *testing.T) {
	t.Parallel()
	home := node.Home{Dir: t.TempDir()}
	if _, err := node.Init(home, node.ProfileLocal, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(home.ConfigPath(), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := node.LoadConfig(home.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	want, _ := node.ProfileConfig(node.ProfileLocal)
	if cfg.Profile != node.ProfileLocal || cfg.Network.MDNS || cfg.Network.NATPortMap || !strings.HasPrefix(cfg.Network.Listen[0], "/ip4/127.0.0.1/") {
		t.Fatalf("empty config of a local home: profile %q, mdns %v, port map %v, listen %v; want %+v",
			cfg.Profile, cfg.Network.MDNS, cfg.Network.NATPortMap, cfg.Network.Listen, want.Network)
	}
	// Init on it again reports the profile it kept.
	if res, err := node.Init(home, node.ProfileDefault, nil); err != nil || res.Profile != node.ProfileLocal {
		t.Fatalf("Init again: %+v, %v; want profile local", res, err)
	}
	// Editing bootstrap peers keeps it too.
	const peerA = "/ip4/198.51.100.7/tcp/4001/p2p/12D3KooWPDDegm63JkTESNwiBARWTcWv9cSd9N1oGgydttPqfY86"
	if _, _, err := node.AddBootstrapToConfig(home.ConfigPath(), []string{peerA}); err != nil {
		t.Fatal(err)
	}
	if cfg, err := node.LoadConfig(home.ConfigPath()); err != nil || cfg.Profile != node.ProfileLocal {
		t.Fatalf("after bootstrap add: profile %q, %v", cfg.Profile, err)
	}
}

// A home whose config.toml is gone keeps the profile it was made with:
// Init (which the daemon runs on a home without a config) writes the
// recorded profile's config, not the one it was asked for, so a deleted
// config of a local home never turns into the default profile (every
// interface, mDNS, port mapping).
func TestMissingConfigKeepsTheHomesProfile(t *testing.T) {
	t.Parallel()
	home := node.Home{Dir: t.TempDir()}
	if _, err := node.Init(home, node.ProfileLocal, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(home.ConfigPath()); err != nil {
		t.Fatal(err)
	}
	res, err := node.Init(home, node.ProfileDefault, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := node.LoadConfig(home.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	if res.Profile != node.ProfileLocal || cfg.Profile != node.ProfileLocal || cfg.Network.MDNS || !strings.HasPrefix(cfg.Network.Listen[0], "/ip4/127.0.0.1/") {
		t.Fatalf("config rewritten for a local home: reported %q, wrote profile %q, mdns %v, listen %v; want local",
			res.Profile, cfg.Profile, cfg.Network.MDNS, cfg.Network.Listen)
	}
}

// A config that names no profile, in a home with no record of one (made
// before homes kept it), is an error that says what to add, never the
// default profile in silence.
func TestConfigWithoutProfileNeedsOne(t *testing.T) {
	t.Parallel()
	home := node.Home{Dir: t.TempDir()}
	if err := os.WriteFile(home.ConfigPath(), []byte("[log]\nlevel = \"warn\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := node.LoadConfig(home.ConfigPath())
	if !errors.Is(err, node.ErrBadConfig) || !strings.Contains(err.Error(), `add profile = "local"`) {
		t.Fatalf("LoadConfig: %v; want ErrBadConfig saying to add a profile", err)
	}
}

// A local home keeps the ports it picked at init: one free port for TCP
// and QUIC, written into config.toml.
func TestLocalHomeKeepsItsPorts(t *testing.T) {
	t.Parallel()
	home := node.Home{Dir: t.TempDir()}
	if _, err := node.Init(home, node.ProfileLocal, nil); err != nil {
		t.Fatal(err)
	}
	cfg, err := node.LoadConfig(home.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Network.Listen) != 2 {
		t.Fatalf("listen %v", cfg.Network.Listen)
	}
	tcp, quic := cfg.Network.Listen[0], cfg.Network.Listen[1]
	port := strings.TrimPrefix(tcp, "/ip4/127.0.0.1/tcp/")
	if port == tcp || port == "0" || quic != "/ip4/127.0.0.1/udp/"+port+"/quic-v1" {
		t.Errorf("local listen addresses %v: want one fixed port for tcp and quic", cfg.Network.Listen)
	}
}
