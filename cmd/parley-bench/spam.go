package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/proto"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/chat/pb"
	"github.com/parley-im/parley/storage"
)

var spamScenario = scenario{
	name: "spam",
	doc:  "friend-request spam against a node: cost of a request from a new identity with the store empty and with the pending cap full, one stranger's request storm, and whether a new peer's request still shows (raw: connect + stream round trip)",
	run:  runSpam,
}

// spamIdentities is how many throwaway identities flood the node: more
// than its cap of 1,000 pending requests, so that the last ones find it
// full.
const spamIdentities = 1100

// spamSample is how many requests each median is taken over.
const spamSample = 100

func runSpam(ctx context.Context, e *env) ([]Row, error) {
	e.step("starting a node")
	target, err := e.newNode("spam")
	if err != nil {
		return nil, err
	}
	defer closeNodes([]*benchNode{target})
	raws, err := newRawHosts(1)
	if err != nil {
		return nil, err
	}
	defer closeHosts(raws)
	serveRawAck(raws[0])

	var first, last, rawFirst, rawLast []float64
	sample := func(i int) error {
		d, res, err := requestAsNewIdentity(ctx, target.Host(), 1)
		if err != nil {
			return err
		}
		if res[0] != pb.Ack_OK {
			return fmt.Errorf("request %d acked %s", i, res[0])
		}
		rd, err := rawRoundTripAsNewIdentity(ctx, raws[0])
		if err != nil {
			return err
		}
		if i < spamSample {
			first, rawFirst = append(first, millis(d)), append(rawFirst, millis(rd))
		} else {
			last, rawLast = append(last, millis(d)), append(rawLast, millis(rd))
		}
		return nil
	}
	e.step("the first %d identities, one at a time", spamSample)
	for i := range spamSample {
		if err := sample(i); err != nil {
			return nil, err
		}
	}
	e.step("%d more identities, four at a time", spamIdentities-2*spamSample)
	if err := floodIdentities(ctx, target.Host(), spamIdentities-2*spamSample); err != nil {
		return nil, err
	}
	e.step("the last %d identities, one at a time", spamSample)
	for i := range spamSample {
		if err := sample(spamIdentities - spamSample + i); err != nil {
			return nil, err
		}
	}

	e.step("one stranger's storm")
	const storm = 200
	_, res, err := requestAsNewIdentity(ctx, target.Host(), storm)
	if err != nil {
		return nil, err
	}
	busy := 0
	for _, r := range res {
		if r == pb.Ack_BUSY {
			busy++
		}
	}
	e.step("a new peer after the flood")
	_, res, err = requestAsNewIdentity(ctx, target.Host(), 1)
	if err != nil {
		return nil, err
	}
	reqs, err := target.Chat().Requests()
	if err != nil {
		return nil, err
	}
	pending := 0
	for _, r := range reqs {
		if r.Status == storage.RequestPending && !r.Outgoing {
			pending++
		}
	}
	shown := 0.0
	if res[0] == pb.Ack_OK && len(reqs) > 0 && reqs[0].Status == storage.RequestPending {
		shown = 1 // Requests lists newest first: the new peer's is on top
	}
	label := count(spamIdentities) + " identities"
	return []Row{
		medianRow(fmt.Sprintf("friend request from a new identity → ack, median of the first %d (ms; raw: connect + stream round trip)", spamSample), "ms", first, rawFirst, noTarget),
		medianRow(fmt.Sprintf("friend request from a new identity → ack, median of the last %d of %s, cap of 1,000 pending full (ms; raw: the same)", spamSample, label), "ms", last, rawLast, atMostRaw(3)),
		newRow(fmt.Sprintf("one stranger's storm of %d requests on one stream: answered BUSY", storm), "count", float64(busy), math.NaN(), atLeast(storm-3)),
		newRow(fmt.Sprintf("requests stored after %s and the storm (all of them pending; raw: sent)", label), "count", float64(len(reqs)), float64(spamIdentities+storm+1), atMost(1000)),
		newRow("a new peer's request after the flood is pending, on top of the list (1 = yes)", "count", shown, math.NaN(), atLeast(1)),
	}, nil
}

