package api

import (
	"bytes"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/parley-im/parley/node/web"
)

// PageCSP is the Content-Security-Policy of the page: scripts, styles and
// connections only from the page's own origin, no inline script or
// style, images also from data: and blob: URLs (avatars and the upload
// preview), and no framing.
const PageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// uiRoutes are the page and its sign-in.
func (s *Server) uiRoutes() []route {
	return []route{
		{pattern: "GET /{$}", handler: s.getPage},
		{pattern: "GET /ui/{file}", handler: s.getPage},
		{pattern: "POST /v1/ui/links", handler: s.postUILink},
		{pattern: "POST /v1/ui/sessions", handler: s.postUISession, maxBody: 4 << 10},
		{pattern: "DELETE /v1/ui/sessions", handler: s.deleteUISessions},
		{pattern: "DELETE /v1/ui/session", handler: s.deleteUISession},
	}
}

// access is who may use a route.
type access int

const (
	accessSession access = iota // the API token or a page session
	accessPublic                // anyone who passed the Host and Origin checks
	accessToken                 // the API token only
)

// accessOf classifies a request: the page and the trading of a link code
// are public; making links and ending all sessions need the API token, so
// that a page session cannot keep itself alive past `parley ui --revoke`.
func accessOf(r *http.Request) access {
	p := r.URL.Path
	switch {
	case (r.Method == http.MethodGet || r.Method == http.MethodHead) && (p == "/" || strings.HasPrefix(p, "/ui/")):
		return accessPublic
	case r.Method == http.MethodPost && p == "/v1/ui/sessions":
		return accessPublic
	case r.Method == http.MethodPost && p == "/v1/ui/links",
		r.Method == http.MethodDelete && p == "/v1/ui/sessions":
		return accessToken
	}
	return accessSession
}

// getPage serves index.html at / and the page's other files under /ui/.
func (s *Server) getPage(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	if name == "" {
		name = "index.html"
	}
	b, err := fs.ReadFile(web.Files, name)
	if err != nil || strings.Contains(name, "/") {
		s.fail(w, errorf(http.StatusNotFound, CodeNotFound, "no page file "+r.URL.Path))
		return
	}
	h := w.Header()
	h.Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
	h.Set("Content-Security-Policy", PageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
}

// UILink is the data of POST /v1/ui/links.
type UILink struct {
	// URL opens the page and signs it in; it works once, until ExpiresAt.
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (s *Server) postUILink(w http.ResponseWriter, r *http.Request) {
	code, exp := s.ui.newLink()
	// The code rides in the fragment, which the browser never sends to
	// a server, so it stays out of logs and Referer headers.
	s.ok(w, UILink{URL: "http://" + r.Host + "/#code=" + code, ExpiresAt: exp})
}

// UISessionBody is the body of POST /v1/ui/sessions.
type UISessionBody struct {
	Code string `json:"code"`
}

// UISession is the data of POST /v1/ui/sessions: the page's Bearer token.
type UISession struct {
	Token string `json:"token"`
}

func (s *Server) postUISession(w http.ResponseWriter, r *http.Request) {
	var body UISessionBody
	if err := decodeBody(r, &body); err != nil {
		s.fail(w, err)
		return
	}
	tok, ok := s.ui.redeem(body.Code)
	if !ok {
		s.fail(w, errorf(http.StatusUnauthorized, CodeUnauthorized, "this sign-in link is unknown, used or expired; run parley ui for a new one"))
		return
	}
	s.ok(w, UISession{Token: tok})
}

// RevokeResult is the data of DELETE /v1/ui/sessions.
type RevokeResult struct {
	Revoked int `json:"revoked"`
}

func (s *Server) deleteUISessions(w http.ResponseWriter, r *http.Request) {
	s.ok(w, RevokeResult{Revoked: s.ui.revokeAll()})
}

func (s *Server) deleteUISession(w http.ResponseWriter, r *http.Request) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !s.ui.valid(tok) {
		s.fail(w, errorf(http.StatusBadRequest, CodeBadRequest, "this request carries no page session to end"))
		return
	}
	s.ui.end(tok)
	s.ok(w, nil)
}
