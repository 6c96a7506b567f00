package netns

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// event is one line of `parley events --json`.
type event struct {
	ID   uint64          `json:"id"`
	Type string          `json:"type"`
	Time time.Time       `json:"time"`
	Data json.RawMessage `json:"data"`
}

// decode reads the event's data into v; false when it does not fit.
func (e event) decode(v any) bool {
	return json.Unmarshal(e.Data, v) == nil
}

// eventLog keeps every event a daemon sent, in order, across restarts.
// Tests take a mark before they act and wait for an event after it, so an
// event that comes before the wait starts is not missed.
type eventLog struct {
	mu      sync.Mutex
	evs     []event
	changed chan struct{} // closed and replaced on every add
}

func newEventLog() *eventLog { return &eventLog{changed: make(chan struct{})} }

func (l *eventLog) add(e event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evs = append(l.evs, e)
	close(l.changed)
	l.changed = make(chan struct{})
}

// changedCh is closed at the next add.
func (l *eventLog) changedCh() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changed
}

// mark returns the position after the events seen so far.
func (l *eventLog) mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.evs)
}

// since returns the events after mark.
func (l *eventLog) since(mark int) []event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]event(nil), l.evs[mark:]...)
}

// find returns the first event after mark that match accepts.
func (l *eventLog) find(mark int, match func(event) bool) (event, bool, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.evs[mark:] {
		if match(e) {
			return e, true, nil
		}
	}
	return event{}, false, l.changed
}

// wait returns the first event after mark that match accepts, waiting up
// to timeout for it; on timeout the test fails with what was awaited.
func (l *eventLog) wait(t *testing.T, mark int, timeout time.Duration, what string, match func(event) bool) event {
	t.Helper()
	e, ok := l.waitOK(mark, timeout, match)
	if !ok {
		t.Fatalf("timed out after %s waiting for %s", timeout, what)
	}
	return e
}

// waitOK is wait that reports a timeout instead of failing.
func (l *eventLog) waitOK(mark int, timeout time.Duration, match func(event) bool) (event, bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		e, ok, changed := l.find(mark, match)
		if ok {
			return e, true
		}
		select {
		case <-changed:
		case <-deadline.C:
			return event{}, false
		}
	}
}

// Event payloads, as the test reads them.
type (
	peerEvent struct {
		PeerID    string `json:"peer_id"`
		Addr      string `json:"addr"`
		Direction string `json:"direction"`
	}
	nodeEvent struct {
		Reachability string   `json:"reachability"`
		RelayAddrs   []string `json:"relay_addrs"`
	}
	holePunchEvent struct {
		PeerID  string `json:"peer_id"`
		Outcome string `json:"outcome"`
		Method  string `json:"method"`
		Error   string `json:"error"`
	}
	friendRequest struct {
		ID        string `json:"id"`
		UserID    string `json:"user_id"`
		ReqUserID string `json:"req_user_id"`
		Status    string `json:"status"`
		Outgoing  bool   `json:"outgoing"`
	}
	message struct {
		ID        string `json:"id"`
		Sender    string `json:"sender"`
		Recipient string `json:"recipient"`
		Content   string `json:"content"`
		Status    string `json:"status"`
		Outgoing  bool   `json:"outgoing"`
	}
	receipt struct {
		MessageID string `json:"message_id"`
		Status    string `json:"status"`
		Outgoing  bool   `json:"outgoing"`
	}
	nodeInfo struct {
		PeerID       string   `json:"peer_id"`
		Reachability string   `json:"reachability"`
		RelayAddrs   []string `json:"relay_addrs"`
	}
	peerInfo struct {
		PeerID  string `json:"peer_id"`
		Addr    string `json:"addr"`
		Relayed bool   `json:"relayed"`
	}
)

// befriend has a send a friend request to b and b accept it, and waits
// until both sides know.
func befriend(t *testing.T, a, b *daemon, timeout time.Duration) {
	t.Helper()
	markA, markB := a.events.mark(), b.events.mark()
	var sent friendRequest
	a.cliJSON(&sent, "friend", "add", b.peerID(), "-m", "hello from "+a.name)
	ev := b.events.wait(t, markB, timeout, fmt.Sprintf("%s to receive %s's friend request", b.name, a.name), func(e event) bool {
		var r friendRequest
		return e.Type == "friend_request" && e.decode(&r) && !r.Outgoing && r.ReqUserID == a.peerID() && r.Status == "pending"
	})
	var got friendRequest
	ev.decode(&got)
	b.cli("friend", "accept", got.ID)
	a.events.wait(t, markA, timeout, fmt.Sprintf("%s to learn that %s accepted", a.name, b.name), func(e event) bool {
		var r friendRequest
		return e.Type == "friend_request" && e.decode(&r) && r.Outgoing && r.UserID == b.peerID() && r.Status == "accepted"
	})
}

