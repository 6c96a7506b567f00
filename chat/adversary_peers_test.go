package chat

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/parley-im/parley/chat/pb"
	"github.com/parley-im/parley/storage"
)

// rawAnswered opens a stream of proto from h to target, writes data, and
// reports whether any byte came back before the stream ended.
func rawAnswered(t *testing.T, h host.Host, target *testPeer, proto protocol.ID, data []byte) (bool, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.Connect(ctx, peer.AddrInfo{ID: target.id(), Addrs: target.host.Addrs()}); err != nil {
		return false, err
	}
	st, err := h.NewStream(ctx, target.id(), proto)
	if err != nil {
		return false, err
	}
	defer st.Reset()
	st.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := st.Write(data); err != nil {
		return false, err
	}
	st.CloseWrite()
	n, err := st.Read(make([]byte, 1))
	return n > 0, err
}

// A ban for abuse of the DM protocol holds on history sync too, also on a
// connection that was let in (here nothing gates connections; the node's
// gater is tested in node/ban_test.go).
func TestBanHoldsOnSync(t *testing.T) { forTransports(t, testBanHoldsOnSync) }

func testBanHoldsOnSync(t *testing.T, tr transport) {
	b := newTestPeer(t, tr)
	h := rawHost(t, tr)
	emptySync := []byte{0} // an empty SyncRequest: answered with an error item
	if ok, err := rawAnswered(t, h, b, SyncProtocol, emptySync); !ok {
		t.Fatalf("sync did not answer before the ban: %v", err)
	}
	oversized := binary.AppendUvarint(nil, MaxFrameSize+1)
	for range maxStrikes {
		sendRaw(t, h, b, oversized)
	}
	// The strike is counted just after the stream is reset.
	pollUntil(t, "the ban after three strikes", func() bool { return b.svc.abuse.banned(h.ID()) })
	// The ban closes the peer's connections just after; a stream opened
	// on one of them while it closes fails instead of being reset.
	pollUntil(t, "the banned peer disconnected", func() bool {
		return b.host.Network().Connectedness(h.ID()) == network.NotConnected
	})
	if ok, err := rawAnswered(t, h, b, SyncProtocol, emptySync); ok || !isReset(err) {
		t.Fatalf("banned peer's sync stream: answered %v, %v; want a reset", ok, err)
	}
}

// requestFrame is a friend request frame from a, with a fresh ID.
func requestFrame(a *adversary, note string) *pb.Frame {
	return a.frame(&pb.Frame{Body: &pb.Frame_FriendRequest{FriendRequest: &pb.FriendRequest{
		Message: note, CreatedAt: time.Now().UnixNano(),
	}}})
}

