package netns

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parley-im/parley/node"
)

// daemon is one parley daemon running in a namespace, with the stream of
// its events.
type daemon struct {
	t    *testing.T
	name string
	ns   string
	home string
	args []string // daemon flags

	id     string   // peer ID, from the "peer:" line
	share  []string // "share:" lines (server profile)
	events *eventLog
	log    string // the daemon's stderr, appended across restarts

	mu      sync.Mutex
	proc    *exec.Cmd
	exited  chan struct{}
	evProc  *exec.Cmd
	readers sync.WaitGroup // stdout and event readers
}

// newDaemon prepares a daemon on home in ns; start runs it.
func newDaemon(t *testing.T, ns, name, home string, args ...string) *daemon {
	d := &daemon{
		t: t, name: name, ns: ns, home: home, args: args,
		events: newEventLog(),
		log:    filepath.Join(t.TempDir(), name+".log"),
	}
	t.Cleanup(func() {
		d.stop()
		if t.Failed() {
			d.dumpLog()
		}
	})
	return d
}

// startDaemon makes and starts a daemon.
func startDaemon(t *testing.T, ns, name, home string, args ...string) *daemon {
	t.Helper()
	d := newDaemon(t, ns, name, home, args...)
	d.start()
	return d
}

// start runs the daemon, waits until it reports ready, and follows its
// events.
func (d *daemon) start() {
	d.t.Helper()
	if err := offThePublicNetwork(d.home, d.args); err != nil {
		d.t.Fatalf("%s: %v", d.name, err)
	}
	logf, err := os.OpenFile(d.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		d.t.Fatal(err)
	}
	defer logf.Close() // the child keeps its own descriptor
	args := append([]string{"netns", "exec", d.ns, parleyBin, "--home", d.home, "daemon"}, d.args...)
	cmd := exec.Command("ip", args...)
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		d.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		d.t.Fatalf("start %s: %v", d.name, err)
	}
	live.addProc(cmd.Process)
	exited := make(chan struct{})
	d.mu.Lock()
	d.proc, d.exited = cmd, exited
	d.mu.Unlock()

	ready := make(chan struct{})
	d.readers.Go(func() {
		// Reads the ready lines, then drains stdout until the daemon
		// exits so that it never blocks on a full pipe.
		sc := bufio.NewScanner(stdout)
		signaled := false
		var share []string
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "peer: "); ok {
				d.mu.Lock()
				d.id = v
				d.mu.Unlock()
			}
			if v, ok := strings.CutPrefix(line, "share: "); ok && strings.HasPrefix(v, "/") {
				share = append(share, v)
			}
			// The api line ends the ready block of a personal node; a
			// server adds its share lines and a hint after it.
			last := strings.HasPrefix(line, "others use this node") || strings.HasPrefix(line, "share: (")
			if !signaled && (last || (strings.HasPrefix(line, "api: ") && !d.isServer())) {
				d.mu.Lock()
				d.share = share
				d.mu.Unlock()
				signaled = true
				close(ready)
			}
		}
		cmd.Wait()
		live.removeProc(cmd.Process)
		close(exited)
		if !signaled {
			close(ready)
		}
	})
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		d.t.Fatalf("%s: not ready after 30s", d.name)
	}
	select {
	case <-exited:
		d.dumpLog()
		d.t.Fatalf("%s exited during start", d.name)
	default:
	}
	d.followEvents()
}

func (d *daemon) isServer() bool {
	for i, a := range d.args {
		if a == "--profile" && i+1 < len(d.args) && d.args[i+1] == "server" {
			return true
		}
	}
	return false
}

// followEvents runs `parley events --json` and feeds d.events. It asks
// for the daemon's buffered events first (--since 1 is before any event
// ID, which start at the daemon's start time in microseconds): the
// stream may connect after the first events of a peer that reaches this
// daemon within its first second.
func (d *daemon) followEvents() {
	cmd := exec.Command("ip", "netns", "exec", d.ns, parleyBin, "--home", d.home, "--json", "events", "--since", "1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		d.t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		d.t.Fatalf("%s: events: %v", d.name, err)
	}
	live.addProc(cmd.Process)
	d.mu.Lock()
	d.evProc = cmd
	d.mu.Unlock()
	d.readers.Go(func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
		for sc.Scan() {
			var ev event
			if err := json.Unmarshal(sc.Bytes(), &ev); err == nil {
				d.events.add(ev)
			}
		}
		cmd.Wait()
		live.removeProc(cmd.Process)
	})
}

