package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/node"
	"github.com/parley-im/parley/node/api"
	"github.com/parley-im/parley/node/nodetest"
)

const (
	testToken = "0123456789abcdef0123456789abcdef"
	// waitFor bounds every wait on the server: a response, an event, a
	// shutdown.
	waitFor = 10 * time.Second
)

// served is a real local node behind a real API server on 127.0.0.1.
type served struct {
	node   *node.Node
	addr   string // host:port of the API
	client *api.Client
	http   *http.Client
	stop   func() error // cancels Serve and returns what it returned
}

// serve starts a local node on tr and its API on a free port with Serve;
// the test's cleanup stops the API (checking that Serve returns nil,
// promptly) before the node closes. Tests of the API alone, with no peer,
// run on QUIC only; tests where peers meet run on both transports.
func serve(t *testing.T, tr nodetest.Transport, opts ...api.Option) *served {
	t.Helper()
	n := nodetest.New(t, tr)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- api.NewServer(n, testToken, nil, opts...).Serve(ctx, ln) }()
	var stopErr error
	stopped := false
	stop := func() error {
		if !stopped {
			stopped = true
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(waitFor):
				stopErr = fmt.Errorf("Serve did not return within %v of its context ending", waitFor)
			}
		}
		return stopErr
	}
	transport := &http.Transport{Proxy: nil}
	s := &served{
		node:   n,
		addr:   ln.Addr().String(),
		client: api.NewClient(ln.Addr().String(), testToken),
		http:   &http.Client{Transport: transport, Timeout: waitFor},
		stop:   stop,
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Serve: %v", err)
		}
		transport.CloseIdleConnections()
	})
	return s
}

// request builds an authorized request to the API.
func (s *served) request(t *testing.T, method, path, body string) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://"+s.addr+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// envelope is a response body as it is on the wire.
type envelope struct {
	Code    api.Code         `json:"code"`
	Message string           `json:"message"`
	Data    *json.RawMessage `json:"data"`
}

// do sends req and decodes the envelope; every answer, success or not,
// must be one.
func (s *served) do(t *testing.T, req *http.Request) (*http.Response, envelope) {
	t.Helper()
	resp, err := s.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q, want application/json", req.Method, req.URL.Path, ct)
	}
	var env envelope
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		t.Fatalf("%s %s: HTTP %d, body %q is not an envelope: %v", req.Method, req.URL.Path, resp.StatusCode, body, err)
	}
	return resp, env
}

// wantFailure checks an error answer: its status, its code, and a message
// that mentions each of mention.
func wantFailure(t *testing.T, what string, resp *http.Response, env envelope, status int, code api.Code, mention ...string) {
	t.Helper()
	if resp.StatusCode != status || env.Code != code {
		t.Errorf("%s: HTTP %d code %d %q, want HTTP %d code %d", what, resp.StatusCode, env.Code, env.Message, status, code)
		return
	}
	if env.Data != nil {
		t.Errorf("%s: an error envelope carries data %s", what, *env.Data)
	}
	for _, m := range mention {
		if !strings.Contains(env.Message, m) {
			t.Errorf("%s: message %q does not mention %q", what, env.Message, m)
		}
	}
}

// wantClientError checks what the typed client returns for a failure.
func wantClientError(t *testing.T, what string, err error, status int, code api.Code, mention ...string) {
	t.Helper()
	var apiErr *api.Error
	if !errors.As(err, &apiErr) || apiErr.Status != status || apiErr.Code != code {
		t.Errorf("%s: %v, want *api.Error HTTP %d code %d", what, err, status, code)
		return
	}
	for _, m := range mention {
		if !strings.Contains(apiErr.Message, m) {
			t.Errorf("%s: message %q does not mention %q", what, apiErr.Message, m)
		}
	}
}

// A success is {"code":0,"message":"ok","data":…} with HTTP 200, and the
// client decodes the same data.
func TestSuccessEnvelope(t *testing.T) {
	t.Parallel()
	s := serve(t, nodetest.QUIC)
	resp, env := s.do(t, s.request(t, http.MethodGet, "/v1/node", ""))
	if resp.StatusCode != http.StatusOK || env.Code != api.CodeOK || env.Message != "ok" || env.Data == nil {
		t.Fatalf("GET /v1/node: HTTP %d %+v, want 200 with code 0, message ok and data", resp.StatusCode, env)
	}
	var info node.Info
	if err := json.Unmarshal(*env.Data, &info); err != nil || info.PeerID != s.node.Info().PeerID || info.Profile != node.ProfileLocal {
		t.Errorf("data = %s (%v), want this node's info", *env.Data, err)
	}

	got, err := s.client.Node(context.Background())
	if err != nil || got.PeerID != info.PeerID || len(got.ListenAddrs) == 0 {
		t.Errorf("client.Node = %+v, %v", got, err)
	}
	_, env = s.do(t, s.request(t, http.MethodGet, "/v1/peers", ""))
	if env.Data == nil || string(*env.Data) != "[]" {
		t.Errorf("no peers: data %v, want []", env.Data)
	}
}

