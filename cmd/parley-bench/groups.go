package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/storage"
)

var groupsScenario = scenario{
	name: "groups",
	doc:  "group fan-out: delivery ratio and latency p50/p99 at 10/20/50/100 members (raw: GossipSub, same topology)",
	run:  runGroups,
}

// Issue 7's targets: 100% delivery at every size, p99 ≤ 2× raw.
var (
	groupDeliveryTarget = atLeast(100)
	groupP99Target      = atMostRaw(2)
)

const (
	// groupRing is how many following members each member dials, besides
	// the owner: a sparse mesh, as members of a real group would have.
	groupRing = 4
	// groupSenders is how many members write during a measurement.
	groupSenders = 5
	// groupGapPerMember spaces the messages by this much per member (at
	// least 5 ms), so that latency, not queueing, is measured: every
	// message costs each member signature checks and (on Parley's side) a
	// commit, and here all members share this machine's two cores, where
	// each would have its own.
	groupGapPerMember = time.Millisecond
	// groupWait bounds the wait for the last deliveries.
	groupWait = 10 * time.Second
)

func runGroups(ctx context.Context, e *env) ([]Row, error) {
	sizes := []int{10, 20, 50, 100}
	if e.short {
		sizes = []int{10, 20, 50}
	}
	var rows []Row
	for _, n := range sizes {
		got, err := groupRound(ctx, e, n)
		if err != nil {
			return nil, fmt.Errorf("%d members: %w", n, err)
		}
		rows = append(rows, got...)
	}
	return rows, nil
}

// fanout is what one side of a round measured.
type fanout struct {
	latencies []float64 // ms, one per delivery
	expected  int
}

func (f *fanout) add(g fanout) {
	f.latencies = append(f.latencies, g.latencies...)
	f.expected += g.expected
}

func (f fanout) ratio() float64 { return 100 * float64(len(f.latencies)) / float64(f.expected) }

// groupRound sets up a group of n Parley nodes and n raw GossipSub hosts
// side by side, then measures them in alternating batches, so that the
// load of the machine at any moment weighs on both alike. Each batch gives
// a p50 and a p99; the rows show their medians over the batches, so that
// one stall of this shared machine during one batch does not decide the
// figure (the delivery ratio counts every batch).
func groupRound(ctx context.Context, e *env, n int) ([]Row, error) {
	batches := e.runs(5, 3)
	perSender := e.runs(6, 4) // messages per sender and batch

	e.step("%d members: starting nodes", n)
	nodes, err := e.newNodes(fmt.Sprintf("group%d", n), n)
	if err != nil {
		return nil, err
	}
	defer closeNodes(nodes)
	hosts := make([]host.Host, n)
	for i, nd := range nodes {
		hosts[i] = nd.Host()
	}
	nbrs, err := connectGroupTopology(ctx, hosts)
	if err != nil {
		return nil, err
	}
	e.step("%d members: befriending and inviting", n)
	gid, err := makeGroup(ctx, nodes)
	if err != nil {
		return nil, err
	}
	pss := make([]*pubsub.PubSub, n)
	for i, nd := range nodes {
		pss[i] = nd.PubSub()
	}
	if err := waitTopicMesh(ctx, pss, nbrs, chat.GroupTopic(gid)); err != nil {
		return nil, err
	}
	e.step("%d members: raw GossipSub hosts", n)
	raw, err := newRawGroup(ctx, n)
	if err != nil {
		return nil, err
	}
	defer raw.close()
	e.step("%d members: waiting for discovery to settle", n)
	settleConnections(ctx, hosts)

	// A first batch lets GossipSub graft its meshes (it does so on its
	// heartbeat); it is not counted.
	e.step("%d members: warm-up", n)
	if _, err := measureParleyGroup(ctx, nodes, gid, 2); err != nil {
		return nil, err
	}
	if _, err := raw.measure(ctx, 2); err != nil {
		return nil, err
	}
	var parley, rawAll fanout
	var p50, p99, r50, r99 []float64
	for b := 1; b <= batches; b++ {
		e.step("%d members: batch %d/%d", n, b, batches)
		p, err := measureParleyGroup(ctx, nodes, gid, perSender)
		if err != nil {
			return nil, err
		}
		r, err := raw.measure(ctx, perSender)
		if err != nil {
			return nil, err
		}
		parley.add(p)
		rawAll.add(r)
		p50, p99 = append(p50, percentile(p.latencies, 50)), append(p99, percentile(p.latencies, 99))
		r50, r99 = append(r50, percentile(r.latencies, 50)), append(r99, percentile(r.latencies, 99))
	}
	label := fmt.Sprintf("%d members", n)
	delivery := newRow(label+": delivery ratio (%)", "%", parley.ratio(), rawAll.ratio(), groupDeliveryTarget)
	delivery.Runs = parley.expected
	return []Row{
		delivery,
		medianRow(label+": latency p50, median of batches", "ms", p50, r50, noTarget),
		medianRow(label+": latency p99, median of batches", "ms", p99, r99, groupP99Target),
		percentileRow(label+": latency p99, all deliveries", 99, parley.latencies, rawAll.latencies, noTarget),
	}, nil
}

