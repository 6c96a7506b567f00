package main

import (
	"testing"

	"github.com/parley-im/parley/node"
)

// The benchmark's nodes (daemons started with --profile local, in-process
// nodes initialized with the local profile) never reach the public IPFS
// network.
func TestBenchNodesStayOffThePublicNetwork(t *testing.T) {
	c, err := node.ProfileConfig(node.ProfileLocal)
	if err != nil {
		t.Fatal(err)
	}
	if node.UsesPublicAmino(c) || c.Network.PublicRendezvous {
		t.Errorf("the local profile the benchmark runs on has public rendezvous %v, amino_bootstrap %q", c.Network.PublicRendezvous, c.Network.AminoBootstrap)
	}
}
