package main

import (
	"context"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/host"

	"github.com/parley-im/parley/chat"
)

var firstMessageScenario = scenario{
	name: "first-message",
	doc:  "first message to a friend with no connection yet: send→delivered, dial included (raw: connect + stream + 1-byte round trip)",
	run:  runFirstMessage,
}

// firstMessageTarget is issue 7's: p50 ≤ 2× raw.
var firstMessageTarget = atMostRaw(2)

// runFirstMessage disconnects two friends before every message, so each
// send has to dial, secure, multiplex and open the DM stream before the
// message can be stored and acked; the raw side does the same dial and
// a one-byte round trip on a new stream.
func runFirstMessage(ctx context.Context, e *env) ([]Row, error) {
	n := e.runs(100, 20)
	e.step("starting two nodes")
	nodes, err := e.newNodes("first", 2)
	if err != nil {
		return nil, err
	}
	defer closeNodes(nodes)
	a, b := nodes[0], nodes[1]
	if err := befriend(ctx, a, b); err != nil {
		return nil, err
	}
	w := watchFeed(a.Feed())
	defer w.close()

	raws, err := newRawHosts(2)
	if err != nil {
		return nil, err
	}
	defer closeHosts(raws)
	serveRawAck(raws[1])

	var pLat, rLat []float64
	for i := range n {
		e.step("message %d/%d", i+1, n)
		if err := disconnect(ctx, a.Host(), b.Host()); err != nil {
			return nil, err
		}
		if _, err := w.take(); err != nil {
			return nil, err
		}
		t0 := time.Now()
		m, err := a.Chat().Send(b.id(), text(i, dmSize))
		if err != nil {
			return nil, fmt.Errorf("send: %w", err)
		}
		ev, err := w.wait(ctx, 20*time.Second, func(ev chat.Event) bool {
			id, ok := isDelivered(ev)
			return ok && id == m.ID
		})
		if err != nil {
			return nil, fmt.Errorf("first message %d: %w", i, err)
		}
		pLat = append(pLat, millis(ev.at.Sub(t0)))

		if err := disconnect(ctx, raws[0], raws[1]); err != nil {
			return nil, err
		}
		t0 = time.Now()
		if err := rawFirstRoundTrip(ctx, raws, payload(1)); err != nil {
			return nil, err
		}
		rLat = append(rLat, millis(time.Since(t0)))
	}
	return []Row{
		percentileRow("first message, no connection, send→delivered, p50 (raw: connect + 1 B round trip)", 50, pLat, rLat, firstMessageTarget),
		percentileRow("first message, no connection, send→delivered, p99 (raw: connect + 1 B round trip)", 99, pLat, rLat, noTarget),
	}, nil
}

// rawFirstRoundTrip dials, opens a stream and does one round trip.
func rawFirstRoundTrip(ctx context.Context, raws []host.Host, p []byte) error {
	if err := connectHosts(ctx, raws[0], raws[1]); err != nil {
		return err
	}
	rc, err := openRawAck(ctx, raws[0], raws[1].ID())
	if err != nil {
		return err
	}
	defer rc.close()
	if err := rc.roundTrip(p); err != nil {
		return fmt.Errorf("raw round trip: %w", err)
	}
	return nil
}
