package node

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// Profile names.
const (
	ProfileDefault = "default"
	ProfileServer  = "server"
	ProfileLocal   = "local"
)

// DHT modes of NetworkConfig.DHTMode.
const (
	DHTAuto   = "auto"
	DHTClient = "client"
	DHTServer = "server"
)

// Values of NetworkConfig.Reachability.
const (
	ReachabilityAuto    = "auto"
	ReachabilityPublic  = "public"
	ReachabilityPrivate = "private"
)

// Config is the content of config.toml. Flags override it.
type Config struct {
	// Profile chooses the defaults of every other setting.
	Profile string        `toml:"profile"`
	API     APIConfig     `toml:"api"`
	Network NetworkConfig `toml:"network"`
	Relay   RelayConfig   `toml:"relay"`
	Storage StorageConfig `toml:"storage"`
	Log     LogConfig     `toml:"log"`
	// Presence configures profile and presence records (presence_config.go).
	Presence PresenceConfig `toml:"presence"`
}

// APIConfig configures the local control API.
type APIConfig struct {
	// Listen is host:port on a loopback address; port 0 picks a free port.
	Listen string `toml:"listen"`
}

// NetworkConfig configures the libp2p host and discovery.
type NetworkConfig struct {
	// Listen are the multiaddrs the host listens on.
	Listen []string `toml:"listen"`
	// Bootstrap are multiaddrs with /p2p/ of peers to stay connected to.
	// They seed the DHT and are the first relay candidates.
	Bootstrap []string `toml:"bootstrap"`
	// Relays are multiaddrs with /p2p/ of further relay peers for
	// AutoRelay; relays found through the DHT are used as well.
	Relays []string `toml:"relays"`
	// PublicRendezvous joins the public IPFS DHT (Amino) as a client to
	// announce this node and find friends and relays there (amino.go).
	PublicRendezvous bool `toml:"public_rendezvous"`
	// AminoBootstrap are the multiaddrs with /p2p/ that the Amino DHT
	// starts from: the default profile's default is the public IPFS
	// bootstrap list; tests give their own stand-ins.
	AminoBootstrap []string `toml:"amino_bootstrap"`
	// Reachability is auto (AutoNAT finds out), public (a server with a
	// public address) or private (always use relays).
	Reachability string `toml:"reachability"`
	// RelaySearchInterval is how often, at most, AutoRelay looks for a
	// relay while it has none; a relay that refused a reservation is left
	// alone for six times as long.
	RelaySearchInterval Duration `toml:"relay_search_interval"`
	// MDNS finds peers on the local network.
	MDNS bool `toml:"mdns"`
	// NATPortMap asks the router for a port mapping (UPnP, NAT-PMP).
	NATPortMap bool `toml:"nat_port_map"`
	// HolePunching upgrades relayed connections to direct ones (DCUtR).
	HolePunching bool `toml:"hole_punching"`
	// AutoRelay reserves slots on relays when the node is not reachable.
	AutoRelay bool `toml:"auto_relay"`
	// RelayService offers circuit relay v2 to other peers.
	RelayService bool `toml:"relay_service"`
	// DualDHT runs the LAN and WAN DHTs; off runs one DHT (see package doc).
	DualDHT bool `toml:"dual_dht"`
	// DHTMode is auto, client or server.
	DHTMode string `toml:"dht_mode"`
	// ConnLow and ConnHigh are the connection manager's watermarks.
	ConnLow  int `toml:"conn_low"`
	ConnHigh int `toml:"conn_high"`
	// MaxMemoryMiB bounds what the libp2p resource manager lets peers use.
	MaxMemoryMiB int `toml:"max_memory_mib"`
	// MaxFDs bounds the file descriptors the resource manager hands out.
	MaxFDs int `toml:"max_fds"`
	// MaxInboundPerIP bounds the inbound connections that strangers (not
	// friends) hold from one IP address; 0 is no bound (the local profile,
	// whose peers all share 127.0.0.1). See connlimit.go.
	MaxInboundPerIP int `toml:"max_inbound_per_ip"`
}

