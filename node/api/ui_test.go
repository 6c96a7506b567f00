package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/parley-im/parley/node/api"
	"github.com/parley-im/parley/node/nodetest"
)

// linkCode asks for a sign-in link with the API token and returns its
// one-time code.
func (s *served) linkCode(t *testing.T) string {
	t.Helper()
	resp, env := s.do(t, s.request(t, http.MethodPost, "/v1/ui/links", ""))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /v1/ui/links: HTTP %d %q", resp.StatusCode, env.Message)
	}
	var link api.UILink
	if err := json.Unmarshal(*env.Data, &link); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(link.URL)
	if err != nil {
		t.Fatal(err)
	}
	if u.Host != s.addr || u.Path != "/" || u.RawQuery != "" {
		t.Fatalf("link %q: want http://%s/#code=…, the code only in the fragment", link.URL, s.addr)
	}
	code, ok := strings.CutPrefix(u.Fragment, "code=")
	if !ok || len(code) < 40 {
		t.Fatalf("link %q has no code of 256 bits in its fragment", link.URL)
	}
	return code
}

// redeem trades code for a session; it returns the HTTP status and the
// token (empty on failure).
func (s *served) redeem(t *testing.T, code string) (int, string) {
	t.Helper()
	req := s.request(t, http.MethodPost, "/v1/ui/sessions", `{"code":"`+code+`"}`)
	req.Header.Del("Authorization")
	resp, env := s.do(t, req)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, ""
	}
	var sess api.UISession
	if err := json.Unmarshal(*env.Data, &sess); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, sess.Token
}

// withToken sends a request with another bearer token.
func (s *served) withToken(t *testing.T, token, method, path string) int {
	t.Helper()
	req := s.request(t, method, path, "")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, _ := s.do(t, req)
	return resp.StatusCode
}

func TestUILinkWorksOnce(t *testing.T) {
	s := serve(t, nodetest.QUIC)
	code := s.linkCode(t)
	status, tok := s.redeem(t, code)
	if status != http.StatusOK || tok == "" {
		t.Fatalf("first use of the link: HTTP %d", status)
	}
	if got := s.withToken(t, tok, http.MethodGet, "/v1/node"); got != http.StatusOK {
		t.Errorf("GET /v1/node with the page session: HTTP %d, want 200", got)
	}
	if status, _ := s.redeem(t, code); status != http.StatusUnauthorized {
		t.Errorf("second use of the link: HTTP %d, want 401", status)
	}
	if status, _ := s.redeem(t, "not-a-code"); status != http.StatusUnauthorized {
		t.Errorf("made-up code: HTTP %d, want 401", status)
	}
	if got := s.withToken(t, "not-a-session", http.MethodGet, "/v1/node"); got != http.StatusUnauthorized {
		t.Errorf("made-up session: HTTP %d, want 401", got)
	}
}

func TestUISessionCannotMintLinksOrRevoke(t *testing.T) {
	s := serve(t, nodetest.QUIC)
	_, tok := s.redeem(t, s.linkCode(t))
	if got := s.withToken(t, tok, http.MethodPost, "/v1/ui/links"); got != http.StatusUnauthorized {
		t.Errorf("POST /v1/ui/links with a page session: HTTP %d, want 401", got)
	}
	if got := s.withToken(t, tok, http.MethodDelete, "/v1/ui/sessions"); got != http.StatusUnauthorized {
		t.Errorf("DELETE /v1/ui/sessions with a page session: HTTP %d, want 401", got)
	}
	req := s.request(t, http.MethodPost, "/v1/ui/links", "")
	req.Header.Del("Authorization")
	if resp, _ := s.do(t, req); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST /v1/ui/links without a token: HTTP %d, want 401", resp.StatusCode)
	}
}

