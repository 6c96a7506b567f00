package api_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-im/parley/node/api"
	"github.com/parley-im/parley/node/nodetest"
)

// dialAPI opens a raw TCP connection to the API, closed when the test ends.
func dialAPI(t *testing.T, s *served) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedWithin reads c until the server closes it, for at most d; it
// returns what was read and whether the server closed it in time.
func closedWithin(c net.Conn, d time.Duration) (string, bool) {
	_ = c.SetReadDeadline(time.Now().Add(d))
	b, err := io.ReadAll(c)
	var ne net.Error
	return string(b), !(errors.As(err, &ne) && ne.Timeout())
}

// A request refused for its token or its Host is answered at once, before
// its body arrives, and its connection is closed: before, net/http read
// the body first (to keep the connection), so a client that never sent it
// held the connection without limit.
func TestRefusedRequestIsAnsweredBeforeItsBody(t *testing.T) {
	t.Parallel()
	s := serve(t, nodetest.QUIC)
	for _, tc := range []struct{ what, headers, status string }{
		{"no token", "Host: 127.0.0.1\r\n", "HTTP/1.1 401 "},
		{"wrong token", "Host: 127.0.0.1\r\nAuthorization: Bearer nope\r\n", "HTTP/1.1 401 "},
		{"foreign host", "Host: evil.example\r\nAuthorization: Bearer " + testToken + "\r\n", "HTTP/1.1 403 "},
	} {
		c := dialAPI(t, s)
		start := time.Now()
		req := "POST /v1/peers HTTP/1.1\r\n" + tc.headers + "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatal(err)
		}
		// The default limits give a body 30 s: the answer must not wait
		// for them, nor for the body.
		got, closed := closedWithin(c, 3*time.Second)
		if !strings.HasPrefix(got, tc.status) || !closed {
			t.Errorf("%s: after %s got %q (closed: %v), want %q and the connection closed at once", tc.what, time.Since(start), got, closed, tc.status)
		}
	}
}

// testLimits are short limits, so that the tests see them act.
var testLimits = api.Limits{
	ReadHeaderTimeout: time.Second,
	ReadTimeout:       time.Second,
	WriteTimeout:      time.Second,
	IdleTimeout:       5 * time.Second,
	MaxConns:          16,
}

// An authorized client that sends its body slowly is cut off once the read
// timeout has passed; before, the connection stayed open for ever.
func TestSlowBodyIsCutOff(t *testing.T) {
	t.Parallel()
	s := serve(t, nodetest.QUIC, api.WithLimits(testLimits))
	c := dialAPI(t, s)
	start := time.Now()
	req := "POST /v1/peers HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + testToken +
		"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"addr\": \""
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	// The rest of the body never comes.
	if got, closed := closedWithin(c, waitFor); !closed {
		t.Fatalf("the slow body's connection is still open after %s (read %q)", time.Since(start), got)
	}
	if took := time.Since(start); took < testLimits.ReadTimeout/2 {
		t.Errorf("cut off after %s, before the read timeout %s", took, testLimits.ReadTimeout)
	}
}

// Many connections that never finish their headers (slowloris) hold no
// more than MaxConns of the API's file descriptors, and the user's own
// request is still answered; before, every one of them stayed open until
// the header timeout.
func TestSlowlorisLeavesRoomForTheUser(t *testing.T) {
	t.Parallel()
	limits := testLimits
	limits.ReadHeaderTimeout = time.Minute // the cap, not the timeout, must act
	s := serve(t, nodetest.QUIC, api.WithLimits(limits))
	const flood = 200
	conns := make([]net.Conn, flood)
	for i := range conns {
		conns[i] = dialAPI(t, s)
		if _, err := io.WriteString(conns[i], "GET /v1/node HTTP/1.1\r\nHost: 127.0.0.1\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if _, err := s.client.Node(ctx); err != nil {
		t.Fatalf("the user's request during the flood: %v", err)
	}
	// The server accepts in order, so it has taken every flood connection
	// before the user's; all but MaxConns of them must be closed by now.
	var mu sync.Mutex
	var wg sync.WaitGroup
	closed := 0
	for _, c := range conns {
		wg.Go(func() {
			if _, ok := closedWithin(c, time.Second); ok {
				mu.Lock()
				closed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if open := flood - closed; open > limits.MaxConns {
		t.Errorf("%d of %d slowloris connections still open, want at most MaxConns = %d", open, flood, limits.MaxConns)
	}
	// And the API still answers afterwards.
	if _, err := s.client.Node(ctx); err != nil {
		t.Fatalf("the user's request after the flood: %v", err)
	}
}

// The event stream outlives the read and write timeouts: it lifts them
// (and bounds each write instead), and still delivers an event that comes
// long after they passed.
func TestEventStreamOutlivesTimeouts(t *testing.T) {
	t.Parallel()
	s := serve(t, nodetest.QUIC, api.WithLimits(testLimits))
	other := nodetest.New(t, nodetest.QUIC)
	stream := s.openEvents(t, "", "?types=peer_connected")
	// Nothing marks the moment a timeout would have struck; the test lets
	// three of them pass.
	<-time.After(3 * max(testLimits.ReadTimeout, testLimits.WriteTimeout))
	if _, err := s.client.Connect(context.Background(), nodetest.Addr(t, nodetest.QUIC, other)); err != nil {
		t.Fatal(err)
	}
	stream.nextOf(t, "peer_connected", other.Info().PeerID)
}
