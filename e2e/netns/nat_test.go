package netns

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The suite's internet: a bridge in its own namespace with a bootstrap
// server at .10 and the home routers' WAN sides at .11 and up. The range
// is public on purpose (the WAN DHT and AutoNAT ignore private addresses)
// and exists only inside the suite's namespaces.
const (
	publicPrefix = "7.0.0."
	serverIP     = publicPrefix + "10"
)

// routerRuleset is a home router: masquerade on the WAN side, and a
// firewall that drops unsolicited packets from the WAN, as home routers
// do. The drop matters for hole punching on Linux too: a dropped packet
// leaves no conntrack entry, whereas an accepted one (say, a peer's
// punch arriving before our own) would hold the port, and the NAT would
// then map our outgoing punch to another port.
//
// symmetric maps every new flow to a random port (nftables
// fully-random): a symmetric NAT, which hole punching cannot cross.
func routerRuleset(symmetric bool) string {
	masq := "masquerade"
	if symmetric {
		masq = "masquerade fully-random"
	}
	return fmt.Sprintf(`table ip nat {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan0" %s
	}
}
table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		iifname "wan0" ct state new drop
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		iifname "wan0" ct state new drop
	}
}
`, masq)
}

// natHome makes a home LAN behind its own router on the internet bridge
// and returns the namespace of the home's computer (10.0.<idx>.2).
func (l *lab) natHome(wan, name string, idx int, symmetric bool) string {
	l.t.Helper()
	router := l.ns("r" + name)
	pc := l.ns("h" + name)
	l.port(wan, "br0", router, "wan0", fmt.Sprintf("%s%d/24", publicPrefix, 10+idx))
	l.veth(pc, "eth0", router, "lan0")
	l.addr(router, "lan0", fmt.Sprintf("10.0.%d.1/24", idx))
	l.addr(pc, "eth0", fmt.Sprintf("10.0.%d.2/24", idx))
	l.run("ip", "-n", pc, "route", "add", "default", "via", fmt.Sprintf("10.0.%d.1", idx))
	l.sysctl(router, "net.ipv4.ip_forward", "1")
	l.nft(router, routerRuleset(symmetric))
	return pc
}

// homeConfig is a personal node's config: the default profile, plus a
// shorter AutoRelay search interval (default 10s) so that a node finds
// its relay again soon after the server restarts, and the public
// rendezvous off: these homes use their own server, and no test reaches
// the real public network.
const homeConfig = `profile = "default"

[network]
  relay_search_interval = "2s"
  public_rendezvous = false
`

