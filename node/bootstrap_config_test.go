package node_test

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/parley-im/parley/node"
)

const (
	peerA = "12D3KooWPDDegm63JkTESNwiBARWTcWv9cSd9N1oGgydttPqfY86"
	peerB = "12D3KooWQ6j32pirhmLfk81xigfnMusBSWVGR8YpYMqzVNKz2HkD"
	// Documentation addresses (TEST-NET-2): parsed, never dialed.
	addrA1 = "/ip4/198.51.100.7/tcp/4001/p2p/" + peerA
	addrA2 = "/ip4/198.51.100.7/udp/4001/quic-v1/p2p/" + peerA
	addrB  = "/ip4/198.51.100.8/tcp/4001/p2p/" + peerB
)

func initHome(t *testing.T, profile string) node.Home {
	t.Helper()
	home := node.Home{Dir: t.TempDir()}
	if _, err := node.Init(home, profile, nil); err != nil {
		t.Fatal(err)
	}
	return home
}

func TestAddBootstrapToConfig(t *testing.T) {
	home := initHome(t, node.ProfileDefault)
	path := home.ConfigPath()
	// A hand-written file: only the keys it has are written back.
	hand := "profile = \"default\"\n\n[api]\n  listen = \"127.0.0.1:7171\"\n"
	if err := os.WriteFile(path, []byte(hand), 0o600); err != nil {
		t.Fatal(err)
	}

	list, added, err := node.AddBootstrapToConfig(path, []string{addrA1, addrA2})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || len(added) != 2 {
		t.Fatalf("list %q added %q, want both", list, added)
	}
	// Same address in another spelling: already there.
	_, added, err = node.AddBootstrapToConfig(path, []string{strings.Replace(addrA1, "/p2p/", "/ipfs/", 1), addrB})
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 1 || added[0] != addrB {
		t.Errorf("added %q, want only %s", added, addrB)
	}

	cfg, err := node.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.API.Listen != "127.0.0.1:7171" || len(cfg.Network.Bootstrap) != 3 {
		t.Errorf("config after edits: api %s, bootstrap %q", cfg.API.Listen, cfg.Network.Bootstrap)
	}
	data, _ := os.ReadFile(path)
	if bytes.Contains(data, []byte("mdns")) {
		t.Errorf("the edit wrote keys the file did not have:\n%s", data)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
}

func TestAddBootstrapToConfigBadAddress(t *testing.T) {
	home := initHome(t, node.ProfileDefault)
	path := home.ConfigPath()
	before, _ := os.ReadFile(path)
	for _, tc := range []struct{ addr, want string }{
		{"/ip4/198.51.100.7/tcp/4001", "/p2p/"},
		{"/ip4/300.1.1.1/tcp/4001/p2p/" + peerA, "300.1.1.1"},
		{"bootstrap.example.com:4001", "bootstrap.example.com:4001"},
		{"/ip4/198.51.100.7/tcp/4001/p2p/nope", "nope"},
	} {
		_, _, err := node.AddBootstrapToConfig(path, []string{addrA1, tc.addr})
		if !errors.Is(err, node.ErrBadAddr) || !strings.Contains(err.Error(), tc.addr) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("add %q: %v, want ErrBadAddr naming it (and %q)", tc.addr, err, tc.want)
		}
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("a failed add changed the file")
	}
}

