package netns

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// nsPrefix starts the name of every namespace the suite makes:
// pe2e-<pid of the test process>-<random>-<role>.
const nsPrefix = "pe2e-"

var (
	// skipReason is why the suite cannot run here; empty when it can.
	skipReason string
	// parleyBin is the binary under test.
	parleyBin string
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if os.Getenv(standInEnv) != "" {
		// Re-executed inside a namespace as a stand-in Amino server.
		return runStandIn()
	}
	skipReason = checkEnvironment()
	if skipReason != "" {
		fmt.Fprintf(os.Stderr, "netns suite skipped: %s\n", skipReason)
		return m.Run()
	}
	cleanStale()

	dir, err := os.MkdirTemp("", "parley-e2e-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "netns suite: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if parleyBin = os.Getenv("PARLEY_E2E_BIN"); parleyBin == "" {
		parleyBin = filepath.Join(dir, "parley")
		if err := buildParley(parleyBin); err != nil {
			fmt.Fprintf(os.Stderr, "netns suite: %v\n", err)
			return 1
		}
	}

	// An interrupted run still removes what it made. A closed output pipe
	// (go test ... | head) must not kill the process before its cleanups:
	// with SIGPIPE ignored, writes just fail.
	signal.Ignore(syscall.SIGPIPE)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case s := <-sigs:
			fmt.Fprintf(os.Stderr, "netns suite: %v: removing namespaces and processes\n", s)
			live.teardownAll()
			os.RemoveAll(dir)
			os.Exit(2)
		case <-done:
		}
	})
	defer func() {
		signal.Stop(sigs)
		close(done)
		wg.Wait()
		live.teardownAll() // whatever a test leaked
	}()
	return m.Run()
}

// checkEnvironment returns why the suite cannot run, or "".
func checkEnvironment() string {
	if os.Geteuid() != 0 {
		return fmt.Sprintf("needs root to create network namespaces (running as uid %d); .ci/run runs it as root", os.Geteuid())
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return "needs iproute2 (ip): apt-get install iproute2"
	}
	probe := fmt.Sprintf("%s%d-probe", nsPrefix, os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", probe).CombinedOutput(); err != nil {
		return fmt.Sprintf("ip netns is unavailable here: %v: %s", err, strings.TrimSpace(string(out)))
	}
	if out, err := exec.Command("ip", "netns", "del", probe).CombinedOutput(); err != nil {
		return fmt.Sprintf("ip netns del: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return ""
}

// requireNetns skips the test when the suite cannot run here.
func requireNetns(t *testing.T) {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
}

// requireTool skips the test when a command it needs is missing.
func requireTool(t *testing.T, name, pkg string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("needs %s: apt-get install %s", name, pkg)
	}
}

// buildParley builds cmd/parley once for every test.
func buildParley(out string) error {
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		goBin = "go"
	}
	cmd := exec.Command(goBin, "build", "-o", out, "github.com/parley-im/parley/cmd/parley")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build parley: %v\n%s", err, b)
	}
	return nil
}

// cleanStale removes namespaces (and the processes in them) left by runs
// whose test process is gone.
func cleanStale() {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		rest, ok := strings.CutPrefix(name, nsPrefix)
		if !ok {
			continue
		}
		pidStr, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidStr)
		if err != nil || processAlive(pid) {
			continue
		}
		fmt.Fprintf(os.Stderr, "netns suite: removing %s, left by an earlier run\n", name)
		deleteNamespace(name)
	}
}

// processAlive reports whether pid runs; a zombie (dead, not yet reaped)
// does not count.
func processAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses.
	i := strings.LastIndexByte(string(b), ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}
