package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of the CPU times in /proc/<pid>/stat. It is 100 on
// every Linux architecture Go supports (the kernel's USER_HZ, not CONFIG_HZ).
const userHZ = 100

// memory is a process's resident memory, from /proc/<pid>/status, in MiB.
type memory struct {
	rss  float64 // VmRSS: all resident pages
	anon float64 // RssAnon: heap, stacks and other private pages; the rest is mostly the binary's mapped code
}

func readMemory(pid int) (memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, fmt.Errorf("read memory: %w", err)
	}
	var m memory
	var found int
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(line, ":")
		var dst *float64
		switch {
		case !ok:
			continue
		case k == "VmRSS":
			dst = &m.rss
		case k == "RssAnon":
			dst = &m.anon
		default:
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return memory{}, fmt.Errorf("read memory: odd line %q", strings.TrimSpace(line))
		}
		kb, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return memory{}, fmt.Errorf("read memory: %w", err)
		}
		*dst = kb / 1024
		found++
	}
	if found != 2 {
		return memory{}, fmt.Errorf("read memory: no VmRSS or RssAnon in /proc/%d/status", pid)
	}
	return m, nil
}

// cpuTime returns the user plus system CPU time a process has used.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read cpu time: %w", err)
	}
	// The command name (field 2) is in parentheses and may hold spaces;
	// the fields after the last ')' start with field 3, the state.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("read cpu time: odd /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+1:])
	const utime, stime = 14 - 3, 15 - 3
	if len(f) <= stime {
		return 0, fmt.Errorf("read cpu time: short /proc/%d/stat", pid)
	}
	var ticks int64
	for _, s := range []string{f[utime], f[stime]} {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("read cpu time: %w", err)
		}
		ticks += v
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// peakRSS returns a process's peak resident memory so far (VmHWM), in MiB.
func peakRSS(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read peak memory: %w", err)
	}
	for line := range strings.Lines(string(b)) {
		v, ok := strings.CutPrefix(line, "VmHWM:")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("read peak memory: odd line %q", strings.TrimSpace(line))
		}
		kb, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return 0, fmt.Errorf("read peak memory: %w", err)
		}
		return kb / 1024, nil
	}
	return 0, fmt.Errorf("read peak memory: no VmHWM in /proc/%d/status", pid)
}
