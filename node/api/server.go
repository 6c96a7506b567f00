package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/parley-im/parley/node"
)

// Server serves the local API of one node.
type Server struct {
	node  *node.Node
	token string
	log   *slog.Logger
	mux   *http.ServeMux
	ui    *uiAuth // the page's sign-in links and sessions
	// limits bound what clients hold (limits.go).
	limits Limits
}

// NewServer returns the API of n, guarded by token, with DefaultLimits
// unless an option says otherwise.
func NewServer(n *node.Node, token string, log *slog.Logger, opts ...Option) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{node: n, token: token, log: log, mux: http.NewServeMux(), ui: newUIAuth(), limits: DefaultLimits}
	for _, o := range opts {
		o(s)
	}
	s.routes()
	return s
}

// route is one entry of the route table.
type route struct {
	pattern string // Go 1.22 ServeMux pattern: "METHOD /path/{wildcard}"
	handler http.HandlerFunc
	maxBody int64 // 0: MaxBodySize
}

// routes is the one route table of the API.
func (s *Server) routes() {
	table := []route{
		{pattern: "GET /v1/node", handler: s.getNode},
		{pattern: "GET /v1/peers", handler: s.getPeers},
		{pattern: "POST /v1/peers", handler: s.postPeers},
		{pattern: "DELETE /v1/peers/{id}", handler: s.deletePeer},
		{pattern: "GET /v1/events", handler: s.getEvents},
		{pattern: "GET /v1/bootstrap", handler: s.getBootstrap},
		{pattern: "POST /v1/bootstrap", handler: s.postBootstrap},
		{pattern: "DELETE /v1/bootstrap/{peer}", handler: s.deleteBootstrap},

		{pattern: "GET /v1/contacts", handler: s.getContacts},
		{pattern: "GET /v1/contacts/{peer}", handler: s.getContact},
		{pattern: "PATCH /v1/contacts/{peer}", handler: s.patchContact},
		{pattern: "DELETE /v1/contacts/{peer}", handler: s.deleteContact},
		{pattern: "PUT /v1/blocks/{peer}", handler: s.putBlock},
		{pattern: "DELETE /v1/blocks/{peer}", handler: s.deleteBlock},
		{pattern: "GET /v1/friend-requests", handler: s.getRequests},
		{pattern: "POST /v1/friend-requests", handler: s.postRequest},
		{pattern: "POST /v1/friend-requests/{id}/{action}", handler: s.postRequestAction},

		{pattern: "POST /v1/messages", handler: s.postMessage, maxBody: maxSendBody},
		{pattern: "GET /v1/conversations", handler: s.getConversations},
		{pattern: "GET /v1/conversations/{peer}/messages", handler: s.getHistory},
		{pattern: "POST /v1/conversations/{peer}/read", handler: s.postRead},
		{pattern: "DELETE /v1/conversations/{peer}", handler: s.deleteConversation},

		{pattern: "GET /v1/groups", handler: s.getGroups},
		{pattern: "POST /v1/groups", handler: s.postGroup},
		{pattern: "GET /v1/groups/{group}", handler: s.getGroup},
		{pattern: "PATCH /v1/groups/{group}", handler: s.patchGroup},
		{pattern: "DELETE /v1/groups/{group}", handler: s.deleteGroup},
		{pattern: "POST /v1/groups/{group}/leave", handler: s.postGroupLeave},
		{pattern: "POST /v1/groups/{group}/read", handler: s.postGroupRead},
		{pattern: "GET /v1/groups/{group}/members", handler: s.getGroupMembers},
		{pattern: "POST /v1/groups/{group}/members", handler: s.postGroupMember},
		{pattern: "DELETE /v1/groups/{group}/members/{peer}", handler: s.deleteGroupMember},
		{pattern: "PUT /v1/groups/{group}/admins/{peer}", handler: s.putGroupAdmin},
		{pattern: "DELETE /v1/groups/{group}/admins/{peer}", handler: s.deleteGroupAdmin},
		{pattern: "POST /v1/groups/{group}/messages", handler: s.postGroupMessage, maxBody: maxSendBody},
		{pattern: "GET /v1/groups/{group}/messages", handler: s.getGroupMessages},
		{pattern: "GET /v1/groups/{group}/notices", handler: s.getGroupNotices},
		{pattern: "GET /v1/group-invites", handler: s.getGroupInvites},
		{pattern: "POST /v1/group-invites/{group}/{action}", handler: s.postGroupInviteAction},

		{pattern: "GET /v1/profile", handler: s.getProfile},
		{pattern: "PUT /v1/profile", handler: s.putProfile},
		{pattern: "PUT /v1/profile/avatar", handler: s.putAvatar, maxBody: maxAvatarBody},
		{pattern: "DELETE /v1/profile/avatar", handler: s.deleteAvatar},
		{pattern: "PUT /v1/presence", handler: s.putPresence},
		{pattern: "GET /v1/users/{peer}", handler: s.getUser},
		{pattern: "GET /v1/peers/{id}/route", handler: s.getPeerRoute},

		{pattern: "GET /metrics", handler: promhttp.HandlerFor(s.node.Metrics(), promhttp.HandlerOpts{}).ServeHTTP},
	}
	table = append(table, s.uiRoutes()...)
	for _, rt := range table {
		limit := rt.maxBody
		if limit == 0 {
			limit = MaxBodySize
		}
		h := rt.handler
		s.mux.HandleFunc(rt.pattern, func(w http.ResponseWriter, r *http.Request) {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			h(w, r)
		})
	}
	s.mux.HandleFunc("/", s.notFound)
}

