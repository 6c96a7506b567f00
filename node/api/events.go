package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parley-im/parley/chat"
)

// keepAliveInterval is how often an idle event stream gets a comment line,
// so that proxies and clients can tell a quiet stream from a dead one.
const keepAliveInterval = 15 * time.Second

// getEvents streams the node's events as Server-Sent Events. A client
// resumes with the Last-Event-ID header (or ?last_event_id=); ?types=a,b
// keeps only those event types.
func (s *Server) getEvents(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		s.fail(w, errorf(http.StatusInternalServerError, CodeInternal, "streaming unsupported"))
		return
	}
	after, err := lastEventID(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	var types map[chat.EventType]bool
	if q := r.URL.Query().Get("types"); q != "" {
		types = make(map[chat.EventType]bool)
		for _, t := range strings.Split(q, ",") {
			types[chat.EventType(strings.TrimSpace(t))] = true
		}
	}
	sub := s.node.Feed().Subscribe(after)
	defer sub.Close()
	// The stream lasts for hours: the server's read and write timeouts
	// would cut it off, so it lifts them and bounds each write instead.
	rc := http.NewResponseController(w)
	if err := rc.SetReadDeadline(time.Time{}); err != nil {
		s.log.Debug("api: event stream without read deadline control", "err", err)
	}
	s.writeDeadline(rc)

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": parley events\n\n")
	flusher.Flush()

	keepAlive := time.NewTicker(keepAliveInterval)
	defer keepAlive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-keepAlive.C:
			s.writeDeadline(rc)
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
			flusher.Flush()
		case ev, ok := <-sub.Events():
			if !ok {
				return // the feed closed or we fell behind: the client resumes
			}
			if types != nil && !types[ev.Type] && ev.Type != chat.EventReset {
				continue
			}
			s.writeDeadline(rc)
			if err := writeEvent(w, ev); err != nil {
				s.log.Debug("api: event stream", "err", err)
				return
			}
			flusher.Flush()
		}
	}
}

// writeDeadline gives the event stream's next write the server's write
// timeout, so that a client that stops reading is let go.
func (s *Server) writeDeadline(rc *http.ResponseController) {
	var d time.Time
	if s.limits.WriteTimeout > 0 {
		d = time.Now().Add(s.limits.WriteTimeout)
	}
	if err := rc.SetWriteDeadline(d); err != nil {
		s.log.Debug("api: event stream without write deadline control", "err", err)
	}
}

func lastEventID(r *http.Request) (uint64, error) {
	v := r.Header.Get("Last-Event-ID")
	if v == "" {
		v = r.URL.Query().Get("last_event_id")
	}
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, errorf(http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("Last-Event-ID %q is not an event id", v))
	}
	return id, nil
}

func writeEvent(w http.ResponseWriter, ev chat.Event) error {
	data, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode event %d: %w", ev.ID, err)
	}
	if ev.ID != 0 {
		if _, err := fmt.Fprintf(w, "id: %d\n", ev.ID); err != nil {
			return err
		}
	}
	_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Type, data)
	return err
}