// stop ends the daemon with SIGTERM (SIGKILL after 15s) and its event
// stream, and waits for both.
func (d *daemon) stop() {
	d.mu.Lock()
	proc, exited, evProc := d.proc, d.exited, d.evProc
	d.proc, d.evProc = nil, nil
	d.mu.Unlock()
	if proc != nil {
		proc.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			d.t.Errorf("%s did not stop within 15s of SIGTERM; killing it", d.name)
			proc.Process.Kill()
			<-exited
		}
	}
	if evProc != nil {
		evProc.Process.Signal(syscall.SIGTERM)
	}
	d.readers.Wait()
}

// peerID returns the daemon's peer ID.
func (d *daemon) peerID() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.id
}

// cli runs a parley command against this daemon's home and returns its
// stdout; a failure ends the test.
func (d *daemon) cli(args ...string) []byte {
	d.t.Helper()
	out, err := d.tryCLI(args...)
	if err != nil {
		d.t.Fatalf("%s: parley %s: %v", d.name, strings.Join(args, " "), err)
	}
	return out
}

// cliJSON runs a command with --json and decodes its output into v.
func (d *daemon) cliJSON(v any, args ...string) {
	d.t.Helper()
	out := d.cli(append([]string{"--json"}, args...)...)
	if err := json.Unmarshal(out, v); err != nil {
		d.t.Fatalf("%s: parley %s: decode %q: %v", d.name, strings.Join(args, " "), out, err)
	}
}

// tryCLI is cli that returns the error (with stderr) instead.
func (d *daemon) tryCLI(args ...string) ([]byte, error) {
	return runCLI(d.ns, d.home, args...)
}

func runCLI(ns, home string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	full := append([]string{"netns", "exec", ns, parleyBin, "--home", home}, args...)
	cmd := exec.CommandContext(ctx, "ip", full...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// dumpLog prints the end of the daemon's log into the test output.
func (d *daemon) dumpLog() {
	b, err := os.ReadFile(d.log)
	if err != nil {
		return
	}
	const tail = 12 << 10
	if len(b) > tail {
		b = b[len(b)-tail:]
	}
	d.t.Logf("--- %s log (tail) ---\n%s", d.name, b)
}

// logCount counts the lines of the daemon's log that contain s.
func (d *daemon) logCount(s string) int {
	f, err := os.Open(d.log)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(io.LimitReader(f, 64<<20))
	for sc.Scan() {
		if strings.Contains(sc.Text(), s) {
			n++
		}
	}
	return n
}

// decodeJSON decodes CLI output into v; false when it does not parse.
func decodeJSON(b []byte, v any) bool {
	return json.Unmarshal(b, v) == nil
}

// offThePublicNetwork fails when a daemon on home with args would reach
// the real public IPFS network: its config.toml, or for an empty home the
// profile its --profile flag names, has the public Amino bootstrap list.
func offThePublicNetwork(home string, args []string) error {
	path := filepath.Join(home, "config.toml")
	var cfg node.Config
	if _, err := os.Stat(path); err == nil {
		if cfg, err = node.LoadConfig(path); err != nil {
			return err
		}
	} else {
		profile := node.ProfileDefault
		for i, a := range args {
			if a == "--profile" && i+1 < len(args) {
				profile = args[i+1]
			}
		}
		if cfg, err = node.ProfileConfig(profile); err != nil {
			return err
		}
	}
	if node.UsesPublicAmino(cfg) {
		return fmt.Errorf("home %s would reach the public IPFS network: write a config.toml with network.public_rendezvous = false or stand-in amino_bootstrap peers", home)
	}
	return nil
}
