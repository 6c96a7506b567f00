package netns

import (
	"flag"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// reachRounds is how many restart rounds TestReach measures. The default
// suite runs one; `-reach-rounds 5` gives the median of five (see the
// README).
var reachRounds = flag.Int("reach-rounds", 1, "TestReach: restart rounds to measure")

// Reach targets (issue 18): the first DM within 10 s of both daemons
// being ready, a direct connection within 20 s where the NATs allow hole
// punching. A round fails when its first DM misses the target (it took
// 32 s before the node reserved on its bootstrap relay at start, and
// takes under a second now); the direct connection is reported only (see
// the README: it misses the target when both daemons start together).
const (
	reachDMTarget     = 10 * time.Second
	reachDirectTarget = 20 * time.Second
)

// TestReach measures how fast two friends behind separate
// (port-preserving) NAT routers reach each other through one server
// node, their bootstrap peer and relay. Each round builds a fresh
// network (new NAT state, new identities): as soon as both daemons are
// ready, a asks b for friendship, b accepts, and a sends a DM. The round
// reports the time from both ready to the DM delivered, and to a direct
// connection (hole punching), with a timeline of what the daemons saw.
// The figures and their medians are printed in the verbose output.
//
// A restart of both daemons within the NATs' mapping lifetime is not a
// round: a redials the friend's remembered direct address, and the DM
// arrives in well under a second.
func TestReach(t *testing.T) {
	requireNetns(t)
	requireTool(t, "nft", "nftables")
	t.Parallel()
	var dms, directs []time.Duration
	for round := 1; round <= *reachRounds; round++ {
		t.Run(fmt.Sprintf("round%d", round), func(t *testing.T) {
			dm, direct, ok := reachRound(t)
			dms = append(dms, dm)
			what := "no direct connection"
			if ok {
				directs = append(directs, direct)
				what = fmt.Sprintf("direct after %.1fs", direct.Seconds())
			}
			t.Logf("reach: round %d: first DM delivered after %.1fs (target %s); %s (target %s)",
				round, dm.Seconds(), reachDMTarget, what, reachDirectTarget)
		})
	}
	t.Logf("reach: median of %d: first DM %s; direct connection %s (%d of %d rounds direct)",
		len(dms), medianString(dms), medianString(directs), len(directs), len(dms))
}

// reachRound runs one round of TestReach on a fresh network: the time
// from both daemons ready to the first DM delivered, and to the direct
// connection if hole punching made one.
func reachRound(t *testing.T) (dm, direct time.Duration, directOK bool) {
	l := newLab(t)
	wan := l.ns("wan")
	l.bridge(wan, "br0")
	srvNS := l.ns("srv")
	l.port(wan, "br0", srvNS, "eth0", serverIP+"/24")
	nsA := l.natHome(wan, "a", 1, false)
	nsB := l.natHome(wan, "b", 2, false)

	srv := startDaemon(t, srvNS, "server", t.TempDir(), "--profile", "server")
	share := srv.shareAddrs()
	var homes []*daemon
	for _, h := range []struct{ name, ns string }{{"a", nsA}, {"b", nsB}} {
		dir := t.TempDir()
		initHome(t, h.ns, dir)
		if out, err := runCLI(h.ns, dir, append([]string{"bootstrap", "add"}, share...)...); err != nil {
			t.Fatalf("%s: bootstrap add: %v: %s", h.name, err, out)
		}
		homes = append(homes, newDaemon(t, h.ns, h.name, dir, "--log-level", "debug"))
	}
	a, b := homes[0], homes[1]

	a.start()
	b.start()
	ready := time.Now()
	befriend(t, a, b, 90*time.Second)
	sendDM(t, a, b, "first contact", 60*time.Second)
	dm = time.Since(ready)
	requireRelayedFirst(t, a, b, 0)
	if dm > reachDMTarget {
		t.Errorf("first DM delivered %.1fs after both daemons were ready; target %s", dm.Seconds(), reachDMTarget)
	}
	// Hole punching gets until a little past its target.
	path, summary := holePunchOutcome(t, a, b, 0, 0, max(5*time.Second, reachDirectTarget+5*time.Second-time.Since(ready)))
	at, ok := directAt(a, b, 0, 0)
	t.Logf("hole punching: %s: %s", path, summary)
	for _, d := range []*daemon{a, b} {
		t.Logf("%s's timeline:\n%s", d.name, timeline(d, ready))
	}
	return dm, at.Sub(ready), ok && path == "direct"
}

// timeline lists d's events with their times from ready.
func timeline(d *daemon, ready time.Time) string {
	var sb strings.Builder
	for _, e := range d.events.since(0) {
		fmt.Fprintf(&sb, "  %+6.1fs %s %s\n", e.Time.Sub(ready).Seconds(), e.Type, e.Data)
	}
	return sb.String()
}

// directAt returns when hole punching first made a or b's connection to
// the other direct, by the event's time (the daemons run on this
// machine's clock).
func directAt(a, b *daemon, markA, markB int) (time.Time, bool) {
	var first time.Time
	for _, s := range []struct {
		d, other *daemon
		mark     int
	}{{a, b, markA}, {b, a, markB}} {
		for _, e := range s.d.events.since(s.mark) {
			var hp holePunchEvent
			if e.Type == "hole_punch" && e.decode(&hp) && hp.PeerID == s.other.peerID() && hp.Outcome == "direct" {
				if first.IsZero() || e.Time.Before(first) {
					first = e.Time
				}
				break
			}
		}
	}
	return first, !first.IsZero()
}

// medianString formats the median of ds, or "n/a".
func medianString(ds []time.Duration) string {
	if len(ds) == 0 {
		return "n/a"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	var m time.Duration
	if n := len(s); n%2 == 1 {
		m = s[n/2]
	} else {
		m = (s[n/2-1] + s[n/2]) / 2
	}
	all := make([]string, len(ds))
	for i, d := range ds {
		all[i] = fmt.Sprintf("%.1f", d.Seconds())
	}
	return fmt.Sprintf("%.1fs (rounds: %s s)", m.Seconds(), strings.Join(all, ", "))
}