// Without the right bearer token nothing but a 401 comes back.
func TestTokenIsRequired(t *testing.T) {
	t.Parallel()
	s := serve(t, nodetest.QUIC)
	for _, tc := range []struct{ what, header string }{
		{"no token", ""},
		{"wrong token", "Bearer " + strings.Repeat("f", len(testToken))},
		{"token prefix", "Bearer " + testToken[:8]},
		{"token without Bearer", testToken},
		{"basic auth", "Basic " + testToken},
	} {
		for _, path := range []string{"/v1/node", "/metrics", "/v1/events", "/v1/no-such-route"} {
			req := s.request(t, http.MethodGet, path, "")
			req.Header.Del("Authorization")
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			resp, env := s.do(t, req)
			wantFailure(t, tc.what+" "+path, resp, env, http.StatusUnauthorized, api.CodeUnauthorized, "api.token")
			if resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s: 401 without WWW-Authenticate", tc.what, path)
			}
		}
	}
	_, err := api.NewClient(s.addr, "wrong").Node(context.Background())
	wantClientError(t, "client with a wrong token", err, http.StatusUnauthorized, api.CodeUnauthorized)
}

// A Host that is not a loopback name is refused even with the token: a
// page on evil.example that rebinds its name to 127.0.0.1 gets nothing.
func TestForeignHostIsRefused(t *testing.T) {
	t.Parallel()
	s := serve(t, nodetest.QUIC)
	_, port, _ := net.SplitHostPort(s.addr)
	for _, host := range []string{"evil.example:" + port, "evil.example", "127.0.0.1.evil.example:" + port, "192.168.1.10:" + port} {
		req := s.request(t, http.MethodGet, "/v1/node", "")
		req.Host = host
		resp, env := s.do(t, req)
		wantFailure(t, "Host "+host, resp, env, http.StatusForbidden, api.CodeForbidden, host)
	}
	for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port, "LOCALHOST:" + port, "[::1]:" + port} {
		req := s.request(t, http.MethodGet, "/v1/node", "")
		req.Host = host
		if resp, env := s.do(t, req); resp.StatusCode != http.StatusOK {
			t.Errorf("Host %s: HTTP %d %q, want 200", host, resp.StatusCode, env.Message)
		}
	}
}

// A browser request from another origin is refused (CSRF); one from the
// API's own origin is served.
func TestForeignOriginIsRefused(t *testing.T) {
	t.Parallel()
	s := serve(t, nodetest.QUIC)
	_, port, _ := net.SplitHostPort(s.addr)
	for _, origin := range []string{
		"http://evil.example",
		"http://evil.example:" + port,
		"https://127.0.0.1:" + port,  // another scheme is another origin
		"http://127.0.0.1:1",         // another port is another origin
		"http://localhost:" + port,   // another name is another origin
		"null",                       // sandboxed iframes, file:// pages
		"chrome-extension://abcdefg", // extensions
	} {
		req := s.request(t, http.MethodPost, "/v1/peers", `{"addr": "/ip4/127.0.0.1/tcp/1/p2p/`+s.node.Info().PeerID+`"}`)
		req.Header.Set("Origin", origin)
		resp, env := s.do(t, req)
		wantFailure(t, "Origin "+origin, resp, env, http.StatusForbidden, api.CodeForbidden, origin)
	}
	req := s.request(t, http.MethodGet, "/v1/node", "")
	req.Header.Set("Origin", "http://"+s.addr)
	if resp, env := s.do(t, req); resp.StatusCode != http.StatusOK || env.Code != api.CodeOK {
		t.Errorf("same origin http://%s: HTTP %d %+v, want 200", s.addr, resp.StatusCode, env)
	}
}