func TestRemoveBootstrapFromConfig(t *testing.T) {
	home := initHome(t, node.ProfileDefault)
	path := home.ConfigPath()
	if _, _, err := node.AddBootstrapToConfig(path, []string{addrA1, addrA2, addrB}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	if _, _, err := node.RemoveBootstrapFromConfig(path, []string{addrB, "/ip4/198.51.100.9/tcp/1/p2p/" + peerB}); !errors.Is(err, node.ErrNotBootstrap) {
		t.Errorf("remove a missing entry: %v, want ErrNotBootstrap", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("a failed remove changed the file")
	}
	list, removed, err := node.RemoveBootstrapFromConfig(path, []string{peerA})
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 2 || len(list) != 1 || list[0] != addrB {
		t.Errorf("remove by peer id: removed %q, left %q", removed, list)
	}
	list, _, err = node.RemoveBootstrapFromConfig(path, []string{addrB})
	if err != nil || len(list) != 0 {
		t.Errorf("remove by address: %q, %v", list, err)
	}
	if _, _, err := node.RemoveBootstrapFromConfig(path, []string{"junk"}); !errors.Is(err, node.ErrBadAddr) {
		t.Errorf("remove junk: %v, want ErrBadAddr", err)
	}
}

func TestNetworkConfigValidation(t *testing.T) {
	for _, tc := range []struct{ toml, key string }{
		{"[network]\nreachability = \"sometimes\"\n", "network.reachability"},
		{"[network]\nrelay_search_interval = \"1ms\"\n", "network.relay_search_interval"},
		{"[network]\nrelays = [\"/ip4/198.51.100.7/tcp/4001\"]\n", "network.relays"},
		{"[network]\nbootstrap = [\"/ip4/198.51.100.7/tcp/4001\"]\n", "network.bootstrap"},
		{"[relay]\nmax_reservations = 0\n", "relay.max_reservations"},
		{"[relay]\ncircuit_duration = \"10ms\"\n", "relay.circuit_duration"},
	} {
		_, err := node.ParseConfig([]byte(tc.toml), "config.toml")
		if !errors.Is(err, node.ErrBadConfig) || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%q: %v, want ErrBadConfig naming %s", tc.toml, err, tc.key)
		}
	}
	srv, err := node.ProfileConfig(node.ProfileServer)
	if err != nil {
		t.Fatal(err)
	}
	if srv.Network.Reachability != node.ReachabilityPublic || !srv.Network.RelayService || srv.Network.DHTMode != node.DHTServer {
		t.Errorf("server profile: %+v", srv.Network)
	}
	def, _ := node.ProfileConfig(node.ProfileDefault)
	if def.Network.Reachability != node.ReachabilityAuto || !def.Network.AutoRelay || !def.Network.HolePunching || !def.Network.NATPortMap {
		t.Errorf("default profile: %+v", def.Network)
	}
}

func TestParseBootstrapMergesPeers(t *testing.T) {
	infos, err := node.ParseBootstrap([]string{addrA1, addrB, addrA2})
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 2 || infos[0].ID.String() != peerA || len(infos[0].Addrs) != 2 || len(infos[1].Addrs) != 1 {
		t.Errorf("ParseBootstrap = %v, want peer A with 2 addresses, then B", infos)
	}
}

// bootstrap add and rm keep config.toml's comments and order: only the
// bootstrap value changes.
func TestBootstrapEditKeepsCommentsAndOrder(t *testing.T) {
	home := initHome(t, node.ProfileDefault)
	path := home.ConfigPath()
	hand := "# my node\nprofile = \"default\"\n\n[network]\n# peers I trust\nbootstrap = [\n  \"" + addrA1 + "\", # the first\n]\nmdns = false # not on this LAN\n\n[log]\nlevel = \"warn\"\n"
	if err := os.WriteFile(path, []byte(hand), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := node.AddBootstrapToConfig(path, []string{addrB}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	want := "# my node\nprofile = \"default\"\n\n[network]\n# peers I trust\nbootstrap = [\n  \"" + addrA1 + "\",\n  \"" + addrB + "\",\n]\nmdns = false # not on this LAN\n\n[log]\nlevel = \"warn\"\n"
	if string(data) != want {
		t.Errorf("after add:\n%s\nwant:\n%s", data, want)
	}
	if _, _, err := node.RemoveBootstrapFromConfig(path, []string{addrA1, addrB}); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(path)
	if want := strings.Replace(want, "[\n  \""+addrA1+"\",\n  \""+addrB+"\",\n]", "[]", 1); string(data) != want {
		t.Errorf("after rm:\n%s\nwant:\n%s", data, want)
	}
	// A file without the key gets it at the top of [network], or a
	// [network] table at the end.
	for _, tc := range []struct{ in, want string }{
		{"profile = \"default\"\n[network]\nmdns = false\n", "profile = \"default\"\n[network]\nbootstrap = [\n  \"" + addrB + "\",\n]\nmdns = false\n"},
		{"profile = \"default\" # mine\n", "profile = \"default\" # mine\n\n[network]\nbootstrap = [\n  \"" + addrB + "\",\n]\n"},
	} {
		if err := os.WriteFile(path, []byte(tc.in), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := node.AddBootstrapToConfig(path, []string{addrB}); err != nil {
			t.Fatal(err)
		}
		if data, _ := os.ReadFile(path); string(data) != tc.want {
			t.Errorf("add to %q:\n%s\nwant:\n%s", tc.in, data, tc.want)
		}
	}
}
