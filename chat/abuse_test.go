package chat

import (
	"context"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

func isReset(err error) bool {
	var se *network.StreamError
	return errors.As(err, &se) || errors.Is(err, network.ErrReset)
}

// sendRaw opens a DM stream to target, writes data, and reports whether
// the target reset the stream (it reads until the stream ends).
func sendRaw(t *testing.T, h host.Host, target *testPeer, data []byte) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.Connect(ctx, peer.AddrInfo{ID: target.id(), Addrs: target.host.Addrs()}); err != nil {
		return err
	}
	st, err := h.NewStream(ctx, target.id(), DMProtocol)
	if err != nil {
		return err
	}
	defer st.Reset()
	st.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := st.Write(data); err != nil {
		return err
	}
	buf := make([]byte, 64)
	for {
		if _, err := st.Read(buf); err != nil {
			return err
		}
	}
}

func TestAbusivePeerIsCutOff(t *testing.T) { forTransports(t, testAbusivePeerIsCutOff) }

func testAbusivePeerIsCutOff(t *testing.T, tr transport) {
	b := newTestPeer(t, tr)
	h := rawHost(t, tr)
	sub, err := h.EventBus().Subscribe(new(event.EvtPeerConnectednessChanged))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()

	oversized := binary.AppendUvarint(nil, MaxFrameSize+1)
	garbage := append(binary.AppendUvarint(nil, 4), 0xff, 0xff, 0xff, 0xff)
	for i, data := range [][]byte{oversized, garbage} {
		if err := sendRaw(t, h, b, data); !isReset(err) {
			t.Fatalf("attempt %d: stream ended with %v, want a reset", i, err)
		}
	}
	if h.Network().Connectedness(b.id()) != network.Connected {
		t.Fatal("disconnected after two strikes; the limit is three")
	}
	sendRaw(t, h, b, oversized)
	// The third strike closes the connection from b's side.
	deadline := time.After(5 * time.Second)
	for h.Network().Connectedness(b.id()) == network.Connected {
		select {
		case <-sub.Out():
		case <-deadline:
			t.Fatal("abuser still connected after three strikes")
		}
	}
	// While banned, its streams are reset at once, before any frame (an
	// open stream would instead run into the 5 s deadline).
	if err := sendRaw(t, h, b, nil); !isReset(err) {
		t.Fatalf("banned peer's stream ended with %v, want a reset", err)
	}
	if convs, err := b.svc.Conversations(); err != nil || len(convs) != 0 {
		t.Fatalf("abuser left conversations %v, %v", convs, err)
	}
}
