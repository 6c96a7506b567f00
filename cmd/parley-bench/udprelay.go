package main

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// udpHeader is the IPv4 and UDP header of every datagram: the relay counts
// payloads and adds this much per datagram, so that its totals are what
// the datagrams weigh on an IPv4 network.
const udpHeader = 20 + 8

// udpRelay forwards the QUIC datagrams between one peer and the process
// under measurement and counts them both ways. The peer dials the relay's
// address instead of the process's; the process sees the peer's
// connection come from the relay. It is how the idle scenarios count the
// bytes a daemon sends and receives: the daemon is the real binary, and
// Linux keeps no byte counts per UDP socket.
type udpRelay struct {
	front   *net.UDPConn // the peer's side
	back    *net.UDPConn // connected to the process
	peer    atomic.Pointer[net.UDPAddr]
	sent    atomic.Int64 // bytes from the process to the peer
	rcvd    atomic.Int64 // bytes from the peer to the process
	wg      sync.WaitGroup
	closeMu sync.Once
}

// newUDPRelay starts a relay in front of target, a UDP address on
// 127.0.0.1.
func newUDPRelay(target *net.UDPAddr) (*udpRelay, error) {
	loop := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
	front, err := net.ListenUDP("udp4", loop)
	if err != nil {
		return nil, fmt.Errorf("relay: %w", err)
	}
	back, err := net.DialUDP("udp4", loop, target)
	if err != nil {
		front.Close()
		return nil, fmt.Errorf("relay: %w", err)
	}
	r := &udpRelay{front: front, back: back}
	r.wg.Add(2)
	go r.forward()
	go r.backward()
	return r, nil
}

// addr is the relay's address for the peer, as a QUIC multiaddr.
func (r *udpRelay) addr() (ma.Multiaddr, error) {
	a, err := manet.FromNetAddr(r.front.LocalAddr())
	if err != nil {
		return nil, fmt.Errorf("relay address: %w", err)
	}
	return a.Encapsulate(ma.StringCast("/quic-v1")), nil
}

func (r *udpRelay) forward() {
	defer r.wg.Done()
	buf := make([]byte, 64<<10)
	for {
		n, from, err := r.front.ReadFromUDP(buf)
		if err != nil {
			return
		}
		r.peer.Store(from)
		r.rcvd.Add(int64(n + udpHeader))
		_, _ = r.back.Write(buf[:n]) // UDP: a lost datagram is QUIC's to resend
	}
}

func (r *udpRelay) backward() {
	defer r.wg.Done()
	buf := make([]byte, 64<<10)
	for {
		n, err := r.back.Read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // ICMP port unreachable while the process restarts
		}
		to := r.peer.Load()
		if to == nil {
			continue
		}
		r.sent.Add(int64(n + udpHeader))
		_, _ = r.front.WriteToUDP(buf[:n], to)
	}
}

// counts returns the bytes the process has sent and received through the
// relay so far.
func (r *udpRelay) counts() (sent, rcvd int64) { return r.sent.Load(), r.rcvd.Load() }

// close stops the relay.
func (r *udpRelay) close() {
	r.closeMu.Do(func() {
		r.front.Close()
		r.back.Close()
		r.wg.Wait()
	})
}

// quicAddr picks the UDP address of the first QUIC address among addrs.
func quicAddr(addrs []string) (*net.UDPAddr, error) {
	for _, s := range addrs {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			continue
		}
		if _, err := a.ValueForProtocol(ma.P_QUIC_V1); err != nil {
			continue
		}
		na, err := manet.ToNetAddr(a.Decapsulate(ma.StringCast("/quic-v1")))
		if err != nil {
			continue
		}
		if u, ok := na.(*net.UDPAddr); ok {
			return u, nil
		}
	}
	return nil, fmt.Errorf("no QUIC address among %v", addrs)
}

// relaySet is the relays of one measured process, one per peer.
type relaySet []*udpRelay

func (rs relaySet) counts() (sent, rcvd int64) {
	for _, r := range rs {
		s, v := r.counts()
		sent, rcvd = sent+s, rcvd+v
	}
	return sent, rcvd
}

func (rs relaySet) close() {
	for _, r := range rs {
		r.close()
	}
}

// relayWindow is what a relay set counted over an idle window.
type relayWindow struct {
	sent0, rcvd0 int64
	t0           time.Time
}

func (rs relaySet) start() relayWindow {
	s, r := rs.counts()
	return relayWindow{sent0: s, rcvd0: r, t0: time.Now()}
}

// perHour returns the bytes sent and received since start, scaled to an
// hour, in KiB.
func (rs relaySet) perHour(w relayWindow) (sent, rcvd float64) {
	s, r := rs.counts()
	scale := float64(time.Hour) / float64(time.Since(w.t0)) / 1024
	return float64(s-w.sent0) * scale, float64(r-w.rcvd0) * scale
}
