package node

import (
	"log/slog"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/network"
)

// The tracker sees go-libp2p's stream handler: a stream handler that is
// still running keeps wait from returning true.
func TestHandlerTrackerCountsRunningHandlers(t *testing.T) {
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"), libp2p.DisableRelay())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	tracker := trackHandlers(h, slog.New(slog.DiscardHandler))

	other, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"), libp2p.DisableRelay())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	entered, release := make(chan struct{}), make(chan struct{})
	h.SetStreamHandler("/parley-test/hold", func(s network.Stream) {
		close(entered)
		<-release
		_ = s.Close()
	})
	ctx := t.Context()
	if err := other.Connect(ctx, h.Peerstore().PeerInfo(h.ID())); err != nil {
		t.Fatal(err)
	}
	s, err := other.NewStream(ctx, h.ID(), "/parley-test/hold")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Reset()
	if _, err := s.Write([]byte{1}); err != nil { // the handler runs once the protocol is read
		t.Fatal(err)
	}
	<-entered
	if tracker.wait(50 * time.Millisecond) {
		t.Fatal("wait returned true while a handler was running")
	}
	close(release)
	if !tracker.wait(10 * time.Second) {
		t.Fatal("wait still false after the handler returned")
	}
}
