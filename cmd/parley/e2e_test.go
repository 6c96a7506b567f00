package main_test

// Black-box tests of the parley binary: real daemons with the local
// profile on 127.0.0.1, temporary homes and API port 0, driven by the
// same commands a person types.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binDir holds the binary under test; TestMain removes it at the end.
var binDir string

const (
	// readyTimeout bounds a daemon's start. It is ~20 ms on an idle
	// machine; the margin is for a loaded CI box and a -race binary.
	readyTimeout = 30 * time.Second
	// waitTimeout bounds every other wait: a command, an event, an exit.
	waitTimeout = 20 * time.Second
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "parley-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// build builds the binary under test, once, on first use: `go test -run
// X` for the in-process tests of this package does not pay for it.
var build = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(binDir, "parley")
	args := []string{"build", "-o", bin}
	if raceEnabled() {
		// The daemons run with the race detector too, so that these
		// tests catch races in the daemon, not only in the test.
		args = append(args, "-race")
	}
	out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// parleyBin returns the binary under test.
func parleyBin(t *testing.T) string {
	t.Helper()
	bin, err := build()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// raceEnabled reports whether this test binary was built with -race.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// env is the environment of every parley process: the test's own, minus
// anything PARLEY_ that would leak the developer's setup in, plus extra.
func env(extra ...string) []string {
	var out []string
	gorace := "atexit_sleep_ms=0"
	for _, kv := range os.Environ() {
		switch {
		case strings.HasPrefix(kv, "PARLEY_"):
		case strings.HasPrefix(kv, "GORACE="):
			gorace = strings.TrimPrefix(kv, "GORACE=") + " " + gorace
		default:
			out = append(out, kv)
		}
	}
	// A -race binary sleeps a second before it exits, by default, so
	// that other threads can report; every command here would pay it.
	out = append(out, "GORACE="+gorace)
	return append(out, extra...)
}

// raceReport is how the race detector starts a report on stderr.
const raceReport = "WARNING: DATA RACE"

// result is how a parley command ended.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
}

// run runs one parley command to its end, with extra environment.
func run(t *testing.T, extraEnv []string, args ...string) result {
	t.Helper()
	bin := parleyBin(t) // the first call builds it: not part of the command's time
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env(extraEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("parley %s did not finish within %v\n%s", strings.Join(args, " "), waitTimeout, res)
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("parley %s: %v", strings.Join(args, " "), err)
	}
	if strings.Contains(res.stderr, raceReport) {
		t.Errorf("parley %s had a data race:\n%s", strings.Join(args, " "), res.stderr)
	}
	return res
}

// parley runs a command on home and fails the test unless it exits 0.
func parley(t *testing.T, home string, args ...string) string {
	t.Helper()
	res := run(t, nil, append([]string{"--home", home}, args...)...)
	if res.code != 0 {
		t.Fatalf("parley --home %s %s: %s", home, strings.Join(args, " "), res)
	}
	return res.stdout
}

// syncBuffer collects a process's stderr while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// daemon is a running `parley daemon` and what its ready block said.
type daemon struct {
	home   string
	peer   string   // "peer:" line
	api    string   // "api:" line
	listen []string // "listen:" lines; the first is TCP

	cmd    *exec.Cmd
	log    *syncBuffer   // stderr
	exited chan struct{} // closed when the process is gone
	state  *os.ProcessState
}

// startDaemon starts `parley --home home daemon --profile local --api
// 127.0.0.1:0` and waits for its ready block. The test's cleanup stops it
// with SIGTERM and checks that it exits 0 and removes <home>/api.
func startDaemon(t *testing.T, home string, extraEnv ...string) *daemon {
	t.Helper()
	d := &daemon{home: home, log: &syncBuffer{}, exited: make(chan struct{})}
	d.cmd = exec.Command(parleyBin(t), "--home", home, "daemon", "--profile", "local", "--api", "127.0.0.1:0")
	d.cmd.Env = env(extraEnv...)
	d.cmd.Stderr = d.log
	stdout, err := d.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start daemon: %v", err)
	}
	t.Cleanup(func() { d.stop(t) })

	type line struct{ key, value string }
	lines := make(chan line, 16)
	go func() {
		// Reads the ready block, then drains stdout so that the daemon
		// never blocks on a full pipe, and reaps it at EOF.
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if key, value, ok := strings.Cut(sc.Text(), ": "); ok {
				select {
				case lines <- line{key, value}:
				default: // past the ready block nobody listens
				}
			}
		}
		d.cmd.Wait()
		d.state = d.cmd.ProcessState
		close(d.exited)
	}()

	deadline := time.NewTimer(readyTimeout)
	defer deadline.Stop()
	for d.peer == "" || d.api == "" || len(d.listen) == 0 {
		select {
		case l := <-lines:
			switch l.key {
			case "peer":
				d.peer = l.value
			case "api":
				d.api = l.value
			case "listen":
				d.listen = append(d.listen, l.value)
			}
		case <-d.exited:
			t.Fatalf("daemon on %s exited before it was ready: %v\n%s", home, d.state, d.log)
		case <-deadline.C:
			t.Fatalf("daemon on %s not ready within %v; its log:\n%s", home, readyTimeout, d.log)
		}
	}
	if !strings.HasPrefix(d.listen[0], "/ip4/127.0.0.1/tcp/") || !strings.HasSuffix(d.listen[0], "/p2p/"+d.peer) {
		t.Fatalf("first listen address %q: want 127.0.0.1 TCP with /p2p/%s", d.listen[0], d.peer)
	}
	return d
}

