package chat

import (
	"context"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/chat/pb"
)

// A member offline during a kick comes back, syncs with the kicked member
// (still a member in its stale state) and stores the kicked member's post
// dated after the kick; once it learns of the kick, the post is dropped
// from its history (issue 11 item 2).
func TestKickDropsTheKickedMembersLaterPosts(t *testing.T) {
	forTransports(t, testKickDropsTheKickedMembersLaterPosts)
}

func testKickDropsTheKickedMembersLaterPosts(t *testing.T, tr transport) {
	owner, members, gid := groupOf(t, tr, 2)
	x, v := members[0], members[1]
	v.stop()
	if _, err := owner.svc.KickFromGroup(gid, x.id()); err != nil {
		t.Fatal(err)
	}
	owner.stop()
	x.stop()
	// x comes back as a hostile host with its own key.
	adv := &adversary{t: t, key: x.key, asks: make(chan *pb.SyncRequest, 64)}
	adv.host = tr.newHost(t, libp2p.Identity(x.key))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var err error
	adv.ps, err = pubsub.NewGossipSub(ctx, adv.host, pubsub.WithFloodPublish(true))
	if err != nil {
		t.Fatal(err)
	}
	adv.host.SetStreamHandler(DMProtocol, adv.serveDM)
	adv.host.SetStreamHandler(SyncProtocol, adv.serveSync)
	gidb, _ := idBytes(gid)
	idb, _ := idBytes(newID())
	forged := signMessageAs(t, x.key, &pb.GroupMessage{GroupId: gidb, Id: idb, Author: []byte(x.id()), Type: "text",
		Content: []byte("posted after my kick"), SentAt: time.Now().UnixNano(), Epoch: 1})
	adv.answerSync(func(peer.ID, *pb.SyncRequest) []*pb.SyncItem {
		return []*pb.SyncItem{{Body: &pb.SyncItem_Message{Message: forged}}}
	})
	v.start()
	cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer ccancel()
	if err := adv.host.Connect(cctx, peer.AddrInfo{ID: v.id(), Addrs: v.host.Addrs()}); err != nil {
		t.Fatal(err)
	}
	has := func() bool {
		for _, m := range v.groupHistory(gid) {
			if m.Content == "posted after my kick" {
				return true
			}
		}
		return false
	}
	// In its stale state v cannot tell: x is still a member there.
	pollUntil(t, "v stores the post from its stale state", has)
	owner.start()
	connect(t, v, owner)
	pollUntil(t, "v learns of the kick", func() bool { return v.heldState(gid).GetVersion() == 2 })
	if has() {
		t.Errorf("the kicked member's post dated after the kick is still in v's history")
	}
}
