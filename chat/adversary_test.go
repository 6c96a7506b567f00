package chat

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/proto"

	"github.com/parley-im/parley/chat/pb"
	"github.com/parley-im/parley/storage"
)

// adversary is a hostile peer: a plain libp2p host on one transport, with
// its own Ed25519 key, that speaks Parley's protocols by hand with frames
// it forges. It answers DM streams by acking every frame (so a victim's
// outbox empties and the adversary keeps what it got, for replays), can
// be made a friend of a victim through a real request and accept, and
// joins group topics with its own GossipSub.
//
// This file holds the means; each attack is a test in the file of what it
// attacks, built from these methods (an attack that needs another move
// adds a method here).
type adversary struct {
	t    *testing.T
	key  crypto.PrivKey
	host host.Host
	ps   *pubsub.PubSub

	mu   sync.Mutex
	got  []*pb.Frame // DM frames received, in order
	sync func(from peer.ID, req *pb.SyncRequest) []*pb.SyncItem
	asks chan *pb.SyncRequest // sync requests received; never blocks
}

// newAdversary starts a hostile peer on tr, stopped with the test.
func newAdversary(t *testing.T, tr transport) *adversary {
	t.Helper()
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a := &adversary{t: t, key: key, asks: make(chan *pb.SyncRequest, 64)}
	a.host = tr.newHost(t, libp2p.Identity(key))
	ctx, cancel := context.WithCancel(context.Background())
	a.ps, err = pubsub.NewGossipSub(ctx, a.host, pubsub.WithFloodPublish(true))
	if err != nil {
		cancel()
		a.host.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		a.host.Close()
	})
	a.host.SetStreamHandler(DMProtocol, a.serveDM)
	a.host.SetStreamHandler(SyncProtocol, a.serveSync)
	return a
}

func (a *adversary) id() peer.ID { return a.host.ID() }

// connect dials the victim at its current addresses.
func (a *adversary) connect(victim *testPeer) {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.host.Connect(ctx, peer.AddrInfo{ID: victim.id(), Addrs: victim.host.Addrs()}); err != nil {
		a.t.Fatal(err)
	}
}

// befriend becomes a friend of the victim as an honest peer would: it
// sends a friend request and the victim accepts it.
func (a *adversary) befriend(victim *testPeer) {
	a.t.Helper()
	a.connect(victim)
	f := a.frame(&pb.Frame{Body: &pb.Frame_FriendRequest{FriendRequest: &pb.FriendRequest{
		Message: "hello, friend", CreatedAt: time.Now().UnixNano(),
	}}})
	a.mustAck(victim, pb.Ack_OK, f)
	reqID, _ := idString(f.GetId())
	victim.waitEvent(10*time.Second, requestEvent(reqID, storage.RequestPending))
	if _, err := victim.svc.AcceptRequest(reqID); err != nil {
		a.t.Fatal(err)
	}
}

// frame gives f a fresh frame ID and returns it.
func (a *adversary) frame(f *pb.Frame) *pb.Frame {
	f.Id, _ = idBytes(newID())
	return f
}

// send opens a DM stream to the victim, writes the frames as they are
// (IDs included: a replay sends old ones), and returns the victim's acks,
// one per frame. An error is how the stream ended early: the victim reset
// it (isReset) or closed it.
func (a *adversary) send(victim *testPeer, frames ...*pb.Frame) ([]*pb.Ack, error) {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := a.host.NewStream(ctx, victim.id(), DMProtocol)
	if err != nil {
		return nil, fmt.Errorf("open dm stream: %w", err)
	}
	acks, err := a.exchange(st, frames)
	if err != nil {
		st.Reset()
		return acks, err
	}
	return acks, st.Close()
}

