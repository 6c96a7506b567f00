// Command parley-bench measures Parley next to the raw stack it is built on
// (go-libp2p, GossipSub, kad-dht, Badger), with both sides measured in the
// same run on the same machine, and prints one table of figures, ratios and
// targets.
//
// Every figure comes from a scenario (one file each, listed in scenario.go).
// A scenario starts the real `parley` binary with temporary homes and the
// `local` profile, and a raw baseline: for process-level figures that is
// `parley-bench raw-node DIR`, a hidden mode of this command that runs a
// bare go-libp2p host with GossipSub, a kad-dht server (prefix /parley) and
// Badger with default options. All traffic stays on 127.0.0.1.
//
// Usage:
//
//	go run ./cmd/parley-bench [-short] [-run REGEXP] [-json FILE] [-markdown] [-parley PATH] [-idle DURATION] [-v]
//
// The exit status is 0 when every scenario ran, even if a target was missed
// (the table says so), and non-zero only when something failed to run.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
