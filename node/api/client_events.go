package api

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parley-im/parley/chat"
)

// Event is an event as a client receives it: Data stays raw JSON for the
// caller to decode by Type.
type Event struct {
	ID   uint64          `json:"id"`
	Type chat.EventType  `json:"type"`
	Time time.Time       `json:"time"`
	Data json.RawMessage `json:"data,omitempty"`
}

// maxEventLine bounds one SSE line the client accepts.
const maxEventLine = 1 << 20

// Events streams the daemon's events after lastID (0: only new ones) and
// calls fn for each, until ctx ends, fn returns an error, or the stream
// ends. It returns the ID of the last event handed to fn, so that a caller
// can resume.
func (c *Client) Events(ctx context.Context, lastID uint64, types []string, fn func(Event) error) (uint64, error) {
	path := "/v1/events"
	if len(types) > 0 {
		path += "?types=" + strings.Join(types, ",")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return lastID, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "text/event-stream")
	if lastID != 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatUint(lastID, 10))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return lastID, c.transportError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var env ServerResponse
		if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
			return lastID, fmt.Errorf("events: HTTP %d", resp.StatusCode)
		}
		return lastID, &Error{Status: resp.StatusCode, Code: env.Code, Message: env.Message}
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 4096), maxEventLine)
	var data strings.Builder
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if data.Len() == 0 {
				continue
			}
			var ev Event
			if err := json.Unmarshal([]byte(data.String()), &ev); err != nil {
				return lastID, fmt.Errorf("decode event: %w", err)
			}
			data.Reset()
			if err := fn(ev); err != nil {
				return lastID, err
			}
			if ev.ID != 0 {
				lastID = ev.ID
			}
		case strings.HasPrefix(line, "data:"):
			data.WriteString(strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
		}
		// "id:", "event:" and ":" comment lines carry nothing the JSON
		// payload does not.
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		return lastID, fmt.Errorf("read events: %w", err)
	}
	return lastID, ctx.Err()
}