// sendDM sends text from a to b and waits until b has it and a has the
// delivery receipt; it returns the message ID.
func sendDM(t *testing.T, a, b *daemon, text string, timeout time.Duration) string {
	t.Helper()
	markA, markB := a.events.mark(), b.events.mark()
	var m message
	a.cliJSON(&m, "send", b.peerID(), text)
	waitDelivered(t, a, b, markA, markB, m.ID, text, timeout)
	return m.ID
}

// waitDelivered waits until b received message id from a and a got the
// delivered receipt.
func waitDelivered(t *testing.T, a, b *daemon, markA, markB int, id, text string, timeout time.Duration) {
	t.Helper()
	b.events.wait(t, markB, timeout, fmt.Sprintf("%s to receive %q from %s", b.name, text, a.name), func(e event) bool {
		var got message
		return e.Type == "message" && e.decode(&got) && got.ID == id && !got.Outgoing && got.Content == text && got.Sender == a.peerID()
	})
	a.events.wait(t, markA, timeout, fmt.Sprintf("%s's delivery receipt for %q", a.name, text), func(e event) bool {
		var r receipt
		return e.Type == "receipt" && e.decode(&r) && r.MessageID == id && r.Outgoing && (r.Status == "delivered" || r.Status == "read")
	})
}

// connection returns how d is connected to peer ("direct", "relayed"), or
// "" when it is not.
func connection(d *daemon, peer string) (path, addr string) {
	var peers []peerInfo
	d.cliJSON(&peers, "peers")
	for _, p := range peers {
		if p.PeerID == peer {
			if p.Relayed {
				return "relayed", p.Addr
			}
			return "direct", p.Addr
		}
	}
	return "", ""
}

// waitConnected waits until d is connected to peer, whichever side dialed.
func waitConnected(t *testing.T, d *daemon, peer, peerName string, timeout time.Duration) {
	t.Helper()
	mark := d.events.mark()
	if path, _ := connection(d, peer); path != "" {
		return
	}
	d.events.wait(t, mark, timeout, fmt.Sprintf("%s to connect to %s", d.name, peerName), func(e event) bool {
		var p peerEvent
		return e.Type == "peer_connected" && e.decode(&p) && p.PeerID == peer
	})
}

// waitBehindNAT waits until AutoNAT found d private and a relay holds a
// slot for it; it returns d's relay addresses.
func waitBehindNAT(t *testing.T, d *daemon, timeout time.Duration) []string {
	t.Helper()
	ok := func(reach string, relays []string) bool { return reach == "private" && len(relays) > 0 }
	mark := d.events.mark()
	var info nodeInfo
	d.cliJSON(&info, "id")
	if ok(info.Reachability, info.RelayAddrs) {
		return info.RelayAddrs
	}
	ev := d.events.wait(t, mark, timeout, d.name+" to find itself behind a NAT and reserve a relay slot", func(e event) bool {
		var n nodeEvent
		return e.Type == "node" && e.decode(&n) && ok(n.Reachability, n.RelayAddrs)
	})
	var n nodeEvent
	ev.decode(&n)
	return n.RelayAddrs
}

// holePunchOutcome waits, on both sides of a relayed connection, for hole
// punching to end: a direct connection, three failed attempts (libp2p's
// limit, counted on one side) or a protocol error. It reports "direct" or
// "relayed", and the attempts seen.
func holePunchOutcome(t *testing.T, a, b *daemon, markA, markB int, timeout time.Duration) (path, summary string) {
	t.Helper()
	evaluate := func() (string, string, bool) {
		var attempts []string
		verdict := ""
		for _, s := range []struct {
			d, other *daemon
			mark     int
		}{{a, b, markA}, {b, a, markB}} {
			failed := 0
			for _, e := range s.d.events.since(s.mark) {
				var hp holePunchEvent
				if e.Type != "hole_punch" || !e.decode(&hp) || hp.PeerID != s.other.peerID() {
					continue
				}
				attempts = append(attempts, fmt.Sprintf("%s: %s/%s %s", s.d.name, hp.Method, hp.Outcome, hp.Error))
				switch hp.Outcome {
				case "direct":
					verdict = "direct"
				case "error":
					if verdict == "" {
						verdict = "relayed"
					}
				case "failed":
					if failed++; failed >= 3 && verdict == "" {
						verdict = "relayed"
					}
				}
			}
		}
		return verdict, strings.Join(attempts, "; "), verdict != ""
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		chA, chB := a.events.changedCh(), b.events.changedCh()
		if v, sum, ok := evaluate(); ok {
			return v, sum
		}
		select {
		case <-chA:
		case <-chB:
		case <-deadline.C:
			p, _ := connection(a, b.peerID())
			_, sum, _ := evaluate()
			return p, fmt.Sprintf("no outcome within %s (%s)", timeout, sum)
		}
	}
}
