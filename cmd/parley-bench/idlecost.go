package main

import (
	"context"
	"fmt"
	"time"
)

// The idle-cost scenarios (issue 18) measure what an always-on node costs
// when nobody types: CPU time per minute and wake-ups per second of the
// daemon process (the real binary), alone and with 20 friends in 3 groups,
// and the bytes it exchanges with those friends per hour, each next to the
// raw stack in the same run: `parley-bench raw-node -tuned`, a go-libp2p
// host with GossipSub and kad-dht and Badger opened with the options
// Parley's storage gives it. Both processes idle side by side over the same
// windows, so the load of this machine weighs on both alike.

var idleLoneScenario = scenario{
	name: "idle-lone",
	doc:  "CPU per minute and wake-ups per second of an idle daemon with no peers, 3 windows of 20 s (2 s with -short) (raw: host + GossipSub + DHT + Badger with Parley's options)",
	run:  runIdleLone,
}

// Issue 18's targets.
var (
	idleCPUTarget     = atMost(120)  // ms of CPU per minute
	idleTrafficTarget = atMost(1024) // KiB per hour, sent and received
)

// idleWindows is how the idle-cost scenarios sample: after settle, count
// windows of length each.
type idleWindows struct {
	settle, each time.Duration
	count        int
}

func (e *env) idleWindows(settle time.Duration) idleWindows {
	w := idleWindows{settle: settle, each: 20 * time.Second, count: 3}
	if e.short {
		w = idleWindows{settle: settle / 5, each: 2 * time.Second, count: 3}
	}
	if e.idleWindow > 0 {
		w.each = e.idleWindow
	}
	return w
}

func (w idleWindows) String() string { return fmt.Sprintf("%d × %v", w.count, w.each) }

// procCost is a process's CPU time and wake-ups at one moment.
type procCost struct {
	cpu  time.Duration
	wake uint64
	at   time.Time
}

func readCost(pid int) (procCost, error) {
	cpu, err := threadCPU(pid)
	if err != nil {
		return procCost{}, err
	}
	w, err := wakeups(pid)
	if err != nil {
		return procCost{}, err
	}
	return procCost{cpu: cpu, wake: w, at: time.Now()}, nil
}

// rates returns CPU ms per minute and wake-ups per second between two
// readings.
func rates(a, b procCost) (cpuPerMin, wakePerSec float64) {
	d := b.at.Sub(a.at)
	cpuPerMin = float64(b.cpu-a.cpu) / float64(time.Millisecond) * float64(time.Minute) / float64(d)
	wakePerSec = float64(b.wake-a.wake) / d.Seconds()
	return cpuPerMin, wakePerSec
}

// idleSamples are one side's figures, one per window, and the traffic over
// all windows together (KiB per hour): one window may miss a keep-alive
// that the next one has twice.
type idleSamples struct {
	cpu, wake, sent, rcvd, total []float64
	spanSent, spanRcvd           float64
}

// costSide is a process under measurement and, when it has peers, the
// relays that count its traffic.
type costSide struct {
	c      *child
	relays relaySet
	out    idleSamples
}

// measureIdle waits w.settle (start-up work such as the first DHT
// bootstrap and record publication is not idling) and then samples the
// sides over w.count windows; it fails if a side's process exits.
func measureIdle(ctx context.Context, e *env, label string, w idleWindows, sides ...*costSide) error {
	if err := idleWait(ctx, w.settle, sides); err != nil {
		return err
	}
	spans := make([]relayWindow, len(sides))
	for j, s := range sides {
		spans[j] = s.relays.start()
	}
	for i := 1; i <= w.count; i++ {
		e.step("%s: window %d/%d of %v", label, i, w.count, w.each)
		before := make([]procCost, len(sides))
		counts := make([]relayWindow, len(sides))
		for j, s := range sides {
			c, err := readCost(s.c.pid())
			if err != nil {
				return err
			}
			before[j], counts[j] = c, s.relays.start()
		}
		if err := idleWait(ctx, w.each, sides); err != nil {
			return err
		}
		for j, s := range sides {
			after, err := readCost(s.c.pid())
			if err != nil {
				return err
			}
			cpu, wake := rates(before[j], after)
			s.out.cpu, s.out.wake = append(s.out.cpu, cpu), append(s.out.wake, wake)
			if s.relays != nil {
				sent, rcvd := s.relays.perHour(counts[j])
				s.out.sent, s.out.rcvd = append(s.out.sent, sent), append(s.out.rcvd, rcvd)
				s.out.total = append(s.out.total, sent+rcvd)
			}
		}
	}
	for j, s := range sides {
		if s.relays != nil {
			s.out.spanSent, s.out.spanRcvd = s.relays.perHour(spans[j])
		}
	}
	return nil
}

// spanRow makes a row of a figure taken over all windows together, with
// the windows' own figures as its samples.
func spanRow(figure, unit string, parley, raw float64, ps, rs []float64, t target) Row {
	r := newRow(figure, unit, parley, raw, t)
	r.Runs, r.ParleySamples, r.RawSamples = len(ps), ps, rs
	return r
}

// idleWait waits d, failing early if a side's process exits.
func idleWait(ctx context.Context, d time.Duration, sides []*costSide) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		for _, s := range sides {
			select {
			case <-s.c.exited:
				return fmt.Errorf("%s exited while idle (%v)%s", s.c.name, s.c.waitErr, s.c.stderr.note())
			default:
			}
		}
		select {
		case <-timer.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-sides[0].c.exited:
		case <-sides[len(sides)-1].c.exited:
		}
	}
}

func runIdleLone(ctx context.Context, e *env) ([]Row, error) {
	w := e.idleWindows(6 * time.Second)
	home, err := e.tempDir("idle-lone")
	if err != nil {
		return nil, err
	}
	dir, err := e.tempDir("idle-lone-raw")
	if err != nil {
		return nil, err
	}
	e.step("starting")
	p, err := e.startDaemon(home)
	if err != nil {
		return nil, err
	}
	defer p.kill()
	r, err := startChild("raw-node", e.self, []string{rawNodeCommand, "-tuned", dir}, e.verbose)
	if err != nil {
		return nil, err
	}
	defer r.kill()
	if _, _, err := daemonReady(p); err != nil {
		return nil, err
	}
	if _, err := rawReady(r); err != nil {
		return nil, err
	}
	ps, rs := &costSide{c: p}, &costSide{c: r}
	if err := measureIdle(ctx, e, "no peers", w, ps, rs); err != nil {
		return nil, err
	}
	for _, c := range []*child{p, r} {
		if _, err := c.stop(); err != nil {
			return nil, err
		}
	}
	return []Row{
		medianRow("CPU per minute, idle with no peers, median of "+w.String(), "ms", ps.out.cpu, rs.out.cpu, idleCPUTarget),
		medianRow("wake-ups per second, idle with no peers, median of "+w.String(), "/s", ps.out.wake, rs.out.wake, noTarget),
	}, nil
}