func TestUIRevokeEndsSessionsAndLinks(t *testing.T) {
	s := serve(t, nodetest.QUIC)
	_, tok1 := s.redeem(t, s.linkCode(t))
	_, tok2 := s.redeem(t, s.linkCode(t))
	unused := s.linkCode(t)
	res, err := s.client.RevokeUISessions(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Revoked != 2 {
		t.Errorf("revoked %d sessions, want 2", res.Revoked)
	}
	for _, tok := range []string{tok1, tok2} {
		if got := s.withToken(t, tok, http.MethodGet, "/v1/node"); got != http.StatusUnauthorized {
			t.Errorf("a revoked session: HTTP %d, want 401", got)
		}
	}
	if status, _ := s.redeem(t, unused); status != http.StatusUnauthorized {
		t.Errorf("a link made before the revoke: HTTP %d, want 401", status)
	}
	if got := s.withToken(t, testToken, http.MethodGet, "/v1/node"); got != http.StatusOK {
		t.Errorf("the API token after a revoke: HTTP %d, want 200", got)
	}
}

func TestUISignOutEndsOneSession(t *testing.T) {
	s := serve(t, nodetest.QUIC)
	_, tok1 := s.redeem(t, s.linkCode(t))
	_, tok2 := s.redeem(t, s.linkCode(t))
	if got := s.withToken(t, tok1, http.MethodDelete, "/v1/ui/session"); got != http.StatusOK {
		t.Fatalf("DELETE /v1/ui/session: HTTP %d", got)
	}
	if got := s.withToken(t, tok1, http.MethodGet, "/v1/node"); got != http.StatusUnauthorized {
		t.Errorf("signed-out session: HTTP %d, want 401", got)
	}
	if got := s.withToken(t, tok2, http.MethodGet, "/v1/node"); got != http.StatusOK {
		t.Errorf("the other session: HTTP %d, want 200", got)
	}
}

func TestUIRedeemRefusesForeignOrigin(t *testing.T) {
	s := serve(t, nodetest.QUIC)
	code := s.linkCode(t)
	req := s.request(t, http.MethodPost, "/v1/ui/sessions", `{"code":"`+code+`"}`)
	req.Header.Del("Authorization")
	req.Header.Set("Origin", "http://evil.example")
	resp, env := s.do(t, req)
	wantFailure(t, "redeem from a foreign origin", resp, env, http.StatusForbidden, api.CodeForbidden)
	// The refused request did not use the code up.
	if status, _ := s.redeem(t, code); status != http.StatusOK {
		t.Errorf("the code after a refused foreign request: HTTP %d, want 200", status)
	}
}

func TestPageServedWithCSP(t *testing.T) {
	s := serve(t, nodetest.QUIC)
	for path, ctype := range map[string]string{"/": "text/html", "/ui/app.js": "text/javascript", "/ui/app.css": "text/css"} {
		req, err := http.NewRequest(http.MethodGet, "http://"+s.addr+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := s.http.Do(req) // no token: the page itself is public
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || len(body) == 0 {
			t.Errorf("GET %s: HTTP %d, %d bytes", path, resp.StatusCode, len(body))
		}
		if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, ctype) {
			t.Errorf("GET %s: Content-Type %q, want %s", path, got, ctype)
		}
		if got := resp.Header.Get("Content-Security-Policy"); got != api.PageCSP {
			t.Errorf("GET %s: CSP %q, want %q", path, got, api.PageCSP)
		}
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q", path, got)
		}
	}
	for _, csp := range []string{"script-src 'self'", "frame-ancestors 'none'", "default-src 'none'"} {
		if !strings.Contains(api.PageCSP, csp) {
			t.Errorf("CSP lacks %s", csp)
		}
	}
	if strings.Contains(api.PageCSP, "unsafe-inline") {
		t.Error("CSP allows inline script or style")
	}
	req := s.request(t, http.MethodGet, "/ui/nothing.js", "")
	resp, env := s.do(t, req)
	wantFailure(t, "GET /ui/nothing.js", resp, env, http.StatusNotFound, api.CodeNotFound)
	req = s.request(t, http.MethodGet, "/", "")
	req.Host = "evil.example:80"
	resp, env = s.do(t, req)
	wantFailure(t, "page for a foreign Host", resp, env, http.StatusForbidden, api.CodeForbidden)
}
