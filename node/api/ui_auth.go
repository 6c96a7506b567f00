package api

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"time"
)

// Sign-in of the page. `parley ui` asks for a one-time link code with the
// API token; the page's script trades the code for a session token, keeps
// it in sessionStorage and sends it as a Bearer header. Nothing of it is a
// cookie, so the browser never sends it on its own to a cross-site
// request, and the Host and Origin checks stay as they are.
const (
	// LinkTTL is how long a link code can be traded for a session.
	LinkTTL = time.Minute
	// maxLinks bounds the codes waiting to be used; the oldest goes first.
	maxLinks = 16
	// maxSessions bounds the page sessions; the oldest goes first.
	maxSessions = 64
)

// uiAuth holds the link codes and sessions, in memory only: a daemon
// restart ends every session. Both are kept by the SHA-256 of the secret,
// so that a lookup takes the same time whatever the secret's prefix.
type uiAuth struct {
	mu       sync.Mutex
	now      func() time.Time
	links    map[[32]byte]time.Time // expiry
	sessions map[[32]byte]time.Time // creation
}

func newUIAuth() *uiAuth {
	return &uiAuth{now: time.Now, links: map[[32]byte]time.Time{}, sessions: map[[32]byte]time.Time{}}
}

// newSecret returns 32 random bytes, base64url-encoded.
func newSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand doc)
	return base64.RawURLEncoding.EncodeToString(b)
}

// newLink returns a fresh one-time code and its expiry.
func (a *uiAuth) newLink() (string, time.Time) {
	code := newSecret()
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	for k, exp := range a.links {
		if !now.Before(exp) {
			delete(a.links, k)
		}
	}
	evictOldest(a.links, maxLinks-1)
	exp := now.Add(LinkTTL)
	a.links[sha256.Sum256([]byte(code))] = exp
	return code, exp
}

// redeem trades a link code for a session token. A code works once, and
// only before it expires; ok is false otherwise.
func (a *uiAuth) redeem(code string) (token string, ok bool) {
	key := sha256.Sum256([]byte(code))
	a.mu.Lock()
	defer a.mu.Unlock()
	exp, found := a.links[key]
	delete(a.links, key)
	if !found || !a.now().Before(exp) {
		return "", false
	}
	token = newSecret()
	evictOldest(a.sessions, maxSessions-1)
	a.sessions[sha256.Sum256([]byte(token))] = a.now()
	return token, true
}

// valid reports whether token is a live session.
func (a *uiAuth) valid(token string) bool {
	if token == "" {
		return false
	}
	key := sha256.Sum256([]byte(token))
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.sessions[key]
	return ok
}

// end ends one session (signing out of one page).
func (a *uiAuth) end(token string) {
	key := sha256.Sum256([]byte(token))
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.sessions, key)
}

// revokeAll ends every session and voids every unused link; it returns
// how many sessions it ended.
func (a *uiAuth) revokeAll() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := len(a.sessions)
	clear(a.sessions)
	clear(a.links)
	return n
}

// evictOldest removes the entries with the smallest times until m has at
// most keep entries.
func evictOldest(m map[[32]byte]time.Time, keep int) {
	for len(m) > keep {
		var oldest [32]byte
		var t time.Time
		first := true
		for k, v := range m {
			if first || v.Before(t) {
				oldest, t, first = k, v, false
			}
		}
		delete(m, oldest)
	}
}
