package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	dht "github.com/libp2p/go-libp2p-kad-dht"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/parley-im/parley/chat"
)

var idleFriendsScenario = scenario{
	name: "idle-friends",
	doc:  "CPU per minute, wake-ups per second and bytes per hour of an idle daemon with 20 friends in 3 groups, 3 windows of 20 s (2 s with -short) (raw: the same stack with 20 raw peers on 3 topics)",
	run:  runIdleFriends,
}

const (
	idleFriends     = 20
	idleGroups      = 3
	idleGroupFriend = 8 // friends per group; group k has friends 6k … 6k+7
)

// groupMembers returns the indexes of the friends in group k.
func groupMembers(k int) []int {
	var m []int
	for i := range idleGroupFriend {
		m = append(m, (6*k+i)%idleFriends)
	}
	return m
}

func runIdleFriends(ctx context.Context, e *env) ([]Row, error) {
	w := e.idleWindows(15 * time.Second)
	e.step("starting the daemon and %d friends", idleFriends)
	d, err := e.startAPIDaemon(ctx, "idle-friends")
	if err != nil {
		return nil, err
	}
	defer d.c.kill()
	target, err := peer.Decode(d.info.PeerID)
	if err != nil {
		return nil, fmt.Errorf("daemon peer ID: %w", err)
	}
	friends, err := e.newNodes("idle-friend", idleFriends)
	if err != nil {
		return nil, err
	}
	defer closeNodes(friends)
	prelays, err := relaysFor(d.info.ListenAddrs, idleFriends)
	if err != nil {
		return nil, err
	}
	defer prelays.close()
	e.step("befriending %d friends and forming %d groups", idleFriends, idleGroups)
	if err := befriendThroughRelays(ctx, d, target, friends, prelays); err != nil {
		return nil, err
	}
	if err := formIdleGroups(ctx, d, target, friends); err != nil {
		return nil, err
	}

	e.step("starting the raw node and %d raw peers", idleFriends)
	dir, err := e.tempDir("idle-friends-raw")
	if err != nil {
		return nil, err
	}
	r, err := startChild("raw-node", e.self, []string{rawNodeCommand, "-tuned", "-topics", fmt.Sprint(idleGroups), dir}, e.verbose)
	if err != nil {
		return nil, err
	}
	defer r.kill()
	rawID, rawAddrs, err := rawNodeAddrs(r)
	if err != nil {
		return nil, err
	}
	rrelays, err := relaysFor(rawAddrs, idleFriends)
	if err != nil {
		return nil, err
	}
	defer rrelays.close()
	peers, err := newRawIdlePeers(ctx, rawID, rrelays)
	if err != nil {
		return nil, err
	}
	defer peers.close()

	ps := &costSide{c: d.c, relays: prelays}
	rs := &costSide{c: r, relays: rrelays}
	if err := measureIdle(ctx, e, fmt.Sprintf("%d friends", idleFriends), w, ps, rs); err != nil {
		return nil, err
	}
	// Every byte between the measured processes and their peers must have
	// gone through the relays, or the counts would be short.
	fhosts := make([]host.Host, len(friends))
	for i, f := range friends {
		fhosts[i] = f.Host()
	}
	if err := onlyThroughRelays(fhosts, target, prelays); err != nil {
		return nil, fmt.Errorf("parley: %w", err)
	}
	if err := onlyThroughRelays(peers.hosts, rawID, rrelays); err != nil {
		return nil, fmt.Errorf("raw: %w", err)
	}
	for _, c := range []*child{d.c, r} {
		if _, err := c.stop(); err != nil {
			return nil, err
		}
	}
	// Seconds-long windows of -short may fall between two keep-alives (15
	// s apart) and count nothing: no target is judged on them.
	trafficTarget := idleTrafficTarget
	if e.short {
		trafficTarget = noTarget
	}
	what := fmt.Sprintf("idle with %d friends in %d groups, median of %s", idleFriends, idleGroups, w)
	span := fmt.Sprintf("idle with %d friends in %d groups, over %s", idleFriends, idleGroups, w)
	return []Row{
		medianRow("CPU per minute, "+what, "ms", ps.out.cpu, rs.out.cpu, idleCPUTarget),
		medianRow("wake-ups per second, "+what, "/s", ps.out.wake, rs.out.wake, noTarget),
		spanRow("traffic sent per hour, "+span, "KiB", ps.out.spanSent, rs.out.spanSent, ps.out.sent, rs.out.sent, noTarget),
		spanRow("traffic received per hour, "+span, "KiB", ps.out.spanRcvd, rs.out.spanRcvd, ps.out.rcvd, rs.out.rcvd, noTarget),
		spanRow("traffic sent + received per hour, "+span, "KiB", ps.out.spanSent+ps.out.spanRcvd, rs.out.spanSent+rs.out.spanRcvd, ps.out.total, rs.out.total, trafficTarget),
	}, nil
}