// ServeHTTP checks Host, Origin and the token, then routes the request. A
// refused request is answered at once, without reading its body, and its
// connection is closed; an authorized one marks its connection as the
// user's, which the connection cap then keeps (limits.go).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := s.admit(r); err != nil {
		// Connection: close also keeps net/http from reading the body
		// before it writes the answer.
		w.Header().Set("Connection", "close")
		if err.Code == CodeUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="parley"`)
		}
		s.fail(w, err)
		// net/http still drains a small body before it closes; the
		// deadline ends that at once (the answer is written before).
		if err := http.NewResponseController(w).SetReadDeadline(time.Now()); err != nil {
			s.log.Debug("api: refused request without read deadline control", "err", err)
		}
		return
	}
	if accessOf(r) != accessPublic {
		trustConn(r.Context()) // it showed a token
	}
	s.mux.ServeHTTP(w, r)
}

// admit checks Host, Origin and the token.
func (s *Server) admit(r *http.Request) *Error {
	if !loopbackHost(r.Host) {
		return errorf(http.StatusForbidden, CodeForbidden, fmt.Sprintf("host %q is not a loopback name; the API only answers requests for 127.0.0.1, ::1 or localhost", r.Host))
	}
	if origin := r.Header.Get("Origin"); origin != "" && !sameOrigin(origin, r.Host) {
		return errorf(http.StatusForbidden, CodeForbidden, fmt.Sprintf("origin %q may not use this API", origin))
	}
	if !s.authorized(r) {
		return errorf(http.StatusUnauthorized, CodeUnauthorized, "missing or wrong API token: send Authorization: Bearer <token from api.token in the node's home>")
	}
	return nil
}

// authorized checks the token the route needs (see accessOf): the API
// token, or for most routes also a page session.
func (s *Server) authorized(r *http.Request) bool {
	acc := accessOf(r)
	if acc == accessPublic {
		return true
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if ok && subtle.ConstantTimeCompare([]byte(tok), []byte(s.token)) == 1 {
		return true
	}
	return ok && acc == accessSession && s.ui.valid(tok)
}

// loopbackHost reports whether a Host header names this machine by a
// loopback address or "localhost", which defeats DNS rebinding.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// sameOrigin accepts an Origin only when it is the API's own address
// (a page the daemon serves itself), which stops cross-site requests.
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Scheme != "http" {
		return false
	}
	return strings.EqualFold(u.Host, host) && loopbackHost(u.Host)
}

// notFound answers requests no route matched: 405 when the path exists
// with other methods, 404 otherwise, both in the envelope.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		s.fail(w, errorf(http.StatusMethodNotAllowed, CodeMethodNotAllowed, fmt.Sprintf("%s is not allowed on %s; use %s", r.Method, r.URL.Path, strings.Join(allowed, " or "))))
		return
	}
	s.fail(w, errorf(http.StatusNotFound, CodeNotFound, fmt.Sprintf("no route %s %s", r.Method, r.URL.Path)))
}

// Serve runs the API on ln until ctx ends, then shuts down: open event
// streams are ended and in-flight requests get up to 5 seconds.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	baseCtx, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.limits.ReadHeaderTimeout,
		ReadTimeout:       s.limits.ReadTimeout,
		WriteTimeout:      s.limits.WriteTimeout,
		IdleTimeout:       s.limits.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return baseCtx },
		ConnContext:       withConn,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(newConnLimiter(ln, s.limits.MaxConns)) }()
	select {
	case err := <-errc:
		return fmt.Errorf("api server: %w", err)
	case <-ctx.Done():
	}
	cancelBase() // ends SSE streams, which would otherwise keep Shutdown waiting
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(shutCtx)
	if serveErr := <-errc; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	if err != nil {
		return fmt.Errorf("api shutdown: %w", err)
	}
	return nil
}