// initHome writes the config and initializes a home in ns.
func initHome(t *testing.T, ns, dir string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(homeConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := runCLI(ns, dir, "init"); err != nil {
		t.Fatalf("parley init: %v\n%s", err, out)
	}
}

// bootstrapResult is `parley bootstrap add --json`.
type bootstrapResult struct {
	Bootstrap []string `json:"bootstrap"`
	Added     []string `json:"added"`
	Daemon    string   `json:"daemon"`
}

// bootstrapList is `parley bootstrap list --json`.
type bootstrapList struct {
	DaemonRunning bool `json:"daemon_running"`
	Bootstrap     []struct {
		Addr   string `json:"addr"`
		Status *struct {
			Connected bool   `json:"connected"`
			Failures  int    `json:"failures"`
			LastError string `json:"last_error"`
		} `json:"status"`
	} `json:"bootstrap"`
}

// TestNAT: two homes behind separate NAT routers, a third behind a
// symmetric NAT, and a bootstrap/relay server on the internet segment.
// The homes know only the server. They befriend each other and exchange
// DMs through the relay; hole punching then makes the connection direct
// where the NATs allow it (the test reports which happened). Then the
// server stops mid-conversation: messages queue, and arrive once it is
// back.
func TestNAT(t *testing.T) {
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
	srvNS := l.ns("srv")
	l.port(wan, "br0", srvNS, "eth0", serverIP+"/24")
	nsA := l.natHome(wan, "a", 1, false)
	nsB := l.natHome(wan, "b", 2, false)
	nsC := l.natHome(wan, "c", 3, true)
	step("network up: server %s; homes a, b behind NATs, c behind a symmetric NAT", serverIP)

	// The bootstrap server prints the addresses to share.
	srv := startDaemon(t, srvNS, "server", t.TempDir(), "--profile", "server")
	share := srv.shareAddrs()
	if len(share) == 0 || slices.ContainsFunc(share, func(a string) bool {
		return !strings.HasPrefix(a, "/ip4/"+serverIP+"/") || !strings.HasSuffix(a, "/p2p/"+srv.peerID())
	}) {
		t.Fatalf("server share addresses = %q, want its %s addresses with /p2p/%s", share, serverIP, srv.peerID())
	}
	step("server up, shares %q", share)

	// a and c get the server in their config before they start; b gets
	// it while running, through the daemon's API.
	homes := map[string]string{"a": nsA, "b": nsB, "c": nsC}
	nodes := map[string]*daemon{}
	for _, name := range []string{"a", "b", "c"} {
		ns, dir := homes[name], t.TempDir()
		initHome(t, ns, dir)
		if name != "b" {
			var res bootstrapResult
			out, err := runCLI(ns, dir, append([]string{"--json", "bootstrap", "add"}, share...)...)
			if err != nil || !decodeJSON(out, &res) || res.Daemon != "not running" || len(res.Added) != len(share) {
				t.Fatalf("%s: bootstrap add before start: %v: %s", name, err, out)
			}
		}
		nodes[name] = startDaemon(t, ns, name, dir)
	}
	a, b, c := nodes["a"], nodes["b"], nodes["c"]
	var res bootstrapResult
	b.cliJSON(&res, append([]string{"bootstrap", "add"}, share...)...)
	if res.Daemon != "updated" {
		t.Fatalf("b: bootstrap add on a running daemon: daemon %q, want updated", res.Daemon)
	}

	for _, d := range []*daemon{a, b, c} {
		relays := waitBehindNAT(t, d, 90*time.Second)
		step("%s: AutoNAT says private; reachable through %s", d.name, relays[0])
	}
	var list bootstrapList
	b.cliJSON(&list, "bootstrap", "list")
	if len(list.Bootstrap) != len(share) || list.Bootstrap[0].Status == nil || !list.Bootstrap[0].Status.Connected {
		t.Errorf("b: bootstrap list = %+v, want the server, connected", list)
	}

	// b. Friends through the relay: a finds b's relay address in the DHT.
	markA, markB := a.events.mark(), b.events.mark()
	befriend(t, a, b, 60*time.Second)
	step("a and b are friends")
	sendDM(t, a, b, "hello b, through the relay or not", 60*time.Second)
	sendDM(t, b, a, "hello a", 60*time.Second)
	step("a ⇄ b: DMs delivered")
	requireRelayedFirst(t, a, b, markA)
	path, summary := holePunchOutcome(t, a, b, markA, markB, 60*time.Second)
	step("a ⇄ b (two port-preserving NATs): %s connection after hole punching: %s", path, summary)
	sendDM(t, a, b, "after hole punching", 30*time.Second)
	p, addr := connection(a, b.peerID())
	step("a ⇄ b: DM delivered over the %s connection %s", p, addr)

	markA, markC := a.events.mark(), c.events.mark()
	befriend(t, a, c, 60*time.Second)
	sendDM(t, a, c, "hello c", 60*time.Second)
	sendDM(t, c, a, "hello a, from behind a symmetric NAT", 60*time.Second)
	step("a ⇄ c: DMs delivered")
	requireRelayedFirst(t, a, c, markA)
	path, summary = holePunchOutcome(t, a, c, markA, markC, 60*time.Second)
	step("a ⇄ c (symmetric NAT): %s connection after hole punching: %s", path, summary)
	sendDM(t, c, a, "still there?", 30*time.Second)
	p, addr = connection(a, c.peerID())
	step("a ⇄ c: DM delivered over the %s connection %s", p, addr)
	if p != "relayed" {
		t.Fatalf("a ⇄ c: %s connection through a symmetric NAT; the server-down step needs a relayed one", p)
	}

	// c. The server stops mid-conversation. a and c lose each other (the
	// relay was their only path) and the messages queue.
	markA, markC = a.events.mark(), c.events.mark()
	warnsBefore := a.logCount("bootstrap peer unreachable")
	srv.stop()
	step("server stopped")
	a.events.wait(t, markA, 30*time.Second, "a to lose its relayed connection to c", func(e event) bool {
		var pe peerEvent
		return e.Type == "peer_disconnected" && e.decode(&pe) && pe.PeerID == c.peerID()
	})
	texts := []string{"while the server is down 1", "while the server is down 2", "while the server is down 3"}
	ids := make([]string, len(texts))
	for i, text := range texts {
		var m message
		a.cliJSON(&m, "send", c.peerID(), text)
		if m.Status != "pending" {
			t.Errorf("message sent while the server is down: status %q, want pending", m.Status)
		}
		ids[i] = m.ID
	}
	// a keeps trying the server, backing off. There is no event for a
	// failed dial, so poll the bootstrap status with a short ticker.
	pollUntil(t, 30*time.Second, "a to fail dialing the stopped server twice", func() bool {
		var l bootstrapList
		a.cliJSON(&l, "bootstrap", "list")
		for _, e := range l.Bootstrap {
			if e.Status != nil && e.Status.Failures >= 2 {
				return true
			}
		}
		return false
	})
	for _, e := range c.events.since(markC) {
		var m message
		if e.Type == "message" && e.decode(&m) && slices.Contains(ids, m.ID) {
			t.Fatalf("c received %q while the server was down", m.Content)
		}
	}
	step("messages queued while the server is down; a retries the server with backoff")

	srv.start()
	step("server restarted")
	for i, id := range ids {
		waitDelivered(t, a, c, markA, markC, id, texts[i], 120*time.Second)
	}
	step("the queued messages reached c once the server was back")
	warns := a.logCount("bootstrap peer unreachable") - warnsBefore
	if warns < 1 || warns > 10 {
		t.Errorf("a logged %d bootstrap warnings while the server was down; want a few, with backoff", warns)
	}
	step("a logged %d bootstrap warnings while the server was down", warns)
}

// requireRelayedFirst checks that the first connection from a to b after
// mark ran through the relay: the friend request, the first frame between
// them, travelled on it, and hole punching, which needs it, came later.
func requireRelayedFirst(t *testing.T, a, b *daemon, mark int) {
	t.Helper()
	for _, e := range a.events.since(mark) {
		var pe peerEvent
		if e.Type == "peer_connected" && e.decode(&pe) && pe.PeerID == b.peerID() {
			if !strings.Contains(pe.Addr, "/p2p-circuit") {
				t.Fatalf("%s's first connection to %s is %s, want one through the relay", a.name, b.name, pe.Addr)
			}
			return
		}
	}
	t.Fatalf("%s saw no connection to %s", a.name, b.name)
}

// shareAddrs returns the "share:" addresses the daemon printed.
func (d *daemon) shareAddrs() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.share)
}

// pollUntil checks cond on a short ticker until it holds, for conditions
// no event announces; the test fails at the deadline.
func pollUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
	}
}