// relaysFor starts n relays in front of the QUIC address among addrs.
func relaysFor(addrs []string, n int) (relaySet, error) {
	target, err := quicAddr(addrs)
	if err != nil {
		return nil, err
	}
	var rs relaySet
	for range n {
		r, err := newUDPRelay(target)
		if err != nil {
			rs.close()
			return nil, err
		}
		rs = append(rs, r)
	}
	return rs, nil
}

// dialThrough connects h to target through relay r.
func dialThrough(ctx context.Context, h host.Host, target peer.ID, r *udpRelay) error {
	a, err := r.addr()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := h.Connect(ctx, peer.AddrInfo{ID: target, Addrs: []ma.Multiaddr{a}}); err != nil {
		return fmt.Errorf("connect %s through its relay: %w", h.ID().ShortString(), err)
	}
	return nil
}

// befriendThroughRelays connects friend i to the daemon through relay i;
// each friend asks, the daemon accepts through its API.
func befriendThroughRelays(ctx context.Context, d *apiDaemon, target peer.ID, friends []*benchNode, rs relaySet) error {
	want := make(map[string]*feedWatch)
	for i, f := range friends {
		if err := dialThrough(ctx, f.Host(), target, rs[i]); err != nil {
			return err
		}
		w := watchFeed(f.Feed())
		defer w.close()
		req, err := f.Chat().AddFriend(target, "bench")
		if err != nil {
			return fmt.Errorf("friend request: %w", err)
		}
		want[req.ID] = w
	}
	answered := make(map[string]bool)
	err := poll(ctx, 20*time.Millisecond, 20*time.Second, "friend requests to arrive", func() (bool, error) {
		reqs, err := d.client.FriendRequests(ctx, "pending", "in")
		if err != nil {
			return false, err
		}
		for _, r := range reqs {
			if want[r.ID] != nil && !answered[r.ID] {
				if _, err := d.client.AnswerRequest(ctx, r.ID, "accept"); err != nil {
					return false, fmt.Errorf("accept: %w", err)
				}
				answered[r.ID] = true
			}
		}
		return len(answered) == len(want), nil
	})
	if err != nil {
		return err
	}
	for _, w := range want {
		if _, err := w.wait(ctx, 10*time.Second, func(ev chat.Event) bool {
			c, ok := ev.Data.(chat.ContactEvent)
			return ok && c.Contact.UserID == d.info.PeerID && c.Contact.Friend
		}); err != nil {
			return fmt.Errorf("friend request to be accepted: %w", err)
		}
	}
	return nil
}

// formIdleGroups has the daemon create idleGroups groups of friends, and
// waits until every member has accepted and sees the daemon on the topic.
func formIdleGroups(ctx context.Context, d *apiDaemon, target peer.ID, friends []*benchNode) error {
	for k := range idleGroups {
		var ids []string
		members := groupMembers(k)
		watches := make([]*feedWatch, len(members))
		for j, i := range members {
			ids = append(ids, friends[i].id().String())
			watches[j] = watchFeed(friends[i].Feed())
			defer watches[j].close()
		}
		g, err := d.client.CreateGroup(ctx, fmt.Sprintf("idle %d", k), ids)
		if err != nil {
			return fmt.Errorf("create group: %w", err)
		}
		for j, i := range members {
			if _, err := watches[j].wait(ctx, 20*time.Second, func(ev chat.Event) bool {
				ge, ok := ev.Data.(chat.GroupEvent)
				return ok && ge.Group.GroupID == g.GroupID && ge.Action == chat.GroupInvited
			}); err != nil {
				return fmt.Errorf("invitation to friend %d: %w", i, err)
			}
			if _, err := friends[i].Chat().AcceptInvite(g.GroupID); err != nil {
				return fmt.Errorf("accept invitation: %w", err)
			}
		}
		topic := chat.GroupTopic(g.GroupID)
		for _, i := range members {
			ps := friends[i].PubSub()
			if err := poll(ctx, 20*time.Millisecond, 20*time.Second, "members to see the daemon on the group topic", func() (bool, error) {
				return slices.Contains(ps.ListPeers(topic), target), nil
			}); err != nil {
				return err
			}
		}
	}
	return nil
}

