package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// threadCPU returns the CPU time all threads of a process have used, in
// nanoseconds, from the first field of /proc/<pid>/task/*/schedstat: the
// scheduler's own clock, where /proc/<pid>/stat counts 10 ms ticks (too
// coarse for a process that uses a few ms a minute).
func threadCPU(pid int) (time.Duration, error) {
	paths, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(paths) == 0 {
		return 0, fmt.Errorf("read cpu time: no threads of %d (%v)", pid, err)
	}
	var sum time.Duration
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // the thread exited meanwhile
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			return 0, fmt.Errorf("read cpu time: empty %s", p)
		}
		ns, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("read cpu time: %s: %w", p, err)
		}
		sum += time.Duration(ns)
	}
	return sum, nil
}

// wakeups returns how many times the threads of a process have gone to
// sleep of their own accord so far: the sum over /proc/<pid>/task/*/status
// of voluntary_ctxt_switches. Each such switch is a sleep that a later
// wake-up ends (a timer, a packet, another thread), so over an idle window
// its growth is the process's wake-ups, the thing that keeps a laptop's
// core out of its deep idle states. It is counted by the kernel for every
// thread, needs nothing from the process (runtime/trace would need the
// daemon's help, and counts goroutine wake-ups, many of which reuse a
// thread that is awake anyway), and /proc/<pid>/status alone would give
// the main thread's only. A thread that exits takes its count along; Go
// keeps its threads, so over a window of idling that loses nothing.
func wakeups(pid int) (uint64, error) {
	paths, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	if err != nil || len(paths) == 0 {
		return 0, fmt.Errorf("read wake-ups: no threads of %d (%v)", pid, err)
	}
	var sum uint64
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // the thread exited meanwhile
		}
		for line := range strings.Lines(string(b)) {
			v, ok := strings.CutPrefix(line, "voluntary_ctxt_switches:")
			if !ok {
				continue
			}
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("read wake-ups: %s: %w", p, err)
			}
			sum += n
		}
	}
	return sum, nil
}