// RelayConfig limits what the circuit relay service (network.relay_service,
// on in the server profile) gives to other peers, who are mostly strangers.
type RelayConfig struct {
	// MaxReservations bounds the peers holding a relay slot at once.
	MaxReservations int `toml:"max_reservations"`
	// MaxReservationsPerIP bounds the slots taken from one IP address.
	MaxReservationsPerIP int `toml:"max_reservations_per_ip"`
	// MaxCircuits bounds the relayed connections open per peer.
	MaxCircuits int `toml:"max_circuits"`
	// ReservationTTL is how long a slot lasts before it must be renewed.
	ReservationTTL Duration `toml:"reservation_ttl"`
	// CircuitDuration and CircuitDataKiB end a relayed connection after
	// this long or this much data each way; peers dial again, or upgrade
	// to a direct connection by hole punching.
	CircuitDuration Duration `toml:"circuit_duration"`
	CircuitDataKiB  int      `toml:"circuit_data_kib"`
}

// StorageConfig configures the database.
type StorageConfig struct {
	// GCInterval is how often Badger's value log is garbage collected.
	GCInterval Duration `toml:"gc_interval"`
	// SyncWrites fsyncs every commit (survives power loss, slower).
	SyncWrites bool `toml:"sync_writes"`
}

// LogConfig configures the daemon's log.
type LogConfig struct {
	// Level is debug, info, warn or error.
	Level string `toml:"level"`
}

// Duration is a time.Duration written as "10m" in TOML.
type Duration time.Duration

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// ProfileConfig returns the full config of a profile.
func ProfileConfig(profile string) (Config, error) {
	c := Config{
		Profile: profile,
		API:     APIConfig{Listen: "127.0.0.1:7070"},
		Network: NetworkConfig{
			DHTMode:             DHTAuto,
			Reachability:        ReachabilityAuto,
			RelaySearchInterval: Duration(10 * time.Second),
			ConnLow:             32,
			ConnHigh:            96,
			MaxMemoryMiB:        128,
			MaxFDs:              512,
			MaxInboundPerIP:     8,
		},
		Relay: RelayConfig{
			MaxReservations:      128,
			MaxReservationsPerIP: 8,
			MaxCircuits:          16,
			ReservationTTL:       Duration(time.Hour),
			CircuitDuration:      Duration(2 * time.Minute),
			CircuitDataKiB:       1024,
		},
		Storage:  StorageConfig{GCInterval: Duration(10 * time.Minute)},
		Presence: defaultPresenceConfig(),
		Log:      LogConfig{Level: "info"},
	}
	switch profile {
	case ProfileDefault:
		c.Network.Listen = []string{"/ip4/0.0.0.0/tcp/4001", "/ip4/0.0.0.0/udp/4001/quic-v1", "/ip6/::/tcp/4001", "/ip6/::/udp/4001/quic-v1"}
		c.Network.MDNS = true
		c.Network.NATPortMap = true
		c.Network.HolePunching = true
		c.Network.AutoRelay = true
		c.Network.DualDHT = true
		c.Network.PublicRendezvous = true
		c.Network.AminoBootstrap = publicAminoBootstrap()
	case ProfileServer:
		c.Network.Listen = []string{"/ip4/0.0.0.0/tcp/4001", "/ip4/0.0.0.0/udp/4001/quic-v1", "/ip6/::/tcp/4001", "/ip6/::/udp/4001/quic-v1"}
		c.Network.RelayService = true
		// A bootstrap node is public by definition; AutoNAT would need
		// other servers to confirm it, and the relay service only runs
		// on a public node.
		c.Network.Reachability = ReachabilityPublic
		c.Network.DualDHT = true
		c.Network.DHTMode = DHTServer
		c.Network.ConnLow = 256
		c.Network.ConnHigh = 1024
		c.Network.MaxMemoryMiB = 512
		c.Network.MaxFDs = 4096
	case ProfileLocal:
		c.API.Listen = "127.0.0.1:0"
		c.Network.Listen = []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"}
		c.Network.DHTMode = DHTServer
		c.Network.MaxInboundPerIP = 0
	default:
		return Config{}, fmt.Errorf("%w: profile %q: want %s, %s or %s", ErrBadConfig, profile, ProfileDefault, ProfileServer, ProfileLocal)
	}
	return c, nil
}