func (a *adversary) exchange(st network.Stream, frames []*pb.Frame) ([]*pb.Ack, error) {
	if err := st.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return nil, err
	}
	fw := newFrameWriter(st)
	for _, f := range frames {
		if err := fw.Write(f); err != nil {
			return nil, err
		}
	}
	if err := fw.Flush(); err != nil {
		return nil, err
	}
	if err := st.CloseWrite(); err != nil {
		return nil, err
	}
	fr := newFrameReader(st)
	var acks []*pb.Ack
	for len(acks) < len(frames) {
		f, err := fr.Read()
		if err != nil {
			return acks, err
		}
		if f.GetAck() == nil {
			return acks, fmt.Errorf("the victim sent %T, not an ack", f.GetBody())
		}
		acks = append(acks, f.GetAck())
	}
	return acks, nil
}

// mustAck sends frames and fails the test unless each is acked with want.
func (a *adversary) mustAck(victim *testPeer, want pb.Ack_Result, frames ...*pb.Frame) {
	a.t.Helper()
	acks, err := a.send(victim, frames...)
	if err != nil {
		a.t.Fatalf("send to the victim: %v", err)
	}
	for i, ack := range acks {
		if ack.GetResult() != want {
			a.t.Fatalf("frame %d acked %s (%s), want %s", i, ack.GetResult(), ack.GetReason(), want)
		}
	}
}

// serveDM acks every frame a peer sends and keeps it. It ends the stream
// as an honest receiver does (Close at the end, Reset on error), so that
// its last acks are not lost on QUIC and the victim's outbox empties.
func (a *adversary) serveDM(st network.Stream) {
	fr, fw := newFrameReader(st), newFrameWriter(st)
	for {
		if err := st.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
			st.Reset()
			return
		}
		f, err := fr.Read()
		if errors.Is(err, io.EOF) {
			st.Close()
			return
		}
		if err != nil {
			st.Reset()
			return
		}
		a.mu.Lock()
		a.got = append(a.got, f)
		a.mu.Unlock()
		if err := fw.Write(&pb.Frame{Body: &pb.Frame_Ack{Ack: &pb.Ack{Id: f.GetId()}}}); err != nil {
			st.Reset()
			return
		}
		if !fr.Buffered() {
			if err := fw.Flush(); err != nil {
				st.Reset()
				return
			}
		}
	}
}

// received returns the DM frames received so far.
func (a *adversary) received() []*pb.Frame {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*pb.Frame(nil), a.got...)
}

// answerSync makes the adversary answer every sync request with what
// answer returns (the done item is added); until it is set, requests get
// an error item.
func (a *adversary) answerSync(answer func(from peer.ID, req *pb.SyncRequest) []*pb.SyncItem) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sync = answer
}

func (a *adversary) serveSync(st network.Stream) {
	if err := st.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		st.Reset()
		return
	}
	req := new(pb.SyncRequest)
	if err := newFrameReader(st).ReadMsg(req); err != nil {
		st.Reset()
		return
	}
	select {
	case a.asks <- req:
	default:
	}
	a.mu.Lock()
	answer := a.sync
	a.mu.Unlock()
	items := []*pb.SyncItem{{Error: "no"}}
	if answer != nil {
		items = answer(st.Conn().RemotePeer(), req)
	}
	fw := newFrameWriter(st)
	for _, it := range append(items, &pb.SyncItem{Done: true}) {
		if err := fw.Write(it); err != nil {
			st.Reset()
			return
		}
	}
	if err := fw.Flush(); err != nil {
		st.Reset()
		return
	}
	st.Close()
}

// waitSyncRequest waits for the next sync request a victim sends the
// adversary.
func (a *adversary) waitSyncRequest(timeout time.Duration) *pb.SyncRequest {
	a.t.Helper()
	select {
	case req := <-a.asks:
		return req
	case <-time.After(timeout):
		a.t.Fatalf("no sync request within %v", timeout)
		return nil
	}
}