// requestsFrom returns the victim's stored requests from p.
func requestsFrom(t *testing.T, victim *testPeer, p peer.ID) []storage.FriendRequest {
	t.Helper()
	var out []storage.FriendRequest
	err := victim.store.View(func(tx *storage.Tx) (err error) { out, err = tx.RequestsWith(p.String()); return })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// One stranger sending request after request keeps one live request, the
// latest it got in; past a few, it is told to wait (BUSY, with a retry
// time) instead of piling them up.
func TestRequestSpamKeepsOneLiveRequest(t *testing.T) {
	forTransports(t, testRequestSpamKeepsOneLiveRequest)
}

func testRequestSpamKeepsOneLiveRequest(t *testing.T, tr transport) {
	b := newTestPeer(t, tr)
	a := newAdversary(t, tr)
	a.connect(b)
	var frames []*pb.Frame
	for range 50 {
		frames = append(frames, requestFrame(a, "let me in"))
	}
	acks, err := a.send(b, frames...)
	if err != nil {
		t.Fatal(err)
	}
	var lastOK string
	for i, ack := range acks {
		switch {
		case i < requestBurst && ack.GetResult() == pb.Ack_OK:
			lastOK, _ = idString(frames[i].GetId())
		case i >= requestBurst && ack.GetResult() == pb.Ack_BUSY && ack.GetRetryAfterMs() > 0:
		default:
			t.Fatalf("request %d acked %s (%s, retry after %d ms)", i, ack.GetResult(), ack.GetReason(), ack.GetRetryAfterMs())
		}
	}
	got := requestsFrom(t, b, a.id())
	if len(got) != 1 || got[0].ID != lastOK || got[0].Status != storage.RequestPending {
		t.Fatalf("stored from the spammer: %+v; want only its request %s, pending", got, lastOK)
	}
	// Withdrawn, it is gone, not kept as canceled.
	cancel := a.frame(&pb.Frame{Body: &pb.Frame_FriendResponse{FriendResponse: &pb.FriendResponse{
		RequestId: frames[requestBurst-1].GetId(), Decision: pb.FriendResponse_CANCEL,
	}}})
	a.mustAck(b, pb.Ack_OK, cancel)
	if got := requestsFrom(t, b, a.id()); len(got) != 0 {
		t.Fatalf("after the cancel %d requests are kept", len(got))
	}
}

// A flood of requests from more throwaway identities than the cap never
// hides a new request: the oldest pending ones make room. The identities
// need no hosts of their own: the frames go to the receive path as the DM
// handler hands them over (the wire is tested above, on both transports).
func TestRequestFloodNeverHidesNewRequest(t *testing.T) {
	forTransports(t, testRequestFloodNeverHidesNewRequest)
}

func testRequestFloodNeverHidesNewRequest(t *testing.T, tr transport) {
	b := newTestPeer(t, tr)
	send := func(p peer.ID) (*pb.Ack, string) {
		id := newID()
		raw, _ := idBytes(id)
		res, err := b.svc.receive(p, []*pb.Frame{{Id: raw, Body: &pb.Frame_FriendRequest{FriendRequest: &pb.FriendRequest{
			Message: "spam", CreatedAt: time.Now().UnixNano(),
		}}}})
		if err != nil {
			return &pb.Ack{Reason: err.Error()}, id
		}
		return res.acks[0], id
	}
	// Eight at a time, as many streams would: the storage writer commits
	// them in groups.
	var (
		flood sync.WaitGroup
		sem   = make(chan struct{}, 8)
		bad   = make(chan string, 1)
	)
	for i := range maxPendingRequests + 100 {
		p := randomPeer(t)
		sem <- struct{}{}
		flood.Go(func() {
			defer func() { <-sem }()
			if ack, _ := send(p); ack.GetResult() != pb.Ack_OK {
				select {
				case bad <- fmt.Sprintf("flood request %d acked %s (%s)", i, ack.GetResult(), ack.GetReason()):
				default:
				}
			}
		})
	}
	flood.Wait()
	select {
	case msg := <-bad:
		t.Fatal(msg)
	default:
	}
	real := randomPeer(t)
	ack, id := send(real)
	if ack.GetResult() != pb.Ack_OK {
		t.Fatalf("the real request after the flood was acked %s (%s)", ack.GetResult(), ack.GetReason())
	}
	all, err := b.svc.Requests()
	if err != nil {
		t.Fatal(err)
	}
	pending, found := 0, false
	for _, r := range all {
		if r.Status == storage.RequestPending {
			pending++
			found = found || r.ID == id
		}
	}
	if !found || pending != maxPendingRequests || len(all) != maxPendingRequests {
		t.Fatalf("real request kept: %v; %d pending of %d stored, want %d of %d (the dropped ones are gone)",
			found, pending, len(all), maxPendingRequests, maxPendingRequests)
	}
}

func randomPeer(t *testing.T) peer.ID {
	t.Helper()
	_, pub, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p, err := peer.IDFromPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A ban for garbage frames is stored: after a clean restart of the victim
// the peer is still refused on every protocol, until the ban ends. A ban
// that ended while the node was down is dropped at start.
func TestBanSurvivesRestart(t *testing.T) { forTransports(t, testBanSurvivesRestart) }

func testBanSurvivesRestart(t *testing.T, tr transport) {
	b := newTestPeer(t, tr)
	h := rawHost(t, tr)
	oversized := binary.AppendUvarint(nil, MaxFrameSize+1)
	for range maxStrikes {
		sendRaw(t, h, b, oversized)
	}
	pollUntil(t, "the ban after three strikes", func() bool { return b.svc.abuse.banned(h.ID()) })
	pollUntil(t, "the ban stored", func() bool {
		var bans []storage.Ban
		b.store.View(func(tx *storage.Tx) (err error) { bans, err = tx.Bans(); return })
		return len(bans) == 1 && bans[0].Peer == h.ID().String()
	})
	b.stop()
	expired := randomPeer(t)
	db, err := storage.Open(b.dir, storage.Options{GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *storage.Tx) error {
		return tx.PutBan(storage.Ban{Peer: expired.String(), Until: time.Now().Add(-time.Second)})
	})
	if err := errors.Join(err, db.Close()); err != nil {
		t.Fatal(err)
	}

	b.start()
	if !b.svc.Refuses(h.ID()) {
		t.Fatal("a restarted victim accepts the peer it banned")
	}
	emptySync := []byte{0}
	if ok, err := rawAnswered(t, h, b, SyncProtocol, emptySync); ok || !isReset(err) {
		t.Fatalf("banned peer's sync stream after the restart: answered %v, %v; want a reset", ok, err)
	}
	if b.svc.Refuses(expired) {
		t.Fatal("an expired ban refuses its peer")
	}
	var bans []storage.Ban
	if err := b.store.View(func(tx *storage.Tx) (err error) { bans, err = tx.Bans(); return }); err != nil {
		t.Fatal(err)
	}
	if len(bans) != 1 || bans[0].Peer != h.ID().String() {
		t.Fatalf("stored bans after the restart: %+v, want only %s's", bans, h.ID())
	}
}
