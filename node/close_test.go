package node_test

import (
	"context"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/identify"
	identifypb "github.com/libp2p/go-libp2p/p2p/protocol/identify/pb"
	"github.com/libp2p/go-msgio/pbio"

	"github.com/parley-im/parley/node"
	"github.com/parley-im/parley/node/nodetest"
)

// A node closes while its peers keep telling it about changes (identify
// pushes, as when a whole network shuts down together). In go-libp2p
// v0.51.0 the host's observed-address manager stops reading identify
// events before the host closes its connections; pushes that arrived in
// between blocked identify, and then Close, for ever (see closeHost).
// Without closeHost every run of this test hung within its five rounds;
// closing the connections first without waiting for the push handlers
// still hung in about one run in ten on a loaded machine.
func TestCloseWhilePeersPushIdentify(t *testing.T) {
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		if testing.Short() {
			t.Skip("starts 30 hosts per round")
		}
		for round := range 5 {
			if !closeUnderPushes(t, tr) {
				t.Fatalf("round %d: Close did not return within 30 s while peers pushed identify updates", round+1)
			}
		}
	})
}

// closeUnderPushes starts a node and 30 peers on tr that push identify updates
// to it, then closes the node. It reports whether Close returned; when it
// did not, the node and the peers are left running, since closing them
// would hang as well.
func closeUnderPushes(t *testing.T, tr nodetest.Transport) bool {
	n := startUnmanaged(t, tr, initHome(t, node.ProfileLocal))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var peers []host.Host
	closing := false
	defer func() { // a setup failure: everything still closes
		if !closing {
			_ = n.Close()
			for _, h := range peers {
				_ = h.Close()
			}
		}
	}()
	for i := range 30 {
		h, err := libp2p.New(libp2p.ListenAddrStrings(tr.ListenAddr()), libp2p.DisableRelay())
		if err != nil {
			t.Fatal(err)
		}
		peers = append(peers, h)
		if err := h.Connect(ctx, n.Host().Peerstore().PeerInfo(n.Host().ID())); err != nil {
			t.Fatalf("peer %d connects: %v", i, err)
		}
	}
	updates, err := n.Host().EventBus().Subscribe(new(event.EvtPeerProtocolsUpdated))
	if err != nil {
		t.Fatal(err)
	}
	// Each peer sends pushes from several streams at once, so that some
	// are always in flight.
	var pushers sync.WaitGroup
	for _, h := range peers {
		for range 4 {
			pushers.Go(func() {
				for ctx.Err() == nil {
					pushIdentify(ctx, h, n.Host().ID())
				}
			})
		}
	}
	arriving := time.After(30 * time.Second)
	for range 100 { // the pushes are arriving
		select {
		case <-updates.Out():
		case <-arriving:
			_ = updates.Close()
			cancel()
			pushers.Wait()
			t.Fatal("the node saw fewer than 100 protocol updates in 30 s")
		}
	}
	_ = updates.Close()

	closing = true
	closed := make(chan error, 1)
	go func() { closed <- n.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("close: %v", err)
		}
	case <-time.After(30 * time.Second):
		logStuckClose(t)
		return false
	}
	cancel()
	pushers.Wait()
	for _, h := range peers {
		_ = h.Close()
	}
	return true
}

// pushIdentify sends one identify push from h to p: a changed protocol list.
func pushIdentify(ctx context.Context, h host.Host, p peer.ID) {
	s, err := h.NewStream(ctx, p, identify.IDPush)
	if err != nil {
		return
	}
	defer func() { _ = s.Close() }()
	_ = s.SetDeadline(time.Now().Add(5 * time.Second))
	msg := &identifypb.Identify{Protocols: []string{"/parley-test/" + strconv.Itoa(rand.IntN(1000))}}
	if err := pbio.NewDelimitedWriter(s).WriteMsg(msg); err != nil {
		_ = s.Reset()
		return
	}
	_ = s.CloseWrite()
	_, _ = io.Copy(io.Discard, s)
}

// logStuckClose logs the stacks of the goroutines that take part in
// closing or in the event bus, so that a hang shows where it waits. With
// PARLEY_STACKS=<file> every goroutine's stack goes to that file too.
func logStuckClose(t *testing.T) {
	buf := make([]byte, 64<<20)
	buf = buf[:runtime.Stack(buf, true)]
	if path := os.Getenv("PARLEY_STACKS"); path != "" {
		_ = os.WriteFile(path, buf, 0o600)
	}
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if strings.Contains(g, "Close") || strings.Contains(g, "Stop") || strings.Contains(g, "eventbus") {
			t.Log(g)
		}
	}
}
