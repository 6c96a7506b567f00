package node_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/node"
	"github.com/parley-im/parley/node/nodetest"
)

// logRecords is a slog handler that hands records to a test.
type logRecords chan slog.Record

func (c logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (c logRecords) Handle(_ context.Context, r slog.Record) error {
	select {
	case c <- r.Clone():
	default: // a test that stopped reading must not block the node
	}
	return nil
}
func (c logRecords) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c logRecords) WithGroup(string) slog.Handler      { return c }

func attr(r slog.Record, key string) slog.Value {
	var v slog.Value
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v = a.Value
			return false
		}
		return true
	})
	return v
}

// startLocal starts a local-profile node listening on tr, with cfg changed
// by edit and log records sent to logs (when not nil).
func startLocal(t *testing.T, tr nodetest.Transport, logs logRecords, edit func(*node.Config)) *node.Node {
	t.Helper()
	home := node.Home{Dir: t.TempDir()}
	if _, err := node.Init(home, node.ProfileLocal, nil); err != nil {
		t.Fatal(err)
	}
	cfg, err := node.LoadConfig(home.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	nodetest.Only(tr)(&cfg)
	if edit != nil {
		edit(&cfg)
	}
	opts := node.Options{Home: home, Config: cfg}
	if logs != nil {
		opts.Logger = slog.New(logs)
	}
	n, err := node.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return n
}

// unreachablePeer returns the address on tr of a peer that does not
// exist: a fresh peer ID on a loopback port nothing listens on.
func unreachablePeer(t *testing.T, tr nodetest.Transport) string {
	t.Helper()
	var addr string
	if tr == nodetest.QUIC {
		conn, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = fmt.Sprintf("/ip4/127.0.0.1/udp/%d/quic-v1", conn.LocalAddr().(*net.UDPAddr).Port)
		conn.Close()
	} else {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", ln.Addr().(*net.TCPAddr).Port)
		ln.Close()
	}
	_, pub, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id, err := peer.IDFromPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return addr + "/p2p/" + id.String()
}

// An unreachable bootstrap peer is a warning and a doubling backoff: no
// crash, no busy loop, and its status says why.
func TestBootstrapUnreachableBacksOff(t *testing.T) {
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		logs := make(logRecords, 256)
		addr := unreachablePeer(t, tr)
		n := startLocal(t, tr, logs, func(c *node.Config) { c.Network.Bootstrap = []string{addr} })

		type warning struct {
			at    time.Time
			retry time.Duration
		}
		var warns []warning
		deadline := time.After(20 * time.Second)
		for len(warns) < 3 {
			select {
			case r := <-logs:
				if r.Message != "bootstrap peer unreachable" {
					continue
				}
				if r.Level != slog.LevelWarn {
					t.Errorf("level %s, want WARN", r.Level)
				}
				if got := attr(r, "err").String(); got == "" {
					t.Error("warning without the dial error")
				}
				warns = append(warns, warning{at: time.Now(), retry: attr(r, "retry_in").Duration()})
			case <-deadline:
				t.Fatalf("got %d warnings in 20s, want 3", len(warns))
			}
		}
		for i, w := range warns {
			base := time.Second << i // 1s, 2s, 4s with ±20% jitter
			if w.retry < base*8/10-10*time.Millisecond || w.retry > base*12/10+10*time.Millisecond {
				t.Errorf("retry %d in %s, want %s ±20%%", i+1, w.retry, base)
			}
			if i > 0 {
				if gap := w.at.Sub(warns[i-1].at); gap < warns[i-1].retry-50*time.Millisecond {
					t.Errorf("dial %d came %s after the previous warning, which announced %s: no backoff", i+1, gap, warns[i-1].retry)
				}
			}
		}

		st := n.BootstrapPeers()
		if len(st) != 1 || st[0].Connected || st[0].Failures < 3 || st[0].LastError == "" || st[0].NextRetry == nil {
			t.Errorf("status = %+v, want one unconnected peer with 3+ failures, the error and the next retry", st)
		}
		if !strings.HasSuffix(addr, st[0].PeerID) {
			t.Errorf("status peer %s, want the one of %s", st[0].PeerID, addr)
		}
	})
}

// Bootstrap peers added while the node runs are dialed at once; removed
// ones are let go.
func TestBootstrapAddRemove(t *testing.T) {
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		a := startLocal(t, tr, nil, nil)
		b := nodetest.New(t, tr)

		sub := a.Feed().Subscribe(0)
		defer sub.Close()
		st, err := a.AddBootstrap(b.Info().ListenAddrs...)
		if err != nil {
			t.Fatal(err)
		}
		if len(st) != 1 || st[0].PeerID != b.Host().ID().String() || len(st[0].Addrs) != len(b.Info().ListenAddrs) {
			t.Fatalf("AddBootstrap = %+v, want one peer with all its addresses", st)
		}
		waitEvent(t, sub, func(e chat.Event) bool {
			pe, ok := e.Data.(chat.PeerEvent)
			return e.Type == chat.EventPeerConnected && ok && pe.PeerID == b.Host().ID().String()
		})
		// The status follows the connection event; poll briefly for it.
		pollUntil(t, 5*time.Second, func() bool {
			st := a.BootstrapPeers()
			return len(st) == 1 && st[0].Connected
		})

		if err := a.RemoveBootstrap(b.Host().ID().String()); err != nil {
			t.Fatal(err)
		}
		if st := a.BootstrapPeers(); len(st) != 0 {
			t.Errorf("after remove: %+v", st)
		}
		if err := a.RemoveBootstrap(b.Host().ID().String()); !errors.Is(err, node.ErrNotBootstrap) {
			t.Errorf("second remove: %v, want ErrNotBootstrap", err)
		}
		if _, err := a.AddBootstrap(nodetest.Addr(t, tr, a)); !errors.Is(err, node.ErrSelf) {
			t.Errorf("add self: %v, want ErrSelf", err)
		}
	})
}

// Bad bootstrap addresses are errors that name them.
func TestBootstrapBadAddress(t *testing.T) {
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		a := startLocal(t, tr, nil, nil)
		for _, bad := range []string{"/ip4/127.0.0.1/tcp/4001", "not-a-multiaddr", "/ip4/127.0.0.1/tcp/4001/p2p/notapeer"} {
			_, err := a.AddBootstrap(bad)
			if !errors.Is(err, node.ErrBadAddr) || !strings.Contains(err.Error(), bad) {
				t.Errorf("AddBootstrap(%q) = %v, want ErrBadAddr naming it", bad, err)
			}
		}
		if _, err := a.AddBootstrap("/ip4/127.0.0.1/tcp/4001"); err == nil || !strings.Contains(err.Error(), "/p2p/") {
			t.Errorf("an address without /p2p/: %v, want a hint about /p2p/", err)
		}
		if len(a.BootstrapPeers()) != 0 {
			t.Error("a bad address was added")
		}
	})
}

func waitEvent(t *testing.T, sub *chat.Subscription, match func(chat.Event) bool) chat.Event {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case e, ok := <-sub.Events():
			if !ok {
				t.Fatal("feed closed")
			}
			if match(e) {
				return e
			}
		case <-deadline:
			t.Fatal("timed out waiting for an event")
		}
	}
}

// pollUntil checks cond on a short ticker, for state no event announces.
func pollUntil(t *testing.T, timeout time.Duration, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(timeout)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatal("timed out")
		}
	}
}
