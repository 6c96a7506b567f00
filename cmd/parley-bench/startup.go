package main

import (
	"context"
	"time"
)

var startupScenario = scenario{
	name: "startup",
	doc:  "exec → API ready on an empty home (includes init) and an initialized one; exit after SIGTERM",
	run:  runStartup,
}

// startupTarget is "ready within 150 ms" of issues 2 and 7.
var startupTarget = atMost(150)

// startupRound is one measurement of each kind, in milliseconds.
type startupRound struct {
	parleyCold, parleyWarm, rawCold, rawWarm float64
	parleyStops, rawStops                    []float64
}

// runStartup starts the daemon on a fresh home and again on the same home,
// and the raw node on a fresh and again on the same directory, stopping each
// with SIGTERM. The kinds alternate within a round so that drift in the
// machine's load hits both sides alike.
func runStartup(ctx context.Context, e *env) ([]Row, error) {
	n := e.runs(20, 5)
	// An unmeasured round first, so that both binaries are in the page cache.
	e.step("warm-up round")
	if _, err := e.startupRound(); err != nil {
		return nil, err
	}
	var pCold, pWarm, rCold, rWarm, pStop, rStop []float64
	for i := 1; i <= n; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e.step("run %d/%d", i, n)
		r, err := e.startupRound()
		if err != nil {
			return nil, err
		}
		pCold = append(pCold, r.parleyCold)
		pWarm = append(pWarm, r.parleyWarm)
		rCold = append(rCold, r.rawCold)
		rWarm = append(rWarm, r.rawWarm)
		pStop = append(pStop, r.parleyStops...)
		rStop = append(rStop, r.rawStops...)
	}
	return []Row{
		medianRow("ready, empty home (init included), median", "ms", pCold, rCold, startupTarget),
		medianRow("ready, initialized home, median", "ms", pWarm, rWarm, startupTarget),
		medianRow("exit after SIGTERM, median", "ms", pStop, rStop, noTarget),
	}, nil
}

func (e *env) startupRound() (startupRound, error) {
	var r startupRound
	home, err := e.tempDir("startup-parley")
	if err != nil {
		return r, err
	}
	dir, err := e.tempDir("startup-raw")
	if err != nil {
		return r, err
	}
	parley := func() (*child, error) { return e.startDaemon(home) }
	parleyReady := func(c *child) (time.Duration, error) {
		d, _, err := daemonReady(c)
		return d, err
	}
	raw := func() (*child, error) { return e.startRawNode(dir) }

	// Empty home and directory first, then the same ones again.
	for _, warm := range []bool{false, true} {
		pr, ps, err := timeChild(parley, parleyReady)
		if err != nil {
			return r, err
		}
		rr, rs, err := timeChild(raw, rawReady)
		if err != nil {
			return r, err
		}
		if warm {
			r.parleyWarm, r.rawWarm = pr, rr
		} else {
			r.parleyCold, r.rawCold = pr, rr
		}
		r.parleyStops = append(r.parleyStops, ps)
		r.rawStops = append(r.rawStops, rs)
	}
	return r, nil
}

// timeChild starts a process, waits until it is ready and stops it; it
// returns the time to ready and the time to exit, in milliseconds.
func timeChild(start func() (*child, error), ready func(*child) (time.Duration, error)) (float64, float64, error) {
	c, err := start()
	if err != nil {
		return 0, 0, err
	}
	defer c.kill()
	r, err := ready(c)
	if err != nil {
		return 0, 0, err
	}
	s, err := c.stop()
	if err != nil {
		return 0, 0, err
	}
	return millis(r), millis(s), nil
}
