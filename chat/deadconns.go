package chat

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/p2p/protocol/ping"
	msmux "github.com/multiformats/go-multistream"
)

// probeTimeout bounds the ping that tells whether an older connection to
// a peer that connected again still works. A live connection answers in
// one round trip; a dead one never does, and every moment spent waiting
// delays the messages queued for the peer.
const probeTimeout = time.Second

// dropDeadConns runs when identify has finished on a new connection. A peer
// that connects while we hold an older connection to it may have been
// restarted after a crash or kill -9, or have lost its network: nothing
// told us that the old connection died, so it looks open until its
// transport's idle timeout (30 s on QUIC; TCP and yamux keepalives take as
// long), and libp2p keeps choosing it for new streams because it carries
// more of them. Every older connection is therefore pinged on itself, and
// one that does not answer within probeTimeout is closed; then the peer's
// sender is told, so that its outbox moves to the new connection at once.
// One probe runs per peer at a time; peers that do not speak ping are left
// alone.
func (s *Service) dropDeadConns(ev event.EvtPeerIdentificationCompleted) {
	fresh := ev.Conn
	if fresh == nil || !slices.Contains(ev.Protocols, protocol.ID(ping.ID)) {
		return
	}
	var older []network.Conn
	for _, c := range s.host.Network().ConnsToPeer(ev.Peer) {
		if c != fresh && !c.IsClosed() && c.Stat().Opened.Before(fresh.Stat().Opened) {
			older = append(older, c)
		}
	}
	if len(older) == 0 || !s.probing.start(ev.Peer) {
		return
	}
	s.wg.Go(func() {
		defer s.probing.done(ev.Peer)
		var dropped sync.WaitGroup
		closed := make([]bool, len(older))
		for i, c := range older {
			dropped.Go(func() {
				if err := pingConn(s.ctx, c); err != nil && s.ctx.Err() == nil {
					s.log.Info("closing a dead connection", "peer", ev.Peer, "addr", c.RemoteMultiaddr(), "opened", c.Stat().Opened, "err", err)
					_ = c.Close() // an error means it was closing anyway
					closed[i] = true
				}
			})
		}
		dropped.Wait()
		if slices.Contains(closed, true) {
			s.poke(ev.Peer)
		}
	})
}

// pingConn does one libp2p ping on c itself (a stream opened with
// host.NewStream could land on any connection to the peer).
func pingConn(ctx context.Context, c network.Conn) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	st, err := c.NewStream(network.WithAllowLimitedConn(ctx, "parley: probe"))
	if err != nil {
		return fmt.Errorf("open ping stream: %w", err)
	}
	// A read blocked on a dead connection ends with the service, not
	// only at the deadline (defers run last first: after a success the
	// stream is closed and never reset).
	defer context.AfterFunc(ctx, func() { st.Reset() })()
	ok := false
	defer func() {
		if !ok {
			st.Reset()
		}
	}()
	deadline, _ := ctx.Deadline()
	if err := st.SetDeadline(deadline); err != nil {
		return fmt.Errorf("ping deadline: %w", err)
	}
	if err := st.SetProtocol(ping.ID); err != nil {
		return fmt.Errorf("ping protocol: %w", err)
	}
	// The protocol is negotiated lazily, with the ping's payload: one
	// round trip for both, as host.NewStream does for a known protocol.
	lz := msmux.NewMSSelect(st, protocol.ID(ping.ID))
	want := make([]byte, ping.PingSize)
	rand.Read(want)
	if _, err := lz.Write(want); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	got := make([]byte, ping.PingSize)
	if _, err := io.ReadFull(lz, got); err != nil {
		return fmt.Errorf("ping reply: %w", err)
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("ping reply does not match")
	}
	ok = true
	return st.Close()
}

// probeSet is the peers whose older connections are being probed.
type probeSet struct {
	mu    sync.Mutex
	peers map[peer.ID]bool
}

func newProbeSet() *probeSet { return &probeSet{peers: make(map[peer.ID]bool)} }

// start claims p; false means a probe of p runs already.
func (ps *probeSet) start(p peer.ID) bool {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.peers[p] {
		return false
	}
	ps.peers[p] = true
	return true
}

func (ps *probeSet) done(p peer.ID) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	delete(ps.peers, p)
}
