package node_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/node"
)

var profiles = []string{node.ProfileDefault, node.ProfileServer, node.ProfileLocal}

// Every profile's config is valid as it is, and survives a trip through
// config.toml unchanged.
func TestProfileConfigsAreValidAndRoundTrip(t *testing.T) {
	t.Parallel()
	for _, profile := range profiles {
		t.Run(profile, func(t *testing.T) {
			t.Parallel()
			cfg, err := node.ProfileConfig(profile)
			if err != nil {
				t.Fatal(err)
			}
			if err := cfg.Validate(); err != nil {
				t.Fatalf("the %s profile's own config is invalid: %v", profile, err)
			}
			if cfg.Profile != profile {
				t.Errorf("Profile = %q, want %q", cfg.Profile, profile)
			}
			path := filepath.Join(t.TempDir(), "config.toml")
			if err := node.WriteConfig(path, cfg); err != nil {
				t.Fatal(err)
			}
			got, err := node.LoadConfig(path)
			if err != nil {
				t.Fatalf("load what WriteConfig wrote: %v", err)
			}
			if !reflect.DeepEqual(got, cfg) {
				t.Errorf("round trip changed the config:\nwrote %+v\nread  %+v", cfg, got)
			}
			if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("config file mode: %v, %v; want 0600", st.Mode().Perm(), err)
			}
		})
	}
}

// The local profile is what tests and two-nodes-on-one-machine rely on:
// loopback only, nothing that reaches past this machine.
func TestLocalProfileStaysOnLoopback(t *testing.T) {
	t.Parallel()
	cfg, err := node.ProfileConfig(node.ProfileLocal)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range cfg.Network.Listen {
		if !strings.HasPrefix(a, "/ip4/127.0.0.1/") {
			t.Errorf("local profile listens on %s, want 127.0.0.1 only", a)
		}
	}
	n := cfg.Network
	if n.MDNS || n.NATPortMap || n.RelayService || n.DualDHT || len(n.Bootstrap) > 0 || len(n.Relays) > 0 {
		t.Errorf("local profile network = %+v; want no mDNS, port mapping, relay service, dual DHT, bootstrap or relays", n)
	}
	if cfg.API.Listen != "127.0.0.1:0" {
		t.Errorf("local profile api.listen = %q, want 127.0.0.1:0", cfg.API.Listen)
	}
}

// A config with non-default values in every section comes back as it was
// written, and WriteConfig never replaces an existing file.
func TestWriteConfigParseConfigRoundTrip(t *testing.T) {
	t.Parallel()
	cfg, err := node.ProfileConfig(node.ProfileLocal)
	if err != nil {
		t.Fatal(err)
	}
	cfg.API.Listen = "[::1]:7171"
	cfg.Network.Listen = []string{"/ip4/127.0.0.1/tcp/4123", "/ip6/::1/udp/4123/quic-v1"}
	cfg.Network.Bootstrap = []string{addrA1, addrA2}
	cfg.Network.Relays = []string{addrB}
	cfg.Network.Reachability = node.ReachabilityPrivate
	cfg.Network.DHTMode = node.DHTClient
	cfg.Network.ConnLow, cfg.Network.ConnHigh = 5, 5
	cfg.Network.HolePunching = true
	cfg.Relay.ReservationTTL = node.Duration(90 * time.Minute)
	cfg.Storage.GCInterval = node.Duration(90 * time.Second)
	cfg.Storage.SyncWrites = true
	cfg.Presence.TTL = node.Duration(2 * time.Minute)
	cfg.Log.Level = "debug"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(t.TempDir(), "config.toml")
	if err := node.WriteConfig(path, cfg); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := node.ParseConfig(data, path)
	if err != nil {
		t.Fatalf("ParseConfig of WriteConfig's output: %v\n%s", err, data)
	}
	if !reflect.DeepEqual(got, cfg) {
		t.Errorf("round trip changed the config:\nwrote %+v\nread  %+v\nfile:\n%s", cfg, got, data)
	}
	if !strings.Contains(string(data), `"1m30s"`) {
		t.Errorf("durations are not written as Go durations:\n%s", data)
	}

	other, _ := node.ProfileConfig(node.ProfileDefault)
	if err := node.WriteConfig(path, other); err == nil {
		t.Error("WriteConfig replaced an existing config")
	}
	if after, _ := os.ReadFile(path); string(after) != string(data) {
		t.Error("a refused WriteConfig changed the file")
	}
}

// Keys left out take the defaults of the profile the file names; an empty
// file is the default profile.
func TestParseConfigFillsProfileDefaults(t *testing.T) {
	t.Parallel()
	got, err := node.ParseConfig([]byte("profile = \"local\"\n\n[log]\nlevel = \"warn\"\n"), "config.toml")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := node.ProfileConfig(node.ProfileLocal)
	want.Log.Level = "warn"
	if !reflect.DeepEqual(got, want) {
		t.Errorf("partial local config:\ngot  %+v\nwant %+v", got, want)
	}

	got, err = node.ParseConfig(nil, "config.toml")
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := node.ProfileConfig(node.ProfileDefault); !reflect.DeepEqual(got, want) {
		t.Errorf("empty config:\ngot  %+v\nwant the default profile %+v", got, want)
	}
}

