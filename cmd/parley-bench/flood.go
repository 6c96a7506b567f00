package main

import (
	"context"
	"fmt"
	"io/fs"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/parley-im/parley/node/api"
)

var floodScenario = scenario{
	name: "flood",
	doc:  "a friend's DM flood of 60 KB messages through its API: the receiver's peak RSS and database, what it stored and what waits in the flooder's outbox (raw: stream + Badger defaults storing all of it)",
	run:  runFlood,
}

const (
	// floodSize is the text of one flood message: near the 64 KiB cap.
	floodSize = 60_000
	// floodAfter is how long the receiver is watched after the flooder's
	// API calls are done (half with -short): it keeps taking what its
	// rate allows.
	floodAfter = 10 * time.Second
)

// floodPeakTarget is issue 11's: the receiver's memory bounded under one
// peer's flood.
var floodPeakTarget = atMost(256)

func runFlood(ctx context.Context, e *env) ([]Row, error) {
	n := e.runs(9600, 2400)
	e.step("starting two daemons")
	a, err := e.startAPIDaemon(ctx, "flood-sender")
	if err != nil {
		return nil, err
	}
	defer a.c.kill()
	b, err := e.startAPIDaemon(ctx, "flood-receiver")
	if err != nil {
		return nil, err
	}
	defer b.c.kill()
	if err := befriendDaemons(ctx, a, b); err != nil {
		return nil, err
	}

	e.step("flood of %s × 60 KB through the API", count(n))
	stopSampling := sampleAnon(b.c.pid())
	t0 := time.Now()
	if err := floodSend(ctx, a, b.info.PeerID, n); err != nil {
		stopSampling()
		return nil, err
	}
	sent := time.Since(t0)
	after := floodAfter
	if e.short {
		after /= 2
	}
	e.step("API calls took %v; watching the receiver %v more", sent.Round(time.Millisecond), after)
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(after):
	}
	anon := stopSampling()
	stored, err := storedFrom(ctx, b, a.info.PeerID)
	if err != nil {
		return nil, err
	}
	peak, err := peakRSS(b.c.pid())
	if err != nil {
		return nil, err
	}
	if _, err := b.c.stop(); err != nil {
		return nil, err
	}
	db, err := diskMiB(b.home.DBPath())
	if err != nil {
		return nil, err
	}
	if _, err := a.c.stop(); err != nil {
		return nil, err
	}

	e.step("raw flood of %s × 60 KB", count(n))
	_, rawPeak, rawTook, err := e.rawBurstOf(n, floodSize)
	if err != nil {
		return nil, err
	}
	window := sent + after
	label := fmt.Sprintf("%s × 60 KB from one friend", count(n))
	return []Row{
		newRow("peak RSS of the receiver, "+label+" (MiB; raw: stream + Badger defaults, all stored)", "MiB", peak, rawPeak, floodPeakTarget),
		newRow("peak anonymous RSS (heap, stacks) of the receiver, sampled every 50 ms (MiB)", "MiB", anon[0], math.NaN(), noTarget),
		newRow(fmt.Sprintf("receiver's database after %v of the flood (MiB; raw: not measured)", window.Round(time.Second)), "MiB", db, math.NaN(), noTarget),
		newRow(fmt.Sprintf("messages the receiver stored within %v; the rest wait in the flooder's outbox (raw: all, in %v)", window.Round(time.Second), rawTook.Round(time.Second)), "count", float64(stored), float64(n), noTarget),
	}, nil
}

// floodSend sends n messages of floodSize from a to peer through the API,
// from burstClients clients at once.
func floodSend(ctx context.Context, a *apiDaemon, to string, n int) error {
	var wg sync.WaitGroup
	errs := make(chan error, burstClients)
	body := strings.Repeat("x", floodSize-16)
	for g := range burstClients {
		wg.Go(func() {
			c := api.NewClient(a.addr, a.token)
			for i := g; i < n; i += burstClients {
				if _, err := c.Send(ctx, to, fmt.Sprintf("%-16d", i)+body); err != nil {
					errs <- fmt.Errorf("flood send %d: %w", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// storedFrom is how many messages of peer the daemon holds (all unread).
func storedFrom(ctx context.Context, d *apiDaemon, peer string) (int, error) {
	convs, err := d.client.Conversations(ctx)
	if err != nil {
		return 0, fmt.Errorf("receiver's conversations: %w", err)
	}
	for _, c := range convs {
		if c.ID == peer {
			return c.Unread, nil
		}
	}
	return 0, nil
}

// diskMiB is the disk space the files under dir take (blocks, not
// lengths: Badger's files are sparse until written).
func diskMiB(dir string) (float64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			total += st.Blocks * 512
		} else {
			total += info.Size()
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("size of %s: %w", dir, err)
	}
	return float64(total) / (1 << 20), nil
}