// Routing failures are envelopes too: 404 for an unknown path (/ is the
// page now, see ui_test.go), 405 with Allow for a known path and another
// method.
func TestUnknownRouteAndWrongMethod(t *testing.T) {
	t.Parallel()
	s := serve(t, nodetest.QUIC)
	for _, path := range []string{"/index.html", "/ui", "/v1", "/v1/nodes", "/v2/node", "/v1/peers/a/b"} {
		resp, env := s.do(t, s.request(t, http.MethodGet, path, ""))
		wantFailure(t, "GET "+path, resp, env, http.StatusNotFound, api.CodeNotFound, path)
	}
	for _, tc := range []struct{ method, path, allow string }{
		{http.MethodPut, "/v1/peers", "GET, POST"},
		{http.MethodDelete, "/v1/node", "GET"},
		{http.MethodPost, "/v1/node", "GET"},
		{http.MethodGet, "/v1/peers/12D3KooWPDDegm63JkTESNwiBARWTcWv9cSd9N1oGgydttPqfY86", "DELETE"},
		{http.MethodPost, "/metrics", "GET"},
	} {
		resp, env := s.do(t, s.request(t, tc.method, tc.path, ""))
		wantFailure(t, tc.method+" "+tc.path, resp, env, http.StatusMethodNotAllowed, api.CodeMethodNotAllowed, tc.method)
		if got := resp.Header.Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, got, tc.allow)
		}
	}
}

// Bad input to POST /v1/peers gets a 4xx that says what to fix, and
// connects nothing.
func TestConnectRefusesBadInput(t *testing.T) {
	t.Parallel()
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		s := serve(t, tr)
		self := nodetest.Addr(t, tr, s.node)
		for _, tc := range []struct {
			what, body string
			status     int
			code       api.Code
			mention    []string
		}{
			{"malformed multiaddr", `{"addr": "not-a-multiaddr"}`, http.StatusBadRequest, api.CodeBadMultiaddr, []string{"not-a-multiaddr"}},
			{"bad port", `{"addr": "/ip4/127.0.0.1/tcp/notaport/p2p/12D3KooWPDDegm63JkTESNwiBARWTcWv9cSd9N1oGgydttPqfY86"}`, http.StatusBadRequest, api.CodeBadMultiaddr, []string{"notaport"}},
			{"no /p2p/", `{"addr": "/ip4/127.0.0.1/tcp/4001"}`, http.StatusBadRequest, api.CodeBadMultiaddr, []string{"/p2p/"}},
			{"this node", `{"addr": "` + self + `"}`, http.StatusBadRequest, api.CodeSelf, nil},
			{"unknown field", `{"addr": "` + self + `", "adress": "x"}`, http.StatusBadRequest, api.CodeBadRequest, []string{"adress"}},
			{"misspelt field only", `{"address": "/ip4/127.0.0.1/tcp/4001"}`, http.StatusBadRequest, api.CodeBadRequest, []string{"address"}},
			{"no addr", `{}`, http.StatusBadRequest, api.CodeBadRequest, []string{"addr"}},
			{"empty body", ``, http.StatusBadRequest, api.CodeBadRequest, []string{"empty"}},
			{"not JSON", `addr=/ip4/127.0.0.1`, http.StatusBadRequest, api.CodeBadRequest, nil},
			{"two objects", `{"addr": "x"} {"addr": "y"}`, http.StatusBadRequest, api.CodeBadRequest, nil},
			{"wrong type", `{"addr": 7}`, http.StatusBadRequest, api.CodeBadRequest, nil},
		} {
			resp, env := s.do(t, s.request(t, http.MethodPost, "/v1/peers", tc.body))
			wantFailure(t, tc.what, resp, env, tc.status, tc.code, tc.mention...)
		}

		_, err := s.client.Connect(context.Background(), "not-a-multiaddr")
		wantClientError(t, "client: malformed multiaddr", err, http.StatusBadRequest, api.CodeBadMultiaddr, "not-a-multiaddr")
		err = s.client.Disconnect(context.Background(), "12D3KooWPDDegm63JkTESNwiBARWTcWv9cSd9N1oGgydttPqfY86")
		wantClientError(t, "client: disconnect a stranger", err, http.StatusNotFound, api.CodeNotConnected)
		err = s.client.Disconnect(context.Background(), "not-a-peer")
		wantClientError(t, "client: disconnect a bad peer ID", err, http.StatusBadRequest, api.CodeBadPeerID, "not-a-peer")
		if peers := s.node.Peers(); len(peers) != 0 {
			t.Errorf("refused requests connected %+v", peers)
		}
	})
}