// LoadConfig reads the config file at path over the defaults of its
// profile: the one the file names, else the one its home (path's
// directory) was made with, so that an emptied config.toml never turns a
// local node into a default one. A file naming no profile in a home with
// no record of one is an error that says what to add. An unknown key or a
// bad value is an error that names it.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	recorded, err := Home{Dir: filepath.Dir(path)}.RecordedProfile()
	if err != nil {
		return Config{}, err
	}
	return parseConfig(data, path, recorded)
}

// ParseConfig is LoadConfig on bytes without a home: a file that names no
// profile gets the default profile. name is used in messages.
func ParseConfig(data []byte, name string) (Config, error) {
	return parseConfig(data, name, ProfileDefault)
}

// parseConfig parses data over the defaults of the profile it names, or of
// fallback when it names none; with no fallback either, that is an error.
func parseConfig(data []byte, name, fallback string) (Config, error) {
	var head struct {
		Profile string `toml:"profile"`
	}
	if _, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&head); err != nil {
		return Config{}, fmt.Errorf("%w: %s: %v", ErrBadConfig, name, err)
	}
	if head.Profile == "" {
		head.Profile = fallback
	}
	if head.Profile == "" {
		return Config{}, fmt.Errorf("%w: %s names no profile and its home has no record of one: add profile = %q, %q or %q", ErrBadConfig, name, ProfileLocal, ProfileDefault, ProfileServer)
	}
	c, err := ProfileConfig(head.Profile)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&c)
	if err != nil {
		return Config{}, fmt.Errorf("%w: %s: %v", ErrBadConfig, name, err)
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		keys := make([]string, len(undecoded))
		for i, k := range undecoded {
			keys[i] = k.String()
		}
		return Config{}, fmt.Errorf("%w: %s: unknown key %s", ErrBadConfig, name, strings.Join(keys, ", "))
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// configHeader opens every config file Parley writes.
const configHeader = "# Parley node config. Keys left out take the profile's defaults.\n"

// WriteConfig writes c to path, refusing to replace an existing file.
func WriteConfig(path string, c Config) error {
	var buf bytes.Buffer
	buf.WriteString(configHeader)
	if err := toml.NewEncoder(&buf).Encode(c); err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		return fmt.Errorf("write config %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write config %s: %w", path, err)
	}
	return nil
}

// Validate checks every value and names the first bad key.
func (c Config) Validate() error {
	bad := func(key, format string, a ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrBadConfig, key, fmt.Sprintf(format, a...))
	}
	if _, err := ProfileConfig(c.Profile); err != nil {
		return err
	}
	if err := checkAPIListen(c.API.Listen); err != nil {
		return bad("api.listen", "%v", err)
	}
	if len(c.Network.Listen) == 0 {
		return bad("network.listen", "at least one address is needed")
	}
	for _, s := range c.Network.Listen {
		if _, err := ma.NewMultiaddr(s); err != nil {
			return bad("network.listen", "%q: %v", s, err)
		}
	}
	if _, err := ParseBootstrap(c.Network.Bootstrap); err != nil {
		return bad("network.bootstrap", "%v", err)
	}
	if _, err := ParseBootstrap(c.Network.Relays); err != nil {
		return bad("network.relays", "%v", err)
	}
	if err := c.Network.validateAmino(); err != nil {
		return err
	}
	switch c.Network.Reachability {
	case ReachabilityAuto, ReachabilityPublic, ReachabilityPrivate:
	default:
		return bad("network.reachability", "%q: want auto, public or private", c.Network.Reachability)
	}
	if time.Duration(c.Network.RelaySearchInterval) < 100*time.Millisecond {
		return bad("network.relay_search_interval", "%s: at least 100ms", time.Duration(c.Network.RelaySearchInterval))
	}
	if err := c.Relay.validate(); err != nil {
		return err
	}
	switch c.Network.DHTMode {
	case DHTAuto, DHTClient, DHTServer:
	default:
		return bad("network.dht_mode", "%q: want auto, client or server", c.Network.DHTMode)
	}
	if c.Network.ConnLow < 1 || c.Network.ConnHigh < c.Network.ConnLow {
		return bad("network.conn_low", "need 1 ≤ conn_low (%d) ≤ conn_high (%d)", c.Network.ConnLow, c.Network.ConnHigh)
	}
	if c.Network.MaxMemoryMiB < 16 {
		return bad("network.max_memory_mib", "%d: at least 16", c.Network.MaxMemoryMiB)
	}
	if c.Network.MaxFDs < 32 {
		return bad("network.max_fds", "%d: at least 32", c.Network.MaxFDs)
	}
	if c.Network.MaxInboundPerIP < 0 {
		return bad("network.max_inbound_per_ip", "%d: 0 (no bound) or more", c.Network.MaxInboundPerIP)
	}
	if c.Storage.GCInterval < 0 {
		return bad("storage.gc_interval", "must not be negative")
	}
	if err := c.Presence.validate(); err != nil {
		return err
	}
	if _, err := parseLevel(c.Log.Level); err != nil {
		return bad("log.level", "%v", err)
	}
	return nil
}

