package chat

import (
	"crypto/rand"
	"encoding/hex"
	"testing"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/proto"

	"github.com/parley-im/parley/chat/pb"
)

// envelopeFixture is a group in epoch 2: owner and member are in it;
// kicked was a member of epoch 1 and still has that key; outsider never
// was a member.
type envelopeFixture struct {
	view                                    *groupView
	gid                                     []byte
	owner, member, kicked, outsider         crypto.PrivKey
	ownerID, memberID, kickedID, outsiderID peer.ID
}

func newEnvelopeFixture(t testing.TB) *envelopeFixture {
	t.Helper()
	f := &envelopeFixture{gid: make([]byte, 16)}
	_, _ = rand.Read(f.gid)
	f.owner, f.ownerID = newKey(t)
	f.member, f.memberID = newKey(t)
	f.kicked, f.kickedID = newKey(t)
	f.outsider, f.outsiderID = newKey(t)
	members := func(ids ...peer.ID) []*pb.GroupState_Member {
		var ms []*pb.GroupState_Member
		for _, id := range ids {
			ms = append(ms, &pb.GroupState_Member{Peer: []byte(id)})
		}
		return ms
	}
	first := &pb.GroupState{GroupId: f.gid, Epoch: 1, Members: members(f.ownerID, f.memberID, f.kickedID)}
	now := &pb.GroupState{GroupId: f.gid, Epoch: 2, Version: 2, Members: members(f.ownerID, f.memberID)}
	f.view = &groupView{
		id:           hex.EncodeToString(f.gid),
		state:        now,
		keys:         map[uint64][]byte{1: newGroupKey(), 2: newGroupKey()},
		epochMembers: make(map[uint64]map[peer.ID]bool),
	}
	f.view.addEpochMembers(first)
	f.view.addEpochMembers(now)
	return f
}

// message seals a group message by author in epoch with that epoch's key
// (or a fresh key when the fixture has none for it).
func (f *envelopeFixture) message(t testing.TB, author crypto.PrivKey, epoch uint64) []byte {
	t.Helper()
	id, _ := peer.IDFromPrivateKey(author)
	sm, err := signMessage(author, &pb.GroupMessage{GroupId: f.gid, Id: []byte("m1"), Author: []byte(id), Type: "text", Content: []byte("hi"), Epoch: epoch})
	if err != nil {
		t.Fatal(err)
	}
	return f.seal(t, epoch, &pb.GroupPayload{Body: &pb.GroupPayload_Message{Message: sm}})
}

func (f *envelopeFixture) seal(t testing.TB, epoch uint64, p *pb.GroupPayload) []byte {
	t.Helper()
	key, ok := f.view.keys[epoch]
	if !ok {
		key = newGroupKey()
	}
	env, err := seal(key, f.gid, epoch, p)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := proto.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestCheckEnvelope(t *testing.T) {
	f := newEnvelopeFixture(t)
	state, err := signState(f.owner, f.view.state)
	if err != nil {
		t.Fatal(err)
	}
	tampered := f.message(t, f.member, 2)
	tampered[len(tampered)-1] ^= 1
	otherGroup := *f
	otherGroup.gid = []byte("another group id")

	cases := []struct {
		name      string
		data      []byte
		publisher peer.ID
		want      pubsub.ValidationResult
	}{
		{"member in the current epoch", f.message(t, f.member, 2), f.memberID, pubsub.ValidationAccept},
		{"member in the previous epoch", f.message(t, f.member, 1), f.memberID, pubsub.ValidationAccept},
		{"state signed by its publisher", f.seal(t, 2, &pb.GroupPayload{Body: &pb.GroupPayload_State{State: state}}), f.ownerID, pubsub.ValidationAccept},
		{"kicked member with the old key", f.message(t, f.kicked, 1), f.kickedID, pubsub.ValidationReject},
		{"outsider who got the key", f.message(t, f.outsider, 2), f.outsiderID, pubsub.ValidationReject},
		{"relayed under another publisher", f.message(t, f.member, 2), f.ownerID, pubsub.ValidationReject},
		{"tampered ciphertext", tampered, f.memberID, pubsub.ValidationReject},
		{"another group's envelope", otherGroup.message(t, f.member, 2), f.memberID, pubsub.ValidationReject},
		{"epoch whose key is on its way", f.message(t, f.member, 3), f.memberID, pubsub.ValidationIgnore},
		{"empty payload", f.seal(t, 2, &pb.GroupPayload{}), f.memberID, pubsub.ValidationReject},
		{"not protobuf", []byte{0xff, 0xff, 0xff}, f.memberID, pubsub.ValidationReject},
		{"oversized", make([]byte, MaxEnvelopeSize+1), f.memberID, pubsub.ValidationReject},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, got := f.view.checkEnvelope(c.data, c.publisher)
			if got != c.want {
				t.Fatalf("verdict %v, want %v", got, c.want)
			}
			if (res != nil) != (got == pubsub.ValidationAccept) {
				t.Fatalf("payload %v with verdict %v", res, got)
			}
		})
	}
}

// FuzzGroupEnvelope feeds the topic validator arbitrary frames. Whatever
// it accepts must be a message by a current member who published it, or a
// state signed by its publisher; nothing may panic.
func FuzzGroupEnvelope(f *testing.F) {
	fx := newEnvelopeFixture(f)
	publishers := []peer.ID{fx.ownerID, fx.memberID, fx.kickedID, fx.outsiderID}
	state, err := signState(fx.owner, fx.view.state)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(fx.message(f, fx.member, 2), uint8(1))
	f.Add(fx.message(f, fx.owner, 1), uint8(0))
	f.Add(fx.message(f, fx.kicked, 1), uint8(2))
	f.Add(fx.message(f, fx.outsider, 2), uint8(3))
	f.Add(fx.seal(f, 2, &pb.GroupPayload{Body: &pb.GroupPayload_State{State: state}}), uint8(0))
	f.Add([]byte{}, uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, who uint8) {
		publisher := publishers[int(who)%len(publishers)]
		res, verdict := fx.view.checkEnvelope(data, publisher)
		if verdict != pubsub.ValidationAccept {
			if res != nil {
				t.Fatalf("verdict %v with a payload", verdict)
			}
			return
		}
		if res.from != publisher {
			t.Fatalf("accepted a frame from %s published by %s", res.from, publisher)
		}
		if res.message != nil && memberIndex(fx.view.state, res.from) < 0 {
			t.Fatalf("accepted a message by non-member %s", res.from)
		}
	})
}