// A body over MaxBodySize is refused with 413 before it is acted on.
func TestBodyOverLimit(t *testing.T) {
	t.Parallel()
	s := serve(t, nodetest.QUIC)
	big := `{"addr": "` + strings.Repeat("a", api.MaxBodySize) + `"}`
	resp, env := s.do(t, s.request(t, http.MethodPost, "/v1/peers", big))
	wantFailure(t, "body over MaxBodySize", resp, env, http.StatusRequestEntityTooLarge, api.CodeTooLarge)

	// Just under the limit is an ordinary bad address.
	fits := `{"addr": "` + strings.Repeat("a", api.MaxBodySize-64) + `"}`
	resp, env = s.do(t, s.request(t, http.MethodPost, "/v1/peers", fits))
	wantFailure(t, "body under MaxBodySize", resp, env, http.StatusBadRequest, api.CodeBadMultiaddr)
}

// GET /metrics is Prometheus text with libp2p's own metrics and Go's.
func TestMetrics(t *testing.T) {
	t.Parallel()
	s := serve(t, nodetest.QUIC)
	resp, err := s.http.Do(s.request(t, http.MethodGet, "/metrics", ""))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: HTTP %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var libp2p, goroutines bool
	for _, line := range strings.Split(string(body), "\n") {
		libp2p = libp2p || strings.HasPrefix(line, "libp2p_")
		goroutines = goroutines || strings.HasPrefix(line, "go_goroutines ")
	}
	if !libp2p || !goroutines {
		t.Errorf("/metrics has libp2p metrics: %v, go_goroutines: %v; want both\n%.2000s", libp2p, goroutines, body)
	}
}

// The typed client connects, lists and disconnects peers.
func TestClientConnectsPeers(t *testing.T) {
	t.Parallel()
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		s := serve(t, tr)
		other := nodetest.New(t, tr)
		otherID := other.Info().PeerID
		ctx := context.Background()

		pi, err := s.client.Connect(ctx, nodetest.Addr(t, tr, other))
		if err != nil || pi.PeerID != otherID || pi.Direction != "Outbound" {
			t.Fatalf("Connect = %+v, %v", pi, err)
		}
		peers, err := s.client.Peers(ctx)
		if err != nil || len(peers) != 1 || peers[0].PeerID != otherID || peers[0].Addr == "" {
			t.Errorf("Peers = %+v, %v; want the other node", peers, err)
		}
		if err := s.client.Disconnect(ctx, otherID); err != nil {
			t.Fatalf("Disconnect: %v", err)
		}
		err = s.client.Disconnect(ctx, otherID)
		wantClientError(t, "disconnect twice", err, http.StatusNotFound, api.CodeNotConnected)
	})
}

// sseEvent is one Server-Sent Event as written on the wire.
type sseEvent struct {
	id    string
	event string
	data  string
}

// sseStream reads an event stream; reads end at the request's deadline.
type sseStream struct {
	resp *http.Response
	r    *bufio.Reader
}

// openEvents opens GET /v1/events with header lastEventID (when not
// empty) and query, and returns once the server has subscribed: it sends
// a comment line first, after it subscribed.
func (s *served) openEvents(t *testing.T, lastEventID, query string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	t.Cleanup(cancel)
	req := s.request(t, http.MethodGet, "/v1/events"+query, "").WithContext(ctx)
	req.Header.Set("Accept", "text/event-stream")
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	// No client timeout: the stream is bounded by ctx instead.
	resp, err := (&http.Client{Transport: s.http.Transport}).Do(req)
	if err != nil {
		t.Fatalf("GET /v1/events: %v", err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET /v1/events: HTTP %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	st := &sseStream{resp: resp, r: bufio.NewReader(resp.Body)}
	line, err := st.r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, ":") {
		t.Fatalf("the stream does not open with a comment: %q, %v", line, err)
	}
	return st
}

// next returns the next event, skipping comments.
func (st *sseStream) next(t *testing.T) sseEvent {
	t.Helper()
	var ev sseEvent
	for {
		line, err := st.r.ReadString('\n')
		if err != nil {
			t.Fatalf("event stream: %v (event so far %+v)", err, ev)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if ev.event != "" || ev.data != "" {
				return ev
			}
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "id: "):
			ev.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			ev.event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.data = strings.TrimPrefix(line, "data: ")
		default:
			t.Fatalf("event stream: unexpected line %q", line)
		}
	}
}

