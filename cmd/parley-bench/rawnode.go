package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/libp2p/go-libp2p"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/storage"
)

// rawNodeCommand is the hidden subcommand that runs the raw baseline node.
const rawNodeCommand = "raw-node"

// Lines the raw node prints on stdout.
const (
	rawReadyLine      = "ready"
	rawGoroutinesLine = "goroutines: "
	rawAddrLine       = "addr: "
)

// runRawNode is `parley-bench raw-node [-tuned] [-topics N] DIR`: the stack
// Parley is built on, with the libraries' defaults and nothing of Parley's.
// It opens Badger with default options in DIR (with -tuned: the options
// Parley's storage gives it), starts a go-libp2p host on 127.0.0.1 (TCP and
// QUIC), a kad-dht in server mode with the /parley prefix and GossipSub,
// joins the topics rawTopic(0) … rawTopic(N-1), prints its addresses
// ("addr: …/p2p/ID") and "ready", and then prints its goroutine count on
// every SIGUSR1 until SIGTERM or SIGINT, when it closes everything and
// exits 0.
func runRawNode(args []string, stdout io.Writer) (err error) {
	fs := flag.NewFlagSet(rawNodeCommand, flag.ContinueOnError)
	tuned := fs.Bool("tuned", false, "open Badger with Parley's storage options")
	topics := fs.Int("topics", 0, "GossipSub topics to join")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: parley-bench %s [-tuned] [-topics N] DIR", rawNodeCommand)
	}
	dir := fs.Arg(0)
	// Before anything else: SIGUSR1's default action would kill us.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1)
	defer signal.Stop(sigs)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	bo := badger.DefaultOptions(dir).WithLoggingLevel(badger.WARNING)
	if *tuned {
		bo = storage.BadgerOptions(dir)
	}
	db, err := badger.Open(bo)
	if err != nil {
		return fmt.Errorf("badger: %w", err)
	}
	defer func() { err = errors.Join(err, db.Close()) }()

	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"))
	if err != nil {
		return fmt.Errorf("libp2p: %w", err)
	}
	defer func() { err = errors.Join(err, h.Close()) }()

	kad, err := dht.New(h, dht.Mode(dht.ModeServer), dht.ProtocolPrefix("/parley"))
	if err != nil {
		return fmt.Errorf("dht: %w", err)
	}
	defer func() { err = errors.Join(err, kad.Close()) }()

	// GossipSub stops when ctx ends, before the DHT and the host close.
	ps, err := pubsub.NewGossipSub(ctx, h)
	if err != nil {
		return fmt.Errorf("gossipsub: %w", err)
	}
	if err := joinRawTopics(ps, *topics); err != nil {
		return err
	}

	addrs, err := peer.AddrInfoToP2pAddrs(&peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()})
	if err != nil {
		return fmt.Errorf("addresses: %w", err)
	}
	for _, a := range addrs {
		fmt.Fprintf(stdout, "%s%s\n", rawAddrLine, a)
	}
	fmt.Fprintln(stdout, rawReadyLine)
	for sig := range sigs {
		if sig != syscall.SIGUSR1 {
			break
		}
		fmt.Fprintf(stdout, "%s%d\n", rawGoroutinesLine, runtime.NumGoroutine())
	}
	cancel()
	return nil
}

// rawTopic is the name of the i-th topic of the raw idle baseline.
func rawTopic(i int) string { return fmt.Sprintf("raw-idle-%d", i) }

// joinRawTopics joins and subscribes to rawTopic(0) … rawTopic(n-1); the
// subscriptions end with the PubSub's context.
func joinRawTopics(ps *pubsub.PubSub, n int) error {
	for i := range n {
		t, err := ps.Join(rawTopic(i))
		if err != nil {
			return fmt.Errorf("join %s: %w", rawTopic(i), err)
		}
		if _, err := t.Subscribe(); err != nil {
			return fmt.Errorf("subscribe %s: %w", rawTopic(i), err)
		}
	}
	return nil
}