// floodIdentities sends one request from each of n new identities, four
// at a time.
func floodIdentities(ctx context.Context, target host.Host, n int) error {
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	next := make(chan int)
	for range 4 {
		wg.Go(func() {
			for i := range next {
				_, res, err := requestAsNewIdentity(ctx, target, 1)
				if err == nil && res[0] != pb.Ack_OK {
					err = fmt.Errorf("flood request %d acked %s", i, res[0])
				}
				if err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// requestAsNewIdentity starts a host with a new key, connects to target,
// sends n friend requests on one DM stream and returns the time from the
// start of the connect to the last ack, and the acks' results.
func requestAsNewIdentity(ctx context.Context, target host.Host, n int) (time.Duration, []pb.Ack_Result, error) {
	h, err := libp2p.New(libp2p.NoListenAddrs, libp2p.DisableRelay())
	if err != nil {
		return 0, nil, fmt.Errorf("spam host: %w", err)
	}
	defer closeHosts([]host.Host{h})
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	t0 := time.Now()
	if err := h.Connect(ctx, addrInfo(target)); err != nil {
		return 0, nil, fmt.Errorf("spam connect: %w", err)
	}
	st, err := h.NewStream(ctx, target.ID(), chat.DMProtocol)
	if err != nil {
		return 0, nil, fmt.Errorf("spam stream: %w", err)
	}
	defer st.Close()
	if err := st.SetDeadline(time.Now().Add(20 * time.Second)); err != nil {
		return 0, nil, err
	}
	w := bufio.NewWriter(st)
	for range n {
		id := make([]byte, 16)
		_, _ = rand.Read(id)
		b, err := proto.Marshal(&pb.Frame{Id: id, Body: &pb.Frame_FriendRequest{FriendRequest: &pb.FriendRequest{
			Message: "hello from a stranger", CreatedAt: time.Now().UnixNano(),
		}}})
		if err != nil {
			return 0, nil, err
		}
		if _, err := w.Write(binary.AppendUvarint(nil, uint64(len(b)))); err != nil {
			return 0, nil, err
		}
		if _, err := w.Write(b); err != nil {
			return 0, nil, err
		}
	}
	if err := w.Flush(); err != nil {
		return 0, nil, err
	}
	r := bufio.NewReader(st)
	results := make([]pb.Ack_Result, 0, n)
	for range n {
		size, err := binary.ReadUvarint(r)
		if err != nil || size > 1<<16 {
			return 0, nil, fmt.Errorf("spam ack %d: %v (size %d)", len(results), err, size)
		}
		buf := make([]byte, size)
		if _, err := io.ReadFull(r, buf); err != nil {
			return 0, nil, err
		}
		var f pb.Frame
		if err := proto.Unmarshal(buf, &f); err != nil || f.GetAck() == nil {
			return 0, nil, fmt.Errorf("spam ack %d: not an ack (%v)", len(results), err)
		}
		results = append(results, f.GetAck().GetResult())
	}
	return time.Since(t0), results, nil
}

// rawRoundTripAsNewIdentity is the baseline of one request: a new host
// connects to a raw host and does one stream round trip.
func rawRoundTripAsNewIdentity(ctx context.Context, target host.Host) (time.Duration, error) {
	h, err := libp2p.New(libp2p.NoListenAddrs, libp2p.DisableRelay())
	if err != nil {
		return 0, fmt.Errorf("raw spam host: %w", err)
	}
	defer closeHosts([]host.Host{h})
	t0 := time.Now()
	if err := h.Connect(ctx, peer.AddrInfo{ID: target.ID(), Addrs: target.Addrs()}); err != nil {
		return 0, err
	}
	c, err := openRawAck(ctx, h, target.ID())
	if err != nil {
		return 0, err
	}
	defer c.close()
	if err := c.roundTrip(payload(64)); err != nil {
		return 0, err
	}
	return time.Since(t0), nil
}
