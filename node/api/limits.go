package api

import (
	"container/list"
	"context"
	"net"
	"sync"
	"time"
)

// Limits bound what a client of the API can hold. A process without the
// token gets an answer at once and its connection closed; one that trickles
// its request is cut off by the read timeouts; and the API never holds more
// than MaxConns connections, so a flood of them cannot take the file
// descriptors the node's peers need.
type Limits struct {
	// ReadHeaderTimeout bounds the time to read a request's headers.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds the time to read a whole request, body included.
	ReadTimeout time.Duration
	// WriteTimeout bounds the time from the end of the headers to the end
	// of the response; the event stream lifts it and bounds each write by
	// it instead.
	WriteTimeout time.Duration
	// IdleTimeout closes a kept-alive connection that sends no request.
	IdleTimeout time.Duration
	// MaxConns is how many connections the API holds at once. At the cap,
	// a new connection replaces the oldest one that has not yet sent a
	// request with the token; when every one has, it is closed at once.
	MaxConns int
}

// DefaultLimits are the limits of the daemon's API.
var DefaultLimits = Limits{
	ReadHeaderTimeout: 5 * time.Second,
	ReadTimeout:       30 * time.Second,
	WriteTimeout:      2 * time.Minute,
	IdleTimeout:       2 * time.Minute,
	MaxConns:          128,
}

// Option changes a Server's settings.
type Option func(*Server)

// WithLimits replaces DefaultLimits.
func WithLimits(l Limits) Option { return func(s *Server) { s.limits = l } }

// connLimiter is a listener that holds at most max connections. At the cap
// it makes room by closing the oldest connection that has not shown the
// token, so that connections which never finish a request (slowloris)
// cannot lock out the user's own clients.
type connLimiter struct {
	net.Listener
	max   int
	mu    sync.Mutex
	conns list.List // of *limitedConn, oldest first
}

func newConnLimiter(ln net.Listener, max int) *connLimiter {
	return &connLimiter{Listener: ln, max: max}
}

// Accept returns the next connection, making room for it first.
func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		lc := &limitedConn{Conn: c, owner: l}
		victim, ok := l.admit(lc)
		if victim != nil {
			_ = victim.Close()
		}
		if ok {
			return lc, nil
		}
		_ = c.Close()
	}
}

// admit adds lc unless the limiter is full of trusted connections; it
// returns the connection lc displaces, if any.
func (l *connLimiter) admit(lc *limitedConn) (victim *limitedConn, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conns.Len() >= l.max {
		for e := l.conns.Front(); e != nil; e = e.Next() {
			if c := e.Value.(*limitedConn); !c.trusted {
				victim = c
				l.conns.Remove(e)
				c.elem = nil
				break
			}
		}
		if victim == nil {
			return nil, false
		}
	}
	lc.elem = l.conns.PushBack(lc)
	return victim, true
}

// open is how many connections the limiter holds.
func (l *connLimiter) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.conns.Len()
}

func (l *connLimiter) release(c *limitedConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.elem != nil {
		l.conns.Remove(c.elem)
		c.elem = nil
	}
}

func (l *connLimiter) trust(c *limitedConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c.trusted = true
}

// limitedConn is a connection the limiter counts until it closes.
type limitedConn struct {
	net.Conn
	owner *connLimiter
	once  sync.Once
	// elem and trusted are guarded by owner.mu.
	elem    *list.Element
	trusted bool
}

// Close releases the connection's slot.
func (c *limitedConn) Close() error {
	c.once.Do(func() { c.owner.release(c) })
	return c.Conn.Close()
}

// connKey is the context key under which a request finds its connection.
type connKey struct{}

func withConn(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// trustConn marks the connection of an authorized request, which the
// limiter then never displaces.
func trustConn(ctx context.Context) {
	if c, ok := ctx.Value(connKey{}).(*limitedConn); ok {
		c.owner.trust(c)
	}
}