// stop sends SIGTERM and checks a clean exit: status 0 and no api file
// left behind. It does nothing when the daemon is already gone.
func (d *daemon) stop(t *testing.T) {
	t.Helper()
	select {
	case <-d.exited:
		return
	default:
	}
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Errorf("SIGTERM daemon on %s: %v", d.home, err)
	}
	select {
	case <-d.exited:
	case <-time.After(waitTimeout):
		d.cmd.Process.Kill()
		<-d.exited
		t.Errorf("daemon on %s did not stop within %v of SIGTERM; its log:\n%s", d.home, waitTimeout, d.log)
		return
	}
	if strings.Contains(d.log.String(), raceReport) {
		t.Errorf("daemon on %s had a data race; its log:\n%s", d.home, d.log)
	}
	if code := d.state.ExitCode(); code != 0 {
		t.Errorf("daemon on %s exited %d after SIGTERM, want 0; its log:\n%s", d.home, code, d.log)
	}
	if _, err := os.Stat(filepath.Join(d.home, "api")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s/api is still there after a clean stop (%v)", d.home, err)
	}
}

// kill ends the daemon with SIGKILL, as a crash or kill -9 would.
func (d *daemon) kill(t *testing.T) {
	t.Helper()
	if err := d.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill daemon on %s: %v", d.home, err)
	}
	select {
	case <-d.exited:
	case <-time.After(waitTimeout):
		t.Fatalf("daemon on %s still running %v after SIGKILL", d.home, waitTimeout)
	}
}

// event is one line of `parley events --json`.
type event struct {
	ID   uint64 `json:"id"`
	Type string `json:"type"`
	Data struct {
		PeerID string `json:"peer_id"`
	} `json:"data"`
}

// followEvents runs `parley --home home --json events` and returns its
// events. It returns once the stream is live, so nothing that happens
// after it is missed: it asks to resume after event 1, an ID older than
// any of this daemon's (IDs start at the daemon's start time), and the
// daemon answers at once with a reset event, followed by everything it
// has buffered and then by new events. The test's cleanup stops it.
func followEvents(t *testing.T, home string) <-chan event {
	t.Helper()
	cmd := exec.Command(parleyBin(t), "--home", home, "--json", "events", "--since", "1")
	cmd.Env = env()
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start parley events: %v", err)
	}
	events := make(chan event, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(events)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var ev event
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				t.Errorf("parley events printed a line that is not a JSON event: %q", sc.Text())
				continue
			}
			events <- ev
		}
		io.Copy(io.Discard, stdout)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		<-done
		if err := cmd.Wait(); err != nil {
			t.Errorf("parley events did not exit cleanly on SIGTERM: %v\n%s", err, stderr)
		}
	})
	if first := waitEvent(t, events, "reset", ""); first.ID != 0 {
		t.Errorf("reset event with ID %d, want none", first.ID)
	}
	return events
}

// waitEvent returns the next event of type typ (about peer, unless empty),
// skipping others.
func waitEvent(t *testing.T, events <-chan event, typ, peer string) event {
	t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("parley events ended while waiting for %s %s", typ, peer)
			}
			if ev.Type == typ && (peer == "" || ev.Data.PeerID == peer) {
				return ev
			}
		case <-deadline.C:
			t.Fatalf("no %s event for %q within %v", typ, peer, waitTimeout)
		}
	}
}

