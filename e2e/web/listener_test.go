package web_test

import (
	"net"
	"sync"
)

// dropListener is an API listener a test can take down: setDown(true)
// closes every open connection and refuses new ones until setDown(false),
// as a dropped connection to the daemon would.
type dropListener struct {
	net.Listener
	mu    sync.Mutex
	down  bool
	conns map[net.Conn]struct{}
}

func newDropListener(ln net.Listener) *dropListener {
	return &dropListener{Listener: ln, conns: map[net.Conn]struct{}{}}
}

// Accept returns the next connection, closing those that come while down.
func (l *dropListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.mu.Lock()
		if l.down {
			l.mu.Unlock()
			c.Close()
			continue
		}
		tc := &trackedConn{Conn: c, l: l}
		l.conns[tc] = struct{}{}
		l.mu.Unlock()
		return tc, nil
	}
}

func (l *dropListener) setDown(down bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.down = down
	if down {
		for c := range l.conns {
			c.(*trackedConn).Conn.Close()
			delete(l.conns, c)
		}
	}
}

type trackedConn struct {
	net.Conn
	l *dropListener
}

func (c *trackedConn) Close() error {
	c.l.mu.Lock()
	delete(c.l.conns, c)
	c.l.mu.Unlock()
	return c.Conn.Close()
}
