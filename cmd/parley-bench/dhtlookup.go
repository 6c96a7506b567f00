package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/identity"
)

var dhtLookupScenario = scenario{
	name: "dht-lookup",
	doc:  "profile lookup latency in 20- and 50-node networks (20 only with -short): Whois (DHT path, cache bypassed) vs raw kad-dht GetValue in a raw network of the same size",
	run:  runDHTLookup,
}

const (
	// dhtDegree is how many next nodes on a ring each node dials, so that
	// routing tables start partial and lookups take hops.
	dhtDegree = 3
	// dhtRawPrefix keeps the raw network's DHT apart from the nodes' one,
	// though the two never connect anyway.
	dhtRawPrefix = "/parley-bench-raw"
)

// dhtLookupTarget is issue 4's: a lookup through Parley costs at most
// half again a raw GetValue.
var dhtLookupTarget = atMostRaw(1.5)

// dhtSizes are the network sizes measured; -short measures the first.
var dhtSizes = []int{20, 50}

// runDHTLookup measures lookups at each network size of dhtSizes.
func runDHTLookup(ctx context.Context, e *env) ([]Row, error) {
	sizes := dhtSizes
	if e.short {
		sizes = sizes[:1]
	}
	var rows []Row
	for _, n := range sizes {
		r, err := dhtLookupAt(ctx, e, n)
		if err != nil {
			return nil, fmt.Errorf("%d nodes: %w", n, err)
		}
		rows = append(rows, r...)
	}
	return rows, nil
}

// dhtLookupAt starts n Parley nodes and n raw hosts with kad-dht, each
// network a ring where every member dials its next three; every member
// publishes a signed profile. Then random members look up random others,
// alternating Parley's Whois with Refresh (both records, profile and
// presence, from the DHT, verified and cached) and a raw GetValue of a
// profile record.
func dhtLookupAt(ctx context.Context, e *env, dhtNodes int) ([]Row, error) {
	lookups := e.runs(300, 60)

	e.step("starting %d nodes", dhtNodes)
	nodes, err := e.newNodes("dht", dhtNodes)
	if err != nil {
		return nil, err
	}
	defer closeNodes(nodes)
	hosts := make([]host.Host, len(nodes))
	for i, n := range nodes {
		hosts[i] = n.Host()
	}
	e.step("starting %d raw hosts with kad-dht", dhtNodes)
	raw, err := newRawDHTNet(dhtNodes)
	if err != nil {
		return nil, err
	}
	defer raw.close()

	e.step("connecting both rings")
	if err := connectRing(ctx, hosts); err != nil {
		return nil, err
	}
	if err := connectRing(ctx, raw.hosts); err != nil {
		return nil, err
	}
	e.step("publishing profiles")
	for i, n := range nodes {
		if _, err := n.Chat().SetNickname(fmt.Sprintf("node-%02d", i)); err != nil {
			return nil, err
		}
	}
	if err := raw.publish(ctx); err != nil {
		return nil, err
	}
	if err := waitPublished(ctx, nodes); err != nil {
		return nil, err
	}

	// Random pairs, the same sequence for both sides.
	rng := rand.New(rand.NewPCG(4, 20))
	pair := func() (int, int) {
		q := rng.IntN(dhtNodes)
		t := (q + 1 + rng.IntN(dhtNodes-1)) % dhtNodes
		return q, t
	}
	e.step("warm-up")
	for range dhtNodes {
		q, t := pair()
		if _, err := whoisOnce(ctx, nodes[q], nodes[t].id()); err != nil {
			return nil, err
		}
		if _, err := raw.lookupOnce(ctx, q, t); err != nil {
			return nil, err
		}
	}
	var pLat, rLat, bLat, dLat []float64
	for i := 1; i <= lookups; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if i%20 == 0 {
			e.step("lookup %d/%d", i, lookups)
		}
		q, t := pair()
		d, err := whoisOnce(ctx, nodes[q], nodes[t].id())
		if err != nil {
			return nil, err
		}
		pLat = append(pLat, d)
		if d, err = raw.lookupOnce(ctx, q, t); err != nil {
			return nil, err
		}
		rLat = append(rLat, d)
		if d, err = raw.lookupBoth(ctx, q, t); err != nil {
			return nil, err
		}
		bLat = append(bLat, d)
		// The nodes' own DHT, called directly: Parley's network settings
		// without Whois (information only).
		t0 := time.Now()
		if _, err := nodes[q].Routing().GetValue(ctx, identity.ProfileKey(nodes[t].id())); err != nil {
			return nil, fmt.Errorf("node GetValue: %w", err)
		}
		dLat = append(dLat, millis(time.Since(t0)))
	}
	name := func(figure string) string { return fmt.Sprintf("%d nodes: %s", dhtNodes, figure) }
	p50 := percentileRow(name("whois, DHT path (raw: GetValue of both records in parallel), p50"), 50, pLat, bLat, dhtLookupTarget)
	p50.ParleySamples, p50.RawSamples = pLat, bLat
	return []Row{
		p50,
		percentileRow(name("whois, DHT path (raw: GetValue of both records in parallel), p99"), 99, pLat, bLat, dhtLookupTarget),
		percentileRow(name("whois, DHT path (raw: GetValue of the profile alone), p50"), 50, pLat, rLat, noTarget),
		percentileRow(name("whois, DHT path (raw: GetValue of the profile alone), p99"), 99, pLat, rLat, noTarget),
		percentileRow(name("GetValue of a profile through a node's own DHT (raw: same), p50"), 50, dLat, rLat, noTarget),
	}, nil
}

// whoisOnce times one Whois that skips the cache, and checks its answer.
func whoisOnce(ctx context.Context, q *benchNode, target peer.ID) (float64, error) {
	t0 := time.Now()
	v, err := q.Chat().Whois(ctx, target, chat.WhoisOptions{Refresh: true})
	took := millis(time.Since(t0))
	if err != nil {
		return 0, fmt.Errorf("whois: %w", err)
	}
	if v.Profile == nil || v.Profile.Source != chat.SourceDHT {
		return 0, fmt.Errorf("whois of %s found no profile in the DHT (warnings %q)", target.ShortString(), v.Warnings)
	}
	return took, nil
}

// connectRing connects each host to the next dhtDegree ones on a ring.
func connectRing(ctx context.Context, hosts []host.Host) error {
	var wg sync.WaitGroup
	errs := make([]error, len(hosts))
	for i := range hosts {
		wg.Go(func() {
			for k := 1; k <= dhtDegree; k++ {
				if err := connectHosts(ctx, hosts[i], hosts[(i+k)%len(hosts)]); err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// waitPublished waits until every node has put its profile in the DHT.
// Publishing runs in the nodes' background with no event to wait on, so
// this polls their publishing state.
func waitPublished(ctx context.Context, nodes []*benchNode) error {
	deadline := time.Now().Add(time.Minute)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		done := 0
		for _, n := range nodes {
			me, err := n.Chat().Me()
			if err != nil {
				return err
			}
			if !me.Published.ProfileAt.IsZero() {
				done++
			}
		}
		if done == len(nodes) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d nodes published their profile within a minute", done, len(nodes))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