func peerIDs(t *testing.T, home string) []string {
	t.Helper()
	var peers []struct {
		PeerID string `json:"peer_id"`
	}
	out := parley(t, home, "--json", "peers")
	if err := json.Unmarshal([]byte(out), &peers); err != nil {
		t.Fatalf("parley peers --json printed %q: %v", out, err)
	}
	ids := make([]string, len(peers))
	for i, p := range peers {
		ids[i] = p.PeerID
	}
	return ids
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Two daemons: A connects to B's listen address, A's peers list B, B's
// event stream shows A arriving and, after A disconnects, leaving.
func TestTwoDaemonsConnectAndDisconnect(t *testing.T) {
	t.Parallel()
	a := startDaemon(t, t.TempDir())
	b := startDaemon(t, t.TempDir())
	bEvents := followEvents(t, b.home)

	parley(t, a.home, "connect", b.listen[0])
	if peers := peerIDs(t, a.home); !contains(peers, b.peer) {
		t.Errorf("A's peers after connect: %q, want B %s", peers, b.peer)
	}
	if ev := waitEvent(t, bEvents, "peer_connected", a.peer); ev.ID == 0 {
		t.Errorf("B's peer_connected has no event ID: %+v", ev)
	}

	parley(t, a.home, "disconnect", b.peer)
	waitEvent(t, bEvents, "peer_disconnected", a.peer)
}

// A daemon stopped with SIGTERM and started again has the same peer ID.
func TestRestartKeepsPeerID(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	first := startDaemon(t, home)
	first.stop(t)
	again := startDaemon(t, home)
	if again.peer != first.peer {
		t.Errorf("peer after restart: %s, want %s", again.peer, first.peer)
	}
	// The local profile keeps the ports it picked at init, so friends
	// that remember the addresses find the node again.
	if strings.Join(again.listen, " ") != strings.Join(first.listen, " ") {
		t.Errorf("listen addresses after restart: %v, want %v", again.listen, first.listen)
	}
}

// After kill -9 the api file is stale; the CLI says no daemon runs and how
// to start one, and the next daemon opens the home without help.
func TestStartAfterKill9(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	first := startDaemon(t, home)
	first.kill(t)
	if _, err := os.Stat(filepath.Join(home, "api")); err != nil {
		t.Logf("no stale api file after kill -9 (%v); the check below is weaker", err)
	}

	res := run(t, nil, "--home", home, "peers")
	if res.code == 0 || !strings.Contains(res.stderr, "no parley daemon is running") || !strings.Contains(res.stderr, "parley --home "+home+" daemon") {
		t.Errorf("parley peers with a dead daemon: %s\nwant a non-zero exit saying no daemon runs and how to start one", res)
	}
	res = run(t, nil, "--home", home, "id")
	if res.code != 0 || !strings.Contains(res.stdout, first.peer) || !strings.Contains(res.stdout, "not running") {
		t.Errorf("parley id with a dead daemon: %s\nwant the key's peer and that the daemon is not running", res)
	}

	again := startDaemon(t, home)
	if again.peer != first.peer {
		t.Errorf("peer after kill -9 and restart: %s, want %s", again.peer, first.peer)
	}
	if out := parley(t, home, "id"); !strings.Contains(out, again.peer) {
		t.Errorf("parley id after restart: %q, want peer %s", out, again.peer)
	}
}

// A second daemon on a home that a daemon holds exits at once with a
// message saying so, and leaves the first one alone.
func TestSecondDaemonOnSameHomeFails(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	first := startDaemon(t, home)
	apiBefore, err := os.ReadFile(filepath.Join(home, "api"))
	if err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	res := run(t, nil, "--home", home, "daemon", "--profile", "local", "--api", "127.0.0.1:0")
	if res.code == 0 || !strings.Contains(res.stderr, "another parley daemon holds this home") || !strings.Contains(res.stderr, home) {
		t.Errorf("second daemon: %s\nwant a non-zero exit saying another daemon holds %s", res, home)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the second daemon took %v to give up, want at once", d)
	}
	if apiAfter, _ := os.ReadFile(filepath.Join(home, "api")); !bytes.Equal(apiBefore, apiAfter) {
		t.Errorf("the second daemon changed %s/api: %q → %q", home, apiBefore, apiAfter)
	}
	if out := parley(t, home, "id"); !strings.Contains(out, first.peer) {
		t.Errorf("the first daemon no longer answers as %s: %q", first.peer, out)
	}
}

// An encrypted key opens only with its passphrase: a wrong or missing one
// stops the daemon with a message naming the key file.
func TestEncryptedKeyNeedsItsPassphrase(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	keyFile := filepath.Join(home, "identity.key")
	res := run(t, []string{"PARLEY_PASSPHRASE=right"}, "--home", home, "--json", "init", "--profile", "local")
	if res.code != 0 {
		t.Fatalf("init with a passphrase: %s", res)
	}
	var initRes struct {
		PeerID string `json:"peer_id"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &initRes); err != nil || initRes.PeerID == "" {
		t.Fatalf("parley init --json: %q (%v)", res.stdout, err)
	}
	keyBefore, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		env  []string
		want string
	}{
		{[]string{"PARLEY_PASSPHRASE=wrong"}, "wrong passphrase"},
		{nil, "passphrase required"},
	} {
		res := run(t, tc.env, "--home", home, "daemon", "--api", "127.0.0.1:0")
		if res.code == 0 || !strings.Contains(res.stderr, keyFile) || !strings.Contains(res.stderr, tc.want) {
			t.Errorf("daemon with %q: %s\nwant a non-zero exit naming %s and saying %q", tc.env, res, keyFile, tc.want)
		}
	}
	if keyAfter, _ := os.ReadFile(keyFile); !bytes.Equal(keyBefore, keyAfter) {
		t.Error("a refused passphrase changed the key file")
	}

	d := startDaemon(t, home, "PARLEY_PASSPHRASE=right")
	if d.peer != initRes.PeerID {
		t.Errorf("daemon with the right passphrase runs as %s, want the key's peer %s", d.peer, initRes.PeerID)
	}
}

// A config with an unknown key or a bad value, or a bad flag, stops the
// daemon before it starts, with a message naming the key.
func TestBadConfigStopsDaemon(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		edit       func(config string) string
		flags      []string
		wantInLog  []string
		wantConfig bool // the message names config.toml
	}{
		{
			name:       "unknown key",
			edit:       func(c string) string { return strings.Replace(c, "[network]\n", "[network]\n  mdsn = true\n", 1) },
			wantInLog:  []string{"unknown key", "network.mdsn"},
			wantConfig: true,
		},
		{
			name:       "bad value",
			edit:       func(c string) string { return strings.Replace(c, `dht_mode = "server"`, `dht_mode = "sometimes"`, 1) },
			wantInLog:  []string{"network.dht_mode", "sometimes"},
			wantConfig: true,
		},
		{
			name:      "API flag on every interface",
			flags:     []string{"--api", "0.0.0.0:0"},
			wantInLog: []string{"api.listen", "0.0.0.0:0", "loopback"},
		},
		{
			name:      "bad listen flag",
			flags:     []string{"--listen", "/ip4/127.0.0.1/tcp/notaport"},
			wantInLog: []string{"network.listen", "notaport"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			home := t.TempDir()
			parley(t, home, "init", "--profile", "local")
			config := filepath.Join(home, "config.toml")
			if tc.edit != nil {
				b, err := os.ReadFile(config)
				if err != nil {
					t.Fatal(err)
				}
				edited := tc.edit(string(b))
				if edited == string(b) {
					t.Fatalf("the edit did not apply to:\n%s", b)
				}
				if err := os.WriteFile(config, []byte(edited), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			res := run(t, nil, append([]string{"--home", home, "daemon"}, tc.flags...)...)
			if res.code == 0 {
				t.Fatalf("the daemon started: %s", res)
			}
			for _, w := range tc.wantInLog {
				if !strings.Contains(res.stderr, w) {
					t.Errorf("the message does not mention %q: %s", w, res)
				}
			}
			if tc.wantConfig && !strings.Contains(res.stderr, config) {
				t.Errorf("the message does not name %s: %s", config, res)
			}
			if _, err := os.Stat(filepath.Join(home, "api")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a daemon that refused to start left %s/api (%v)", home, err)
			}
		})
	}
}

// A malformed address is refused with the reason, and nothing connects.
func TestConnectRefusesBadAddress(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, t.TempDir())
	for _, tc := range []struct{ addr, want string }{
		{"not-a-multiaddr", "not-a-multiaddr"},
		{"/ip4/127.0.0.1/tcp/4001", "/p2p/"},
		{d.listen[0], "own peer id"},
	} {
		res := run(t, nil, "--home", d.home, "connect", tc.addr)
		if res.code == 0 || !strings.HasPrefix(res.stderr, "parley: ") || !strings.Contains(res.stderr, tc.want) {
			t.Errorf("connect %q: %s\nwant a non-zero exit and a message mentioning %q", tc.addr, res, tc.want)
		}
	}
	if peers := peerIDs(t, d.home); len(peers) != 0 {
		t.Errorf("peers after refused connects: %q", peers)
	}
}

// With no daemon, a client command says so and how to start one (id
// shows the key's peer ID: TestIDWithoutDaemon).
func TestClientWithoutDaemon(t *testing.T) {
	t.Parallel()
	for _, home := range []string{t.TempDir(), initializedHome(t)} {
		for _, args := range [][]string{{"peers"}, {"connect", "/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWPDDegm63JkTESNwiBARWTcWv9cSd9N1oGgydttPqfY86"}, {"events"}} {
			res := run(t, nil, append([]string{"--home", home}, args...)...)
			if res.code == 0 || !strings.Contains(res.stderr, "no parley daemon is running") || !strings.Contains(res.stderr, "parley --home "+home+" daemon") {
				t.Errorf("parley %s with no daemon: %s\nwant a non-zero exit saying no daemon runs and how to start one", args[0], res)
			}
		}
	}
}

func initializedHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	parley(t, home, "init", "--profile", "local")
	return home
}