// groupGap is the time between two messages in a group of n.
func groupGap(n int) time.Duration {
	return max(5*time.Millisecond, time.Duration(n)*groupGapPerMember)
}

// pace sleeps until the i-th message after start is due, one every gap:
// both sides write on the same schedule, however long a send takes
// (SendGroup returns after its commit, Publish sooner). This is pacing,
// not waiting for an event.
func pace(start time.Time, i int, gap time.Duration) {
	time.Sleep(time.Until(start.Add(time.Duration(i) * gap)))
}

// connectGroupTopology connects every host to the first (the owner) and
// to the groupRing hosts after it, and returns each host's neighbours.
func connectGroupTopology(ctx context.Context, hs []host.Host) ([][]peer.ID, error) {
	nbrs := make([][]peer.ID, len(hs))
	link := func(i, j int) error {
		if err := connectHosts(ctx, hs[i], hs[j]); err != nil {
			return err
		}
		nbrs[i] = append(nbrs[i], hs[j].ID())
		nbrs[j] = append(nbrs[j], hs[i].ID())
		return nil
	}
	for i := 1; i < len(hs); i++ {
		if err := link(i, 0); err != nil {
			return nil, err
		}
		for k := 1; k <= groupRing && k < len(hs)-1; k++ {
			j := 1 + (i-1+k)%(len(hs)-1)
			if j != i && !slices.Contains(nbrs[i], hs[j].ID()) {
				if err := link(i, j); err != nil {
					return nil, err
				}
			}
		}
	}
	return nbrs, nil
}

// makeGroup makes the first node the owner of a group of all the others:
// each befriends it, is invited and accepts.
func makeGroup(ctx context.Context, nodes []*benchNode) (string, error) {
	owner := nodes[0]
	ids := make([]peer.ID, 0, len(nodes)-1)
	for _, m := range nodes[1:] {
		if err := befriend(ctx, m, owner); err != nil {
			return "", err
		}
		ids = append(ids, m.id())
	}
	watches := make([]*feedWatch, len(nodes))
	for i, m := range nodes {
		watches[i] = watchFeed(m.Feed())
		defer watches[i].close()
	}
	g, err := owner.Chat().CreateGroup("bench", ids)
	if err != nil {
		return "", fmt.Errorf("create group: %w", err)
	}
	for i, m := range nodes[1:] {
		if _, err := watches[i+1].wait(ctx, 20*time.Second, func(ev chat.Event) bool {
			ge, ok := ev.Data.(chat.GroupEvent)
			return ok && ge.Group.GroupID == g.GroupID && ge.Action == chat.GroupInvited
		}); err != nil {
			return "", fmt.Errorf("invitation to member %d: %w", i+1, err)
		}
		if _, err := m.Chat().AcceptInvite(g.GroupID); err != nil {
			return "", fmt.Errorf("accept invitation: %w", err)
		}
	}
	return g.GroupID, nil
}