// nextOf returns the next event of type typ about peer, skipping others.
func (st *sseStream) nextOf(t *testing.T, typ, peer string) sseEvent {
	t.Helper()
	for {
		ev := st.next(t)
		if ev.event != typ {
			continue
		}
		var payload api.Event
		if err := json.Unmarshal([]byte(ev.data), &payload); err != nil {
			t.Fatalf("data of %s is not an event: %q: %v", typ, ev.data, err)
		}
		var pe struct {
			PeerID string `json:"peer_id"`
		}
		json.Unmarshal(payload.Data, &pe)
		if pe.PeerID != peer {
			continue
		}
		if strconv.FormatUint(payload.ID, 10) != ev.id || string(payload.Type) != ev.event {
			t.Errorf("the id: and event: lines (%s, %s) disagree with the data %s", ev.id, ev.event, ev.data)
		}
		return ev
	}
}

// The event stream shows a peer arriving and leaving, each with an id: line;
// a client that reconnects with Last-Event-ID gets what it missed, and only
// that.
func TestEventStreamAndResume(t *testing.T) {
	t.Parallel()
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		s := serve(t, tr)
		other := nodetest.New(t, tr)
		otherID := other.Info().PeerID
		ctx := context.Background()

		stream := s.openEvents(t, "", "")
		if _, err := s.client.Connect(ctx, nodetest.Addr(t, tr, other)); err != nil {
			t.Fatal(err)
		}
		connected := stream.nextOf(t, "peer_connected", otherID)
		connectedID, err := strconv.ParseUint(connected.id, 10, 64)
		if err != nil || connectedID == 0 {
			t.Fatalf("peer_connected has id: %q, want a positive number", connected.id)
		}
		stream.resp.Body.Close() // the client goes away and misses what follows

		if err := s.client.Disconnect(ctx, otherID); err != nil {
			t.Fatal(err)
		}
		// No event says the server published peer_disconnected: a fresh
		// stream resuming after peer_connected is the way to see it.
		resumed := s.openEvents(t, connected.id, "")
		disconnected := resumed.nextOf(t, "peer_disconnected", otherID)
		if id, _ := strconv.ParseUint(disconnected.id, 10, 64); id <= connectedID {
			t.Errorf("peer_disconnected id %s is not after peer_connected id %s", disconnected.id, connected.id)
		}

		// The same through ?last_event_id= and through the typed client.
		byQuery := s.openEvents(t, "", "?last_event_id="+connected.id)
		if ev := byQuery.nextOf(t, "peer_disconnected", otherID); ev.id != disconnected.id {
			t.Errorf("resume by query: id %s, want %s", ev.id, disconnected.id)
		}
		cctx, cancel := context.WithTimeout(ctx, waitFor)
		defer cancel()
		stop := errors.New("got it")
		var got api.Event
		_, err = s.client.Events(cctx, connectedID, nil, func(ev api.Event) error {
			got = ev
			return stop
		})
		if !errors.Is(err, stop) || got.Type != "peer_disconnected" || strconv.FormatUint(got.ID, 10) != disconnected.id {
			t.Errorf("client resume: first event %+v (%v), want peer_disconnected %s", got, err, disconnected.id)
		}

		// An ID from before this node started: the client is told it missed
		// events it cannot get back, then gets what the node still has.
		old := s.openEvents(t, "1", "")
		if ev := old.next(t); ev.event != "reset" {
			t.Errorf("resume from an unknown old id: first event %+v, want reset", ev)
		}
		old.nextOf(t, "peer_connected", otherID)

		resp, env := s.do(t, func() *http.Request {
			req := s.request(t, http.MethodGet, "/v1/events", "")
			req.Header.Set("Last-Event-ID", "yesterday")
			return req
		}())
		wantFailure(t, "Last-Event-ID not a number", resp, env, http.StatusBadRequest, api.CodeBadRequest, "yesterday")
	})
}

// Serve returns promptly when its context ends, even with an event
// stream open, and the stream ends.
func TestServeStopsWithOpenEventStream(t *testing.T) {
	t.Parallel()
	s := serve(t, nodetest.QUIC)
	stream := s.openEvents(t, "", "")
	start := time.Now()
	if err := s.stop(); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Serve took %v to return with an open event stream", d)
	}
	if _, err := io.ReadAll(stream.r); err != nil {
		t.Errorf("the event stream did not end cleanly: %v", err)
	}
	if _, err := s.client.Node(context.Background()); !errors.Is(err, api.ErrNoDaemon) {
		t.Errorf("a request after Serve returned: %v, want ErrNoDaemon", err)
	}
}
