package netns

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parley-im/parley/node"
	"github.com/parley-im/parley/node/nodetest"
)

// A stand-in for a server of the public IPFS network (Amino DHT server
// with the /ipfs prefix, circuit relay v2, AutoNAT) runs as this test
// binary itself, re-executed inside a namespace with standInEnv set:
// TestMain then runs the stand-in instead of the tests. That needs no
// second build and keeps the stand-in, which is test equipment, out of
// the parley binary; its code is nodetest.StartAminoStandIn, which the
// node package's loopback tests use too.
const (
	standInEnv       = "PARLEY_E2E_AMINO_STANDIN" // listen addresses, comma-separated
	standInJoinEnv   = "PARLEY_E2E_AMINO_JOIN"    // other stand-ins, comma-separated
	standInAddrLabel = "standin: "
)

// runStandIn runs a stand-in until SIGTERM, printing its addresses and
// then "ready".
func runStandIn() int {
	var join []string
	if j := os.Getenv(standInJoinEnv); j != "" {
		join = strings.Split(j, ",")
	}
	peers, err := node.ParseBootstrap(join)
	if err != nil {
		fmt.Fprintln(os.Stderr, "stand-in:", err)
		return 1
	}
	s, err := nodetest.StartAminoStandIn(strings.Split(os.Getenv(standInEnv), ","), true, peers)
	if err != nil {
		fmt.Fprintln(os.Stderr, "stand-in:", err)
		return 1
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	for _, a := range s.Addrs() {
		fmt.Println(standInAddrLabel + a)
	}
	fmt.Println("ready")
	<-sigs
	if err := s.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "stand-in:", err)
		return 1
	}
	return 0
}

// startStandIn runs a stand-in in ns on ip (TCP and QUIC, port 4001),
// joined to join, and returns its addresses on ip. t.Cleanup stops it.
func startStandIn(t *testing.T, ns, ip string, join []string) []string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", ns, self)
	cmd.Env = append(os.Environ(),
		standInEnv+"=/ip4/"+ip+"/tcp/4001,/ip4/"+ip+"/udp/4001/quic-v1",
		standInJoinEnv+"="+strings.Join(join, ","))
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start stand-in: %v", err)
	}
	live.addProc(cmd.Process)
	exited := make(chan struct{})
	lines := make(chan string, 64)
	go func() { // owned: ends when the stand-in's stdout closes
		defer close(exited)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default: // nobody reads after "ready"; keep draining
			}
		}
		cmd.Wait()
		live.removeProc(cmd.Process)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	var addrs []string
	deadline := time.After(30 * time.Second)
	for {
		select {
		case line := <-lines:
			if a, ok := strings.CutPrefix(line, standInAddrLabel); ok && strings.HasPrefix(a, "/ip4/"+ip+"/") {
				addrs = append(addrs, a)
			}
			if line == "ready" {
				if len(addrs) == 0 {
					t.Fatalf("stand-in in %s listens on no %s address", ns, ip)
				}
				return addrs
			}
		case <-exited:
			t.Fatalf("stand-in in %s exited during start", ns)
		case <-deadline:
			t.Fatalf("stand-in in %s not ready after 30s", ns)
		}
	}
}
