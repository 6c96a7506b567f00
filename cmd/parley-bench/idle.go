package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/parley-im/parley/node"
)

var idleScenario = scenario{
	name: "idle",
	doc:  "RSS, goroutines and CPU of a daemon with no peers after idling 10 s (3 s with -short)",
	run:  runIdle,
}

// idleSample is what one idle run measured on one side.
type idleSample struct {
	mem        memory
	goroutines float64
	cpu        float64 // percent of one core over the idle window
}

// runIdle starts a daemon on a fresh home and a raw node side by side,
// leaves both alone for the idle window and then reads their RSS, CPU time
// and goroutine counts.
func runIdle(ctx context.Context, e *env) ([]Row, error) {
	n := e.runs(3, 1)
	wait := 10 * time.Second
	if e.short {
		wait = 3 * time.Second
	}
	var pRSS, rRSS, pAnon, rAnon, pG, rG, pCPU, rCPU []float64
	for i := 1; i <= n; i++ {
		p, r, err := e.idleRound(ctx, wait, fmt.Sprintf("run %d/%d", i, n))
		if err != nil {
			return nil, err
		}
		pRSS, rRSS = append(pRSS, p.mem.rss), append(rRSS, r.mem.rss)
		pAnon, rAnon = append(pAnon, p.mem.anon), append(rAnon, r.mem.anon)
		pG, rG = append(pG, p.goroutines), append(rG, r.goroutines)
		pCPU, rCPU = append(pCPU, p.cpu), append(rCPU, r.cpu)
	}
	return []Row{
		medianRow(fmt.Sprintf("idle RSS after %v, no peers, median", wait), "MiB", pRSS, rRSS, atMost(40)),
		medianRow("idle RSS: anonymous part (heap, stacks), median", "MiB", pAnon, rAnon, noTarget),
		medianRow("idle goroutines, median", "count", pG, rG, atMost(100)),
		medianRow("idle CPU (% of one core), median", "%", pCPU, rCPU, noTarget),
	}, nil
}

// idleSide is one of the two processes of an idle round.
type idleSide struct {
	c          *child
	goroutines func() (float64, error)
	cpu0       time.Duration
	sample     idleSample
}

func (e *env) idleRound(ctx context.Context, wait time.Duration, label string) (parley, raw idleSample, _ error) {
	home, err := e.tempDir("idle-parley")
	if err != nil {
		return parley, raw, err
	}
	dir, err := e.tempDir("idle-raw")
	if err != nil {
		return parley, raw, err
	}
	e.step("%s: starting", label)
	p, err := e.startDaemon(home)
	if err != nil {
		return parley, raw, err
	}
	defer p.kill()
	r, err := e.startRawNode(dir)
	if err != nil {
		return parley, raw, err
	}
	defer r.kill()
	_, addr, err := daemonReady(p)
	if err != nil {
		return parley, raw, err
	}
	if fileAddr, err := (node.Home{Dir: home}).ReadAPIAddr(); err != nil || fileAddr != addr {
		return parley, raw, fmt.Errorf("daemon printed api %s but %s/api says %q (%v)", addr, home, fileAddr, err)
	}
	if _, err := rawReady(r); err != nil {
		return parley, raw, err
	}

	sides := []*idleSide{
		{c: p, goroutines: func() (float64, error) {
			g, err := daemonGoroutines(ctx, node.Home{Dir: home})
			return float64(g), err
		}},
		{c: r, goroutines: func() (float64, error) { return rawGoroutines(r) }},
	}
	for _, s := range sides {
		if s.cpu0, err = cpuTime(s.c.pid()); err != nil {
			return parley, raw, err
		}
	}
	t0 := time.Now()
	e.step("%s: idle for %v", label, wait)
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
		return parley, raw, ctx.Err()
	case <-p.exited:
		return parley, raw, fmt.Errorf("parley exited while idle (%v)%s", p.waitErr, p.stderr.note())
	case <-r.exited:
		return parley, raw, fmt.Errorf("raw-node exited while idle (%v)%s", r.waitErr, r.stderr.note())
	}
	window := time.Since(t0)

	// Memory and CPU of both first: asking for goroutines costs both.
	for _, s := range sides {
		if s.sample.mem, err = readMemory(s.c.pid()); err != nil {
			return parley, raw, err
		}
		cpu1, err := cpuTime(s.c.pid())
		if err != nil {
			return parley, raw, err
		}
		s.sample.cpu = 100 * float64(cpu1-s.cpu0) / float64(window)
	}
	for _, s := range sides {
		if s.sample.goroutines, err = s.goroutines(); err != nil {
			return parley, raw, err
		}
	}

	e.step("%s: stopping", label)
	for _, s := range sides {
		if _, err := s.c.stop(); err != nil {
			return parley, raw, err
		}
	}
	return sides[0].sample, sides[1].sample, nil
}

// rawGoroutines asks the raw node for its goroutine count (SIGUSR1).
func rawGoroutines(c *child) (float64, error) {
	if err := c.signal(syscall.SIGUSR1); err != nil {
		return 0, err
	}
	l, err := c.waitLine(rawGoroutinesLine, 5*time.Second)
	if err != nil {
		return 0, err
	}
	v, err := strconv.Atoi(strings.TrimPrefix(l.text, rawGoroutinesLine))
	if err != nil {
		return 0, fmt.Errorf("raw-node goroutines line %q: %w", l.text, err)
	}
	return float64(v), nil
}