// An unknown key (a typo) stops the daemon with a message naming the key
// and the file, rather than being ignored.
func TestParseConfigRefusesUnknownKeys(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ toml, key string }{
		{"[network]\nmdsn = true\n", "network.mdsn"},
		{"[netwrok]\nmdns = true\n", "netwrok"},
		{"profile = \"local\"\n[api]\nlisten = \"127.0.0.1:0\"\ntoken = \"x\"\n", "api.token"},
		{"loglevel = \"debug\"\n", "loglevel"},
		{"[presence]\nttl = \"1h\"\nttl_jitter = \"1m\"\n", "presence.ttl_jitter"},
	} {
		_, err := node.ParseConfig([]byte(tc.toml), "/home/x/config.toml")
		if !errors.Is(err, node.ErrBadConfig) || !strings.Contains(err.Error(), tc.key) || !strings.Contains(err.Error(), "unknown key") {
			t.Errorf("%q: %v; want ErrBadConfig saying unknown key %s", tc.toml, err, tc.key)
			continue
		}
		if !strings.Contains(err.Error(), "/home/x/config.toml") {
			t.Errorf("%q: %v; want the file named", tc.toml, err)
		}
	}
}

// Every bad value is refused with a message naming its key (and, where it
// helps, the value and what is wanted).
func TestParseConfigNamesBadValues(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, toml string
		want       []string // all in the message
	}{
		{"api on all interfaces", "[api]\nlisten = \"0.0.0.0:7070\"\n", []string{"api.listen", "0.0.0.0:7070", "loopback"}},
		{"api on a LAN address", "[api]\nlisten = \"192.168.1.10:7070\"\n", []string{"api.listen", "loopback"}},
		{"api without a port", "[api]\nlisten = \"127.0.0.1\"\n", []string{"api.listen", "host:port"}},
		{"api with a bad port", "[api]\nlisten = \"127.0.0.1:http-ish\"\n", []string{"api.listen", "port"}},
		{"malformed listen multiaddr", "[network]\nlisten = [\"/ip4/127.0.0.1/tcp/\"]\n", []string{"network.listen", "/ip4/127.0.0.1/tcp/"}},
		{"listen as host:port", "[network]\nlisten = [\"127.0.0.1:4001\"]\n", []string{"network.listen", "127.0.0.1:4001"}},
		{"no listen address", "[network]\nlisten = []\n", []string{"network.listen", "at least one"}},
		{"bootstrap without /p2p/", "[network]\nbootstrap = [\"/ip4/198.51.100.7/tcp/4001\"]\n", []string{"network.bootstrap", "/ip4/198.51.100.7/tcp/4001", "/p2p/"}},
		{"bad dht_mode", "[network]\ndht_mode = \"sometimes\"\n", []string{"network.dht_mode", "sometimes", "auto, client or server"}},
		{"conn_low > conn_high", "[network]\nconn_low = 100\nconn_high = 10\n", []string{"network.conn_low", "100", "10"}},
		{"conn_low zero", "[network]\nconn_low = 0\n", []string{"network.conn_low"}},
		{"tiny memory limit", "[network]\nmax_memory_mib = 1\n", []string{"network.max_memory_mib"}},
		{"tiny fd limit", "[network]\nmax_fds = 2\n", []string{"network.max_fds"}},
		{"bad log level", "[log]\nlevel = \"loud\"\n", []string{"log.level", "loud", "debug, info, warn or error"}},
		{"duration without unit", "[storage]\ngc_interval = \"10\"\n", []string{"storage.gc_interval", "duration"}},
		{"duration in words", "[presence]\nttl = \"an hour\"\n", []string{"presence.ttl", "an hour"}},
		{"negative gc interval", "[storage]\ngc_interval = \"-1m\"\n", []string{"storage.gc_interval"}},
		{"presence ttl out of range", "[presence]\nttl = \"1s\"\n", []string{"presence.ttl", "1s"}},
		{"wrong type", "[network]\nmdns = \"yes\"\n", []string{"network.mdns"}},
		{"unknown profile", "profile = \"desktop\"\n", []string{"profile", "desktop"}},
		{"not TOML", "[network\nlisten = 3\n", []string{"config.toml", "line 2"}},
	} {
		_, err := node.ParseConfig([]byte(tc.toml), "config.toml")
		if !errors.Is(err, node.ErrBadConfig) {
			t.Errorf("%s: %v, want ErrBadConfig", tc.name, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not mention %q", tc.name, err, w)
			}
		}
	}
}

// Flags override config.toml after it was parsed; Validate checks the
// result the same way (the daemon calls it after applying flags).
func TestValidateNamesKeyOfOverride(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key  string
		edit func(*node.Config)
	}{
		{"api.listen", func(c *node.Config) { c.API.Listen = "0.0.0.0:0" }},
		{"network.listen", func(c *node.Config) { c.Network.Listen = []string{"not-a-multiaddr"} }},
		{"network.bootstrap", func(c *node.Config) { c.Network.Bootstrap = []string{"/ip4/127.0.0.1/tcp/1"} }},
		{"log.level", func(c *node.Config) { c.Log.Level = "trace" }},
	} {
		cfg, _ := node.ProfileConfig(node.ProfileLocal)
		tc.edit(&cfg)
		if err := cfg.Validate(); !errors.Is(err, node.ErrBadConfig) || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s: Validate = %v, want ErrBadConfig naming it", tc.key, err)
		}
	}
	if _, err := node.ProfileConfig("desktop"); !errors.Is(err, node.ErrBadConfig) || !strings.Contains(err.Error(), "desktop") {
		t.Errorf("ProfileConfig(desktop) = %v, want ErrBadConfig naming it", err)
	}
}
