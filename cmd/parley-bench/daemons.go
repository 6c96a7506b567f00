package main

import (
	"fmt"
	"strings"
	"time"
)

// The lines of `parley daemon`'s stdout that the scenarios wait for.
const (
	parleyReadyLine = "parley daemon ready"
	parleyAPIPrefix = "api: "
)

// startDaemon starts `parley --home home daemon --profile local --api
// 127.0.0.1:0`: loopback only, no mDNS, no NAT mapping, no bootstrap.
func (e *env) startDaemon(home string) (*child, error) {
	return startChild("parley", e.parley,
		[]string{"--home", home, "daemon", "--profile", "local", "--api", "127.0.0.1:0"}, e.verbose)
}

// startRawNode starts `parley-bench raw-node dir`, the raw baseline.
func (e *env) startRawNode(dir string) (*child, error) {
	return startChild("raw-node", e.self, []string{rawNodeCommand, dir}, e.verbose)
}

// daemonReady waits for the daemon's ready line and returns how long after
// the exec it came and the API address printed after it.
func daemonReady(c *child) (time.Duration, string, error) {
	l, err := c.waitLine(parleyReadyLine, readyTimeout)
	if err != nil {
		return 0, "", err
	}
	took := l.at.Sub(c.started)
	a, err := c.waitLine(parleyAPIPrefix, 5*time.Second)
	if err != nil {
		return 0, "", fmt.Errorf("after %q: %w", parleyReadyLine, err)
	}
	addr := strings.TrimSpace(strings.TrimPrefix(a.text, parleyAPIPrefix))
	if addr == "" {
		return 0, "", fmt.Errorf("parley printed an empty %q line", parleyAPIPrefix)
	}
	return took, addr, nil
}

// rawReady waits for the raw node's ready line and returns how long after
// the exec it came.
func rawReady(c *child) (time.Duration, error) {
	l, err := c.waitLine(rawReadyLine, readyTimeout)
	if err != nil {
		return 0, err
	}
	return l.at.Sub(c.started), nil
}
