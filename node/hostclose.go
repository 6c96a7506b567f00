package node

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
)

// handlerDrainTimeout bounds how long closeHost waits for inbound stream
// handlers once the connections are closed.
const handlerDrainTimeout = 10 * time.Second

// closeHost closes h's network, waits for the inbound stream handlers
// that were running to return, then closes h.
//
// go-libp2p v0.51.0 stops its observed-address manager, which reads every
// identify result from the event bus, before the rest of the host, and
// that manager stops reading without unsubscribing. Identify results
// emitted after that (pushes from peers, many when a whole network shuts
// down together) fill its channel; the next one blocks identify with the
// event bus locked, and the host's own Close then waits for that lock for
// ever. Closing the connections first stops new pushes; waiting for the
// handlers lets the pushes already read reach the manager while it still
// reads. Identify responses to our own requests run outside any stream
// handler and are not waited for; one read just as the connections close
// is the small window left.
func closeHost(h host.Host, handlers *handlerTracker, log *slog.Logger) error {
	netErr := h.Network().Close()
	if !handlers.wait(handlerDrainTimeout) {
		log.Warn("inbound stream handlers still running after the connections closed; closing the host anyway",
			"waited", handlerDrainTimeout)
	}
	if err := h.Close(); err != nil {
		return fmt.Errorf("close host: %w", err)
	}
	if netErr != nil {
		return fmt.Errorf("close network: %w", netErr)
	}
	return nil
}

// handlerTracker counts the inbound stream handlers that are running.
type handlerTracker struct {
	mu      sync.Mutex
	running int
	idle    chan struct{} // closed when running drops to zero; nil while it is zero
}

// trackHandlers wraps the stream handler of h's network so that the
// returned tracker counts its running calls. A network without a handler
// to wrap (not go-libp2p's swarm) gets a tracker that never waits, and a
// warning.
func trackHandlers(h host.Host, log *slog.Logger) *handlerTracker {
	t := new(handlerTracker)
	sw, ok := h.Network().(interface{ StreamHandler() network.StreamHandler })
	var inner network.StreamHandler
	if ok {
		inner = sw.StreamHandler()
	}
	if inner == nil {
		log.Warn("cannot count the host's running stream handlers; closing will not wait for them",
			"network", fmt.Sprintf("%T", h.Network()))
		return t
	}
	h.Network().SetStreamHandler(func(s network.Stream) {
		t.begin()
		defer t.end()
		inner(s)
	})
	return t
}

func (t *handlerTracker) begin() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.running++
	if t.running == 1 {
		t.idle = make(chan struct{})
	}
}

func (t *handlerTracker) end() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.running--
	if t.running == 0 {
		close(t.idle)
		t.idle = nil
	}
}

// wait reports whether no handler runs, waiting up to timeout for the
// running ones to return.
func (t *handlerTracker) wait(timeout time.Duration) bool {
	t.mu.Lock()
	idle := t.idle
	t.mu.Unlock()
	if idle == nil {
		return true
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-idle:
		return true
	case <-timer.C:
		return false
	}
}
