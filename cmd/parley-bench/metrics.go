package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parley-im/parley/node"
)

// daemonGoroutines reads go_goroutines from the daemon's GET /metrics,
// finding the API through the home's api and api.token files.
func daemonGoroutines(ctx context.Context, home node.Home) (int, error) {
	addr, err := home.ReadAPIAddr()
	if err != nil {
		return 0, fmt.Errorf("daemon api address: %w", err)
	}
	token, err := home.ReadToken()
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return 0, fmt.Errorf("metrics request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("GET /metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET /metrics: HTTP %s", resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), "go_goroutines ")
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return 0, fmt.Errorf("GET /metrics: go_goroutines: %w", err)
		}
		return int(f), nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("GET /metrics: %w", err)
	}
	return 0, fmt.Errorf("GET /metrics: no go_goroutines")
}