// rawNodeAddrs waits for the raw node's ready line and returns its peer ID
// and addresses, printed before it.
func rawNodeAddrs(c *child) (peer.ID, []string, error) {
	var id peer.ID
	var addrs []string
	for {
		l, err := c.waitLine("", readyTimeout)
		if err != nil {
			return "", nil, err
		}
		if l.text == rawReadyLine {
			break
		}
		s, ok := strings.CutPrefix(l.text, rawAddrLine)
		if !ok {
			continue
		}
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			return "", nil, fmt.Errorf("raw-node address %q: %w", s, err)
		}
		info, err := peer.AddrInfoFromP2pAddr(a)
		if err != nil {
			return "", nil, fmt.Errorf("raw-node address %q: %w", s, err)
		}
		id = info.ID
		for _, x := range info.Addrs {
			addrs = append(addrs, x.String())
		}
	}
	if id == "" {
		return "", nil, errors.New("raw-node printed no address")
	}
	return id, addrs, nil
}

// rawIdlePeers are the raw baseline's friends: hosts with kad-dht (server
// mode, /parley) and GossipSub, each on the topics of the groups its
// Parley counterpart is in, connected to the raw node through a relay.
type rawIdlePeers struct {
	hosts  []host.Host
	dhts   []*dht.IpfsDHT
	cancel context.CancelFunc
}

func newRawIdlePeers(ctx context.Context, target peer.ID, rs relaySet) (_ *rawIdlePeers, err error) {
	hs, err := newRawHosts(idleFriends)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithCancel(context.Background())
	p := &rawIdlePeers{hosts: hs, cancel: cancel}
	defer func() {
		if err != nil {
			p.close()
		}
	}()
	topics := make([][]int, idleFriends)
	for k := range idleGroups {
		for _, i := range groupMembers(k) {
			topics[i] = append(topics[i], k)
		}
	}
	for i, h := range hs {
		kad, err := dht.New(h, dht.Mode(dht.ModeServer), dht.ProtocolPrefix("/parley"))
		if err != nil {
			return nil, fmt.Errorf("raw dht: %w", err)
		}
		p.dhts = append(p.dhts, kad)
		ps, err := pubsub.NewGossipSub(pctx, h)
		if err != nil {
			return nil, fmt.Errorf("raw gossipsub: %w", err)
		}
		for _, k := range topics[i] {
			t, err := ps.Join(rawTopic(k))
			if err != nil {
				return nil, fmt.Errorf("raw join: %w", err)
			}
			if _, err := t.Subscribe(); err != nil {
				return nil, fmt.Errorf("raw subscribe: %w", err)
			}
		}
		if err := dialThrough(ctx, h, target, rs[i]); err != nil {
			return nil, err
		}
		if len(topics[i]) > 0 {
			topic := rawTopic(topics[i][0])
			if err := poll(ctx, 20*time.Millisecond, 20*time.Second, "raw peers to see the raw node on a topic", func() (bool, error) {
				return slices.Contains(ps.ListPeers(topic), target), nil
			}); err != nil {
				return nil, err
			}
		}
	}
	return p, nil
}

func (p *rawIdlePeers) close() {
	p.cancel()
	for _, d := range p.dhts {
		_ = d.Close()
	}
	closeHosts(p.hosts)
}

// onlyThroughRelays checks that every connection of the hosts to target
// runs through the hosts' relays (host i through relay i).
func onlyThroughRelays(hs []host.Host, target peer.ID, rs relaySet) error {
	for i, h := range hs {
		want, err := rs[i].addr()
		if err != nil {
			return err
		}
		conns := h.Network().ConnsToPeer(target)
		if len(conns) == 0 {
			return fmt.Errorf("peer %d lost its connection during the idle windows", i)
		}
		for _, c := range conns {
			if !c.RemoteMultiaddr().Equal(want) {
				return fmt.Errorf("peer %d has a connection to %s that bypasses its relay (%s): its bytes were not counted", i, target.ShortString(), c.RemoteMultiaddr())
			}
		}
	}
	return nil
}
