package netns

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// registry knows every namespace and process of this run, for the
// SIGINT/SIGTERM teardown in TestMain. Tests remove their own through
// t.Cleanup.
type registry struct {
	mu    sync.Mutex
	nss   []string
	procs map[*os.Process]bool
}

var live = &registry{procs: make(map[*os.Process]bool)}

func (r *registry) addNS(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nss = append(r.nss, name)
}

func (r *registry) removeNS(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nss = slices.DeleteFunc(r.nss, func(n string) bool { return n == name })
}

func (r *registry) addProc(p *os.Process) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.procs[p] = true
}

func (r *registry) removeProc(p *os.Process) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.procs, p)
}

// teardownAll kills every process and deletes every namespace still
// registered.
func (r *registry) teardownAll() {
	r.mu.Lock()
	procs := make([]*os.Process, 0, len(r.procs))
	for p := range r.procs {
		procs = append(procs, p)
	}
	nss := slices.Clone(r.nss)
	r.procs = make(map[*os.Process]bool)
	r.nss = nil
	r.mu.Unlock()
	for _, p := range procs {
		p.Kill()
	}
	for i := len(nss) - 1; i >= 0; i-- {
		deleteNamespace(nss[i])
	}
}

// deleteNamespace kills what still runs in a namespace, then deletes it
// (which removes its links too).
func deleteNamespace(name string) error {
	if out, err := exec.Command("ip", "netns", "pids", name).Output(); err == nil {
		for _, f := range strings.Fields(string(out)) {
			if pid, err := strconv.Atoi(f); err == nil {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
		return fmt.Errorf("ip netns del %s: %v: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// lab builds one test's network out of namespaces, bridges and veth
// pairs, and removes all of it when the test ends.
type lab struct {
	t      *testing.T
	prefix string

	mu  sync.Mutex
	nss []string
}

// newLab starts an empty network whose names are unique to this test
// process and run.
func newLab(t *testing.T) *lab {
	t.Helper()
	requireNetns(t)
	b := make([]byte, 3)
	rand.Read(b)
	l := &lab{t: t, prefix: fmt.Sprintf("%s%d-%s-", nsPrefix, os.Getpid(), hex.EncodeToString(b))}
	t.Cleanup(l.teardown)
	return l
}

// ns creates a namespace for role, with loopback up, and returns its name.
func (l *lab) ns(role string) string {
	l.t.Helper()
	name := l.prefix + role
	l.run("ip", "netns", "add", name)
	l.mu.Lock()
	l.nss = append(l.nss, name)
	l.mu.Unlock()
	live.addNS(name)
	l.run("ip", "-n", name, "link", "set", "lo", "up")
	return name
}

// bridge makes a bridge in ns. Multicast snooping is off so that mDNS
// reaches every port without an IGMP querier.
func (l *lab) bridge(ns, name string) {
	l.t.Helper()
	l.run("ip", "-n", ns, "link", "add", name, "type", "bridge", "mcast_snooping", "0")
	l.run("ip", "-n", ns, "link", "set", name, "up")
}

// veth links ifA in nsA to ifB in nsB. The pair is made inside the
// namespaces, so the host's own interfaces are never touched.
func (l *lab) veth(nsA, ifA, nsB, ifB string) {
	l.t.Helper()
	l.run("ip", "-n", nsA, "link", "add", ifA, "type", "veth", "peer", "name", ifB, "netns", nsB)
	l.run("ip", "-n", nsA, "link", "set", ifA, "up")
	l.run("ip", "-n", nsB, "link", "set", ifB, "up")
}

// port links ns to the bridge br of the switch namespace sw, as ifName
// inside ns, with address cidr.
func (l *lab) port(sw, br, ns, ifName, cidr string) {
	l.t.Helper()
	swIf := strings.TrimPrefix(ns, l.prefix)
	l.veth(ns, ifName, sw, swIf)
	l.run("ip", "-n", sw, "link", "set", swIf, "master", br)
	l.addr(ns, ifName, cidr)
}

func (l *lab) addr(ns, ifName, cidr string) {
	l.t.Helper()
	l.run("ip", "-n", ns, "addr", "add", cidr, "dev", ifName)
}

// exec runs a command inside ns.
func (l *lab) exec(ns string, args ...string) {
	l.t.Helper()
	l.run(append([]string{"ip", "netns", "exec", ns}, args...)...)
}

// nft loads a ruleset into ns.
func (l *lab) nft(ns, ruleset string) {
	l.t.Helper()
	cmd := exec.Command("ip", "netns", "exec", ns, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(ruleset)
	if out, err := cmd.CombinedOutput(); err != nil {
		l.t.Fatalf("nft in %s: %v\n%s\nruleset:\n%s", ns, err, out, ruleset)
	}
}

// sysctl sets a sysctl inside ns (net.* sysctls are per namespace).
func (l *lab) sysctl(ns, key, value string) {
	l.t.Helper()
	path := "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
	l.exec(ns, "sh", "-c", fmt.Sprintf("echo %s > %s", value, path))
}

func (l *lab) run(args ...string) {
	l.t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	if out, err := cmd.CombinedOutput(); err != nil {
		l.t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// teardown deletes the namespaces in reverse order of creation, killing
// whatever still runs in them.
func (l *lab) teardown() {
	start := time.Now()
	l.mu.Lock()
	nss := slices.Clone(l.nss)
	l.nss = nil
	l.mu.Unlock()
	for i := len(nss) - 1; i >= 0; i-- {
		if err := deleteNamespace(nss[i]); err != nil {
			l.t.Errorf("teardown: %v", err)
		}
		live.removeNS(nss[i])
	}
	l.t.Logf("removed %d namespaces in %s", len(nss), time.Since(start).Round(time.Millisecond))
}