// waitTopicMesh waits until every host sees its topology neighbours on
// the topic. GossipSub has no event for this; it is polled every 20 ms
// with a deadline.
func waitTopicMesh(ctx context.Context, pss []*pubsub.PubSub, nbrs [][]peer.ID, topic string) error {
	deadline := time.Now().Add(30 * time.Second)
	for i, ps := range pss {
		for {
			on := ps.ListPeers(topic)
			missing := 0
			for _, p := range nbrs[i] {
				if !slices.Contains(on, p) {
					missing++
				}
			}
			if missing == 0 {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("member %d does not see %d of its %d neighbours on the topic", i, missing, len(nbrs[i]))
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	return nil
}

// settleConnections waits (up to 20 s) until no host gains or loses a
// connection for a second: after a group forms, its members find each
// other through the DHT and dial, which would otherwise be measured as
// message latency. There is no event for "done dialing"; the counts are
// polled.
func settleConnections(ctx context.Context, hs []host.Host) {
	count := func() int {
		total := 0
		for _, h := range hs {
			total += len(h.Network().Conns())
		}
		return total
	}
	deadline := time.Now().Add(20 * time.Second)
	last, stableSince := count(), time.Now()
	for time.Now().Before(deadline) && time.Since(stableSince) < time.Second {
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
		if c := count(); c != last {
			last, stableSince = c, time.Now()
		}
	}
}

// measureParleyGroup has groupSenders members write perSender messages
// each and times every delivery: from SendGroup to the message event on
// each other member.
func measureParleyGroup(ctx context.Context, nodes []*benchNode, gid string, perSender int) (fanout, error) {
	watches := make([]*feedWatch, len(nodes))
	for i, nd := range nodes {
		watches[i] = watchFeed(nd.Feed())
		defer watches[i].close()
	}
	sent := make(map[string]time.Time)
	senders := min(groupSenders, len(nodes))
	start := time.Now()
	for k := range perSender {
		for s := range senders {
			t0 := time.Now()
			m, err := nodes[s].Chat().SendGroup(gid, text(k*senders+s, dmSize))
			if err != nil {
				return fanout{}, fmt.Errorf("send to group: %w", err)
			}
			sent[m.ID] = t0
			pace(start, len(sent), groupGap(len(nodes)))
		}
	}
	res := fanout{expected: len(sent) * (len(nodes) - 1)}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make([]error, len(watches))
	for i, w := range watches {
		wg.Go(func() {
			var lat []float64
			lat, errs[i] = collectGroupDeliveries(ctx, w, sent, nodes[i].id().String())
			mu.Lock()
			res.latencies = append(res.latencies, lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return res, errors.Join(errs...)
}

// collectGroupDeliveries gathers the message events of messages in sent
// that self did not write, until it has them all or groupWait passes
// (what is missing then counts as not delivered). It fails only when the
// feed lost events, which would make the count meaningless.
func collectGroupDeliveries(ctx context.Context, w *feedWatch, sent map[string]time.Time, self string) ([]float64, error) {
	var out []float64
	seen := make(map[string]bool)
	deadline := time.NewTimer(groupWait)
	defer deadline.Stop()
	for {
		evs, err := w.take()
		if err != nil {
			return out, err
		}
		for _, ev := range evs {
			m, ok := ev.Data.(storage.Message)
			if !ok || seen[m.ID] {
				continue
			}
			if m.Sender == self {
				seen[m.ID] = true // its own message: no delivery to time
				continue
			}
			if t0, ok := sent[m.ID]; ok {
				seen[m.ID] = true
				out = append(out, millis(ev.at.Sub(t0)))
			}
		}
		if len(seen) >= len(sent) {
			return out, nil
		}
		select {
		case <-w.ready:
		case <-ctx.Done():
			return out, ctx.Err()
		case <-deadline.C:
			return out, nil
		}
	}
}

// rawGroup is the raw baseline: plain go-libp2p hosts with default
// GossipSub on one topic, connected in the same topology as the Parley
// group, publishing with the same pacing.
type rawGroup struct {
	hosts  []host.Host
	topics []*pubsub.Topic
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	received []rawDelivery
}

type rawDelivery struct {
	id string
	at time.Time
}

const rawGroupTopic = "/parley-bench/raw-group"

func newRawGroup(ctx context.Context, n int) (_ *rawGroup, err error) {
	hs, err := newRawHosts(n)
	if err != nil {
		return nil, err
	}
	psCtx, cancel := context.WithCancel(context.Background())
	g := &rawGroup{hosts: hs, topics: make([]*pubsub.Topic, n), cancel: cancel}
	defer func() {
		if err != nil {
			g.close()
		}
	}()
	nbrs, err := connectGroupTopology(ctx, hs)
	if err != nil {
		return nil, err
	}
	pss := make([]*pubsub.PubSub, n)
	for i, h := range hs {
		ps, err := pubsub.NewGossipSub(psCtx, h)
		if err != nil {
			return nil, fmt.Errorf("raw gossipsub: %w", err)
		}
		pss[i] = ps
		if g.topics[i], err = ps.Join(rawGroupTopic); err != nil {
			return nil, fmt.Errorf("raw join: %w", err)
		}
		sub, err := g.topics[i].Subscribe()
		if err != nil {
			return nil, fmt.Errorf("raw subscribe: %w", err)
		}
		self := h.ID()
		g.wg.Go(func() {
			for {
				msg, err := sub.Next(psCtx)
				if err != nil {
					return
				}
				if msg.ReceivedFrom == self {
					continue // its own
				}
				now := time.Now()
				id, _, _ := strings.Cut(string(msg.Data), " ")
				g.mu.Lock()
				g.received = append(g.received, rawDelivery{id, now})
				g.mu.Unlock()
			}
		})
	}
	if err := waitTopicMesh(ctx, pss, nbrs, rawGroupTopic); err != nil {
		return nil, err
	}
	return g, nil
}

func (g *rawGroup) close() {
	g.cancel()
	g.wg.Wait()
	closeHosts(g.hosts)
}

// measure has groupSenders hosts publish perSender messages each, paced
// as on Parley's side, and times every delivery.
func (g *rawGroup) measure(ctx context.Context, perSender int) (fanout, error) {
	n := len(g.hosts)
	g.mu.Lock()
	g.received = nil
	g.mu.Unlock()
	sent := make(map[string]time.Time)
	start := time.Now()
	for k := range perSender {
		for s := range min(groupSenders, n) {
			id := randomID()
			t0 := time.Now()
			if err := g.topics[s].Publish(ctx, []byte(id+" "+text(k, dmSize))); err != nil {
				return fanout{}, fmt.Errorf("raw publish: %w", err)
			}
			sent[id] = t0
			pace(start, len(sent), groupGap(n))
		}
	}
	want := len(sent) * (n - 1)
	count := func() int {
		g.mu.Lock()
		defer g.mu.Unlock()
		return len(g.received)
	}
	// The subscribers append as messages arrive, with the same bound as
	// on Parley's side. There is no event to wait on: polled.
	deadline := time.Now().Add(groupWait)
	for count() < want && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return fanout{}, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	res := fanout{expected: want}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, r := range g.received {
		if t0, ok := sent[r.id]; ok {
			res.latencies = append(res.latencies, millis(r.at.Sub(t0)))
		}
	}
	return res, nil
}
