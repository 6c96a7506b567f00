package main

import (
	"context"
	"errors"
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
)

// rawNodeCommand is the hidden subcommand that runs the raw baseline node.
const rawNodeCommand = "raw-node"

// Lines the raw node prints on stdout.
const (
	rawReadyLine      = "ready"
	rawGoroutinesLine = "goroutines: "
)

// runRawNode is `parley-bench raw-node DIR`: the stack Parley is built on,
// with the libraries' defaults and nothing of Parley's. It opens Badger with
// default options in DIR, starts a go-libp2p host on 127.0.0.1 (TCP and
// QUIC), a kad-dht in server mode with the /parley prefix and GossipSub,
// prints "ready", and then prints its goroutine count on every SIGUSR1
// until SIGTERM or SIGINT, when it closes everything and exits 0.
func runRawNode(args []string, stdout io.Writer) (err error) {
	if len(args) != 1 {
		return fmt.Errorf("usage: parley-bench %s DIR", rawNodeCommand)
	}
	// Before anything else: SIGUSR1's default action would kill us.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1)
	defer signal.Stop(sigs)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	db, err := badger.Open(badger.DefaultOptions(args[0]).WithLoggingLevel(badger.WARNING))
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
	if _, err := pubsub.NewGossipSub(ctx, h); err != nil {
		return fmt.Errorf("gossipsub: %w", err)
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