func (r RelayConfig) validate() error {
	for _, v := range []struct {
		key string
		n   int
	}{
		{"relay.max_reservations", r.MaxReservations},
		{"relay.max_reservations_per_ip", r.MaxReservationsPerIP},
		{"relay.max_circuits", r.MaxCircuits},
		{"relay.circuit_data_kib", r.CircuitDataKiB},
	} {
		if v.n < 1 {
			return fmt.Errorf("%w: %s: %d: at least 1", ErrBadConfig, v.key, v.n)
		}
	}
	for _, v := range []struct {
		key string
		d   Duration
	}{
		{"relay.reservation_ttl", r.ReservationTTL},
		{"relay.circuit_duration", r.CircuitDuration},
	} {
		if time.Duration(v.d) < time.Second {
			return fmt.Errorf("%w: %s: %s: at least 1s", ErrBadConfig, v.key, time.Duration(v.d))
		}
	}
	return nil
}

func checkAPIListen(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q: want host:port", addr)
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return fmt.Errorf("%q: bad port", addr)
	}
	ip := net.ParseIP(host)
	if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("%q: the API only listens on a loopback address", addr)
	}
	return nil
}

// ParseBootstrap parses bootstrap multiaddrs; each must end in /p2p/<id>.
// The addresses of one peer are merged into one AddrInfo (in the order of
// first appearance), so that a peer is dialed with all its addresses at
// once and the dial can pick the best transport.
func ParseBootstrap(addrs []string) ([]peer.AddrInfo, error) {
	var out []peer.AddrInfo
	index := make(map[peer.ID]int)
	for _, s := range addrs {
		ai, err := ParsePeerAddr(s)
		if err != nil {
			return nil, err
		}
		if i, ok := index[ai.ID]; ok {
			out[i].Addrs = append(out[i].Addrs, ai.Addrs...)
			continue
		}
		index[ai.ID] = len(out)
		out = append(out, *ai)
	}
	return out, nil
}

// ParsePeerAddr parses a multiaddr that names a peer (…/p2p/<id>).
func ParsePeerAddr(s string) (*peer.AddrInfo, error) {
	m, err := ma.NewMultiaddr(strings.TrimSpace(s))
	if err != nil {
		if _, id, ok := strings.Cut(s, "/p2p/"); ok {
			id, _, _ = strings.Cut(id, "/")
			if _, perr := peer.Decode(id); perr != nil {
				return nil, fmt.Errorf("%w %q: %q after /p2p/ is not a peer id", ErrBadAddr, s, id)
			}
		}
		return nil, fmt.Errorf("%w %q: %v", ErrBadAddr, s, err)
	}
	ai, err := peer.AddrInfoFromP2pAddr(m)
	if err != nil {
		if errors.Is(err, peer.ErrInvalidAddr) {
			return nil, fmt.Errorf("%w %q: it must end in /p2p/<peer id>", ErrBadAddr, s)
		}
		return nil, fmt.Errorf("%w %q: %v", ErrBadAddr, s, err)
	}
	return ai, nil
}