// requestSync asks the victim for history, as a member coming back would,
// and returns its answer up to the done item.
func (a *adversary) requestSync(victim *testPeer, req *pb.SyncRequest) ([]*pb.SyncItem, error) {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := a.host.NewStream(ctx, victim.id(), SyncProtocol)
	if err != nil {
		return nil, fmt.Errorf("open sync stream: %w", err)
	}
	items, err := readSyncAnswer(st, req)
	if err != nil {
		st.Reset()
		return items, err
	}
	return items, st.Close()
}

func readSyncAnswer(st network.Stream, req *pb.SyncRequest) ([]*pb.SyncItem, error) {
	if err := st.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return nil, err
	}
	fw := newFrameWriter(st)
	if err := fw.Write(req); err != nil {
		return nil, err
	}
	if err := fw.Flush(); err != nil {
		return nil, err
	}
	if err := st.CloseWrite(); err != nil {
		return nil, err
	}
	fr := newFrameReader(st)
	var items []*pb.SyncItem
	for {
		it := new(pb.SyncItem)
		if err := fr.ReadMsg(it); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return items, err
		}
		if it.GetDone() {
			return items, nil
		}
		items = append(items, it)
	}
}

// signState signs a state with the adversary's key; signStateAs with any.
func (a *adversary) signState(st *pb.GroupState) *pb.SignedState {
	return signStateAs(a.t, a.key, st)
}

func signStateAs(t *testing.T, key crypto.PrivKey, st *pb.GroupState) *pb.SignedState {
	t.Helper()
	ss, err := signState(key, st)
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

// signMessage signs a group message with key (the author's).
func signMessageAs(t *testing.T, key crypto.PrivKey, m *pb.GroupMessage) *pb.SignedMessage {
	t.Helper()
	sm, err := signMessage(key, m)
	if err != nil {
		t.Fatal(err)
	}
	return sm
}

// inviteFrame is a group invitation carrying ss and the key of epoch.
func (a *adversary) inviteFrame(ss *pb.SignedState, epoch uint64, key []byte) *pb.Frame {
	return a.frame(&pb.Frame{Body: &pb.Frame_GroupInvite{GroupInvite: &pb.GroupInvite{
		State: ss, Key: &pb.EpochKey{Epoch: epoch, Key: key},
	}}})
}

// keyFrame is a group key update carrying ss and the key of epoch.
func (a *adversary) keyFrame(ss *pb.SignedState, epoch uint64, key []byte) *pb.Frame {
	return a.frame(&pb.Frame{Body: &pb.Frame_GroupKey{GroupKey: &pb.GroupKey{
		State: ss, Key: &pb.EpochKey{Epoch: epoch, Key: key},
	}}})
}

// joinTopic subscribes the adversary to a group's topic, with no
// validator: it sees every envelope that reaches it, and can publish
// anything.
func (a *adversary) joinTopic(gid string) (*pubsub.Topic, *pubsub.Subscription) {
	a.t.Helper()
	topic, err := a.ps.Join(GroupTopic(gid))
	if err != nil {
		a.t.Fatal(err)
	}
	sub, err := topic.Subscribe()
	if err != nil {
		a.t.Fatal(err)
	}
	a.t.Cleanup(sub.Cancel)
	return topic, sub
}

// heldState returns p's current state of a group, decoded, for forging
// states that look like it.
func (p *testPeer) heldState(gid string) *pb.GroupState {
	p.t.Helper()
	v, ok := p.svc.groups.get(gid)
	if !ok {
		p.t.Fatalf("%s holds no group %s", p.id(), gid)
	}
	return proto.Clone(v.state).(*pb.GroupState)
}

// heldKey returns the key p holds for an epoch of a group (nil: none).
func (p *testPeer) heldKey(gid string, epoch uint64) []byte {
	p.t.Helper()
	var key []byte
	err := p.store.View(func(tx *storage.Tx) error {
		k, err := tx.GroupKey(gid, epoch)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		key = k
		return err
	})
	if err != nil {
		p.t.Fatal(err)
	}
	return key
}
