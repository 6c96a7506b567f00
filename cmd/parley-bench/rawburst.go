package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	ma "github.com/multiformats/go-multiaddr"
)

// rawBurstCommand is the hidden subcommand of the burst scenario's raw
// baseline: a process with a go-libp2p host and Badger with its defaults
// that stores what it receives on a stream (acking each frame after the
// commit of its batch) and, told to on stdin, stores and sends a burst.
// It is what Parley's DM path is built from, with none of Parley.
const rawBurstCommand = "raw-burst"

// rawStoreProtocol is rawAckProtocol with the frames stored before the ack.
const rawStoreProtocol protocol.ID = "/parley-bench/store-ack/1.0.0"

// Lines of raw-burst's stdout.
const (
	rawBurstAddrPrefix = "addr: "
	rawBurstSentPrefix = "sent: "
)

// rawBurstBatch bounds the frames stored in one transaction, on both ends,
// and rawBurstBatchBytes their bytes (Badger refuses a transaction of
// 256 × 60 KB with its default options).
const (
	rawBurstBatch      = 256
	rawBurstBatchBytes = 4 << 20
)

// runRawBurst is `parley-bench raw-burst DIR`. It prints "addr: <multiaddr>"
// and "ready", then serves rawStoreProtocol. A line "send ADDR N SIZE" on
// stdin makes it store N messages of SIZE bytes and send them to ADDR,
// pipelined, printing "sent: N" when all are acked. SIGTERM ends it.
func runRawBurst(args []string, stdin io.Reader, stdout io.Writer) (err error) {
	if len(args) != 1 {
		return fmt.Errorf("usage: parley-bench %s DIR", rawBurstCommand)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)

	db, err := openRawBadger(args[0])
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	h, err := newRawHost()
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, h.Close()) }()
	h.SetStreamHandler(rawStoreProtocol, func(s network.Stream) { serveRawStore(db, s) })

	addrs, err := peer.AddrInfoToP2pAddrs(&peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()})
	if err != nil {
		return err
	}
	var out sync.Mutex
	println := func(format string, a ...any) {
		out.Lock()
		defer out.Unlock()
		fmt.Fprintf(stdout, format+"\n", a...)
	}
	println("%s%s", rawBurstAddrPrefix, addrs[0])
	println("%s", rawReadyLine)

	cmds := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			cmds <- sc.Text()
		}
		close(cmds)
	}()
	for {
		select {
		case <-sigs:
			return nil
		case cmd, ok := <-cmds:
			if !ok {
				cmds = nil // stdin closed: wait for the signal
				continue
			}
			n, err := rawBurstSend(h, db, cmd)
			if err != nil {
				return err
			}
			println("%s%d", rawBurstSentPrefix, n)
		}
	}
}

// serveRawStore stores the frames of each batch in one transaction, then
// acks them with a byte each.
func serveRawStore(db *badger.DB, s network.Stream) {
	r := bufio.NewReaderSize(s, 32<<10)
	w := bufio.NewWriterSize(s, 4<<10)
	conv := randomID()
	seq := uint64(0)
	for {
		var batch [][]byte
		bytes := 0
		for len(batch) == 0 || (r.Buffered() > 0 && len(batch) < rawBurstBatch && bytes < rawBurstBatchBytes) {
			n, err := binary.ReadUvarint(r)
			if err != nil || n > maxRawFrame {
				if errors.Is(err, io.EOF) {
					s.Close()
				} else {
					s.Reset()
				}
				return
			}
			buf := make([]byte, n)
			if _, err := io.ReadFull(r, buf); err != nil {
				s.Reset()
				return
			}
			batch = append(batch, buf)
			bytes += len(buf)
		}
		err := db.Update(func(txn *badger.Txn) error {
			for i, b := range batch {
				if err := txn.Set(rawMessageKey(conv, int64(seq)+int64(i), ""), b); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			s.Reset()
			return
		}
		seq += uint64(len(batch))
		for range batch {
			_ = w.WriteByte(1) // sticks; Flush reports it
		}
		if err := w.Flush(); err != nil {
			s.Reset()
			return
		}
	}
}

// rawBurstSend runs "send ADDR N SIZE": it stores the messages in
// transactions of rawBurstBatch and sends each batch after its commit,
// reading acks as they come.
func rawBurstSend(h host.Host, db *badger.DB, cmd string) (int, error) {
	f := strings.Fields(cmd)
	if len(f) != 4 || f[0] != "send" {
		return 0, fmt.Errorf("raw-burst: bad command %q", cmd)
	}
	addr, err := ma.NewMultiaddr(f[1])
	if err != nil {
		return 0, fmt.Errorf("raw-burst: %w", err)
	}
	ai, err := peer.AddrInfoFromP2pAddr(addr)
	if err != nil {
		return 0, fmt.Errorf("raw-burst: %w", err)
	}
	n, err1 := strconv.Atoi(f[2])
	size, err2 := strconv.Atoi(f[3])
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("raw-burst: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := h.Connect(ctx, *ai); err != nil {
		return 0, fmt.Errorf("raw-burst: connect: %w", err)
	}
	s, err := h.NewStream(ctx, ai.ID, rawStoreProtocol)
	if err != nil {
		return 0, fmt.Errorf("raw-burst: stream: %w", err)
	}
	defer s.Close()
	acks := make(chan error, 1)
	go func() {
		r := bufio.NewReader(s)
		for range n {
			if _, err := r.ReadByte(); err != nil {
				acks <- err
				return
			}
		}
		acks <- nil
	}()
	w := bufio.NewWriterSize(s, 32<<10)
	conv := randomID()
	msg := payload(size)
	var pre [binary.MaxVarintLen64]byte
	for sent := 0; sent < n; {
		k := min(rawBurstBatch, max(1, rawBurstBatchBytes/max(size, 1)), n-sent)
		err := db.Update(func(txn *badger.Txn) error {
			for i := range k {
				if err := txn.Set(rawMessageKey(conv, int64(sent+i), ""), msg); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("raw-burst: store: %w", err)
		}
		// A bufio.Writer's errors stick: Flush reports any of them.
		for range k {
			_, _ = w.Write(pre[:binary.PutUvarint(pre[:], uint64(len(msg)))])
			_, _ = w.Write(msg)
		}
		if err := w.Flush(); err != nil {
			return 0, fmt.Errorf("raw-burst: send: %w", err)
		}
		sent += k
	}
	if err := <-acks; err != nil {
		return 0, fmt.Errorf("raw-burst: acks: %w", err)
	}
	return n, nil
}
