package netns

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The stand-in public network: Amino DHT servers that are also relays,
// at .100 and up on the suite's internet segment.
const aminoIPBase = 100

// rendezvousConfig is a personal node that uses the stand-in public
// network as its Amino bootstrap peers (or, with on false, does not use
// the public rendezvous at all), with no Parley server configured.
func rendezvousConfig(amino []string, on bool) string {
	quoted, _ := json.Marshal(amino)
	return fmt.Sprintf(`profile = "default"

[network]
  relay_search_interval = "2s"
  public_rendezvous = %v
  amino_bootstrap = %s
`, on, quoted)
}

// idInfo is what TestPublicRendezvous reads of `parley id --json`.
type idInfo struct {
	RelayAddrs    []string   `json:"relay_addrs"`
	PublicNetwork bool       `json:"public_network"`
	AminoPeers    int        `json:"amino_peers"`
	AnnouncedAt   *time.Time `json:"announced_at"`
}

// TestPublicRendezvous: two homes behind separate masquerading NATs, no
// Parley server anywhere, only a stand-in public IPFS network (three
// Amino DHT servers with the relay service). Each home finds a relay
// among the Amino peers and announces itself; A adds B by peer ID alone,
// the request reaches B through the rendezvous and the relay, B accepts,
// DMs go both ways; hole punching makes the connection direct and 100 DMs
// go each way. B then restarts behind another NAT (new addresses, new
// relay slot, new announcement) and A's next DM reaches it. A third home
// with public_rendezvous = false cannot find B, and says so instead of
// hanging.
func TestPublicRendezvous(t *testing.T) {
	requireNetns(t)
	requireTool(t, "nft", "nftables")
	t.Parallel()
	start := time.Now()
	step := func(format string, a ...any) {
		t.Logf("[%5.1fs] %s", time.Since(start).Seconds(), fmt.Sprintf(format, a...))
	}
	l := newLab(t)
	wan := l.ns("wan")
	l.bridge(wan, "br0")
	var amino []string
	for i := range 3 {
		ns := l.ns(fmt.Sprintf("amino%d", i+1))
		ip := fmt.Sprintf("%s%d", publicPrefix, aminoIPBase+i)
		l.port(wan, "br0", ns, "eth0", ip+"/24")
		amino = append(amino, startStandIn(t, ns, ip, amino)...)
	}
	step("stand-in public network up: %d addresses", len(amino))

	homes := map[string]string{
		"a": l.natHome(wan, "a", 1, false),
		"b": l.natHome(wan, "b", 2, false),
		"c": l.natHome(wan, "c", 3, false),
	}
	nodes := map[string]*daemon{}
	for _, name := range []string{"a", "b", "c"} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(rendezvousConfig(amino, name != "c")), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := runCLI(homes[name], dir, "init"); err != nil {
			t.Fatalf("parley init: %v\n%s", err, out)
		}
		nodes[name] = startDaemon(t, homes[name], name, dir)
	}
	a, b, c := nodes["a"], nodes["b"], nodes["c"]

	for _, d := range []*daemon{a, b} {
		relays := waitBehindNAT(t, d, 90*time.Second)
		// The relay address may come before AutoNAT's verdict (the node
		// reserves at start), and the announcement with it.
		seen := firstRelayAddrs(d, 0)
		var info idInfo
		pollUntil(t, 60*time.Second, d.name+" to announce its relay address", func() bool {
			d.cliJSON(&info, "id")
			return info.AnnouncedAt != nil && info.AnnouncedAt.After(seen)
		})
		if !info.PublicNetwork || info.AminoPeers == 0 {
			t.Errorf("%s: id says public network %v with %d Amino peers", d.name, info.PublicNetwork, info.AminoPeers)
		}
		step("%s: behind a NAT, relay %s from the public network, announced; %d Amino peers", d.name, relays[0], info.AminoPeers)
	}
	var cInfo idInfo
	c.cliJSON(&cInfo, "id")
	if cInfo.PublicNetwork {
		t.Errorf("c: public network on with public_rendezvous = false")
	}
	if out := c.cli("id"); !strings.Contains(string(out), "public net:   off") {
		t.Errorf("c: parley id does not say the public network is off:\n%s", out)
	}

	ready := time.Now()
	markA, markB := a.events.mark(), b.events.mark()
	befriend(t, a, b, 60*time.Second)
	sendDM(t, a, b, "hello b, found through the public network", 60*time.Second)
	firstDM := time.Since(ready)
	sendDM(t, b, a, "hello a", 60*time.Second)
	step("a ⇄ b: friends and DMs both ways; first DM %s after both were ready", firstDM.Round(time.Millisecond))
	t.Logf("public rendezvous: time from both ready to the first DM: %s", firstDM.Round(time.Millisecond))
	requireRelayedFirst(t, a, b, markA)
	var who struct {
		Route struct {
			FoundVia   string   `json:"found_via"`
			FoundAddrs []string `json:"found_addrs"`
		} `json:"route"`
	}
	a.cliJSON(&who, "whois", b.peerID(), "--route")
	if who.Route.FoundVia != "public_rendezvous" || !slices.ContainsFunc(who.Route.FoundAddrs, func(s string) bool { return strings.Contains(s, "/p2p-circuit") }) {
		t.Errorf("a: whois b --route = %+v, want found through the public rendezvous with relay addresses", who.Route)
	}
	step("a: whois b --route: found via %s at %q", who.Route.FoundVia, who.Route.FoundAddrs)
	path, summary := holePunchOutcome(t, a, b, markA, markB, 60*time.Second)
	step("a ⇄ b: %s connection after hole punching: %s", path, summary)
	if path != "direct" {
		t.Errorf("a ⇄ b: %s after hole punching between two port-preserving NATs, want direct", path)
	}
	sendMany(t, a, b, 100, 120*time.Second)
	sendMany(t, b, a, 100, 120*time.Second)
	p, addr := connection(a, b.peerID())
	step("a ⇄ b: 100 DMs each way delivered; %s connection %s", p, addr)

	// b moves to another NAT: new addresses, a new relay slot, a new
	// announcement. a still reaches it.
	b.stop()
	markA = a.events.mark()
	b.ns = l.natHome(wan, "b2", 4, false)
	b.start()
	relays := waitBehindNAT(t, b, 90*time.Second)
	step("b moved behind another NAT (7.0.0.14), reachable through %s", relays[0])
	moved := time.Now()
	sendDM(t, a, b, "still there after your move?", 90*time.Second)
	step("a → b after the move: delivered %s after b was ready", time.Since(moved).Round(time.Millisecond))
	for _, e := range a.events.since(markA) {
		var pe peerEvent
		if e.Type == "peer_connected" && e.decode(&pe) && pe.PeerID == b.peerID() {
			// Both sides look each other up through the rendezvous; b,
			// restarting, often dials first.
			step("a ⇄ b after the move: first connection %s, %s", pe.Direction, pe.Addr)
			break
		}
	}
	sendDM(t, b, a, "yes", 60*time.Second)

	// c has no way to find b: a clear error, quickly.
	c.cli("friend", "add", b.peerID(), "-m", "from c")
	began := time.Now()
	out, err := c.tryCLI("connect", b.peerID())
	took := time.Since(began)
	if err == nil || !strings.Contains(err.Error(), "cannot find peer") || !strings.Contains(err.Error(), "public rendezvous is off") {
		t.Fatalf("c: connect to b by peer ID with public_rendezvous = false: %v, %s; want cannot find peer, saying the rendezvous is off", err, out)
	}
	if took > 20*time.Second {
		t.Errorf("c: cannot find peer took %s", took)
	}
	step("c (public_rendezvous = false): %s after %s", strings.TrimSpace(err.Error()), took.Round(time.Millisecond))
	for _, e := range b.events.since(0) {
		var r friendRequest
		if e.Type == "friend_request" && e.decode(&r) && r.ReqUserID == c.peerID() {
			t.Errorf("b received c's friend request without the public rendezvous")
		}
	}
}

// sendMany sends n DMs from a to b and waits until b has all of them.
func sendMany(t *testing.T, a, b *daemon, n int, timeout time.Duration) {
	t.Helper()
	markB := b.events.mark()
	ids := make(map[string]bool, n)
	for i := range n {
		var m message
		a.cliJSON(&m, "send", b.peerID(), fmt.Sprintf("%s to %s, %d of %d", a.name, b.name, i+1, n))
		ids[m.ID] = true
	}
	got := make(map[string]bool, n)
	b.events.wait(t, markB, timeout, fmt.Sprintf("%s to receive %d DMs from %s", b.name, n, a.name), func(e event) bool {
		var m message
		if e.Type == "message" && e.decode(&m) && !m.Outgoing && ids[m.ID] {
			got[m.ID] = true
		}
		return len(got) == n
	})
}

// firstRelayAddrs returns when d first reported relay addresses after
// mark (the node event's time, on the daemon's clock), or now.
func firstRelayAddrs(d *daemon, mark int) time.Time {
	for _, e := range d.events.since(mark) {
		var n nodeEvent
		if e.Type == "node" && e.decode(&n) && len(n.RelayAddrs) > 0 {
			return e.Time
		}
	}
	return time.Now()
}
