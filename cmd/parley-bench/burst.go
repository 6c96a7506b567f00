package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/parley-im/parley/node"
	"github.com/parley-im/parley/node/api"
	"github.com/parley-im/parley/storage"
)

var burstScenario = scenario{
	name: "burst",
	doc:  "peak RSS of two daemons during a 100k-message DM burst through the API (20k with -short), and cold start with 1M messages stored (raw: libp2p stream + Badger defaults; raw-node on a copy of the data)",
	run:  runBurst,
}

// Issue 7's targets.
var (
	burstPeakTarget = atMost(256)
	coldStartTarget = atMost(500)
)

// burstClients is how many API clients send at once during the burst.
const burstClients = 8

func runBurst(ctx context.Context, e *env) ([]Row, error) {
	rows, err := burstRSS(ctx, e)
	if err != nil {
		return nil, err
	}
	cold, err := coldStart(ctx, e)
	if err != nil {
		return nil, err
	}
	return append(rows, cold...), nil
}

// apiDaemon is a running daemon and a client of its API.
type apiDaemon struct {
	c      *child
	home   node.Home
	addr   string
	token  string
	client *api.Client
	info   node.Info
}

func (e *env) startAPIDaemon(ctx context.Context, prefix string) (*apiDaemon, error) {
	dir, err := e.tempDir(prefix)
	if err != nil {
		return nil, err
	}
	d := &apiDaemon{home: node.Home{Dir: dir}}
	if d.c, err = e.startDaemon(dir); err != nil {
		return nil, err
	}
	if _, d.addr, err = daemonReady(d.c); err != nil {
		d.c.kill()
		return nil, err
	}
	if d.token, err = d.home.ReadToken(); err != nil {
		d.c.kill()
		return nil, err
	}
	d.client = api.NewClient(d.addr, d.token)
	if d.info, err = d.client.Node(ctx); err != nil {
		d.c.kill()
		return nil, fmt.Errorf("node info: %w", err)
	}
	return d, nil
}

// poll calls check every interval until it reports done, fails, or
// timeout passes. The API has events for some of what the burst waits
// for, but not for "the receiver has stored N messages"; polling a cheap
// GET is simpler and costs the daemons little at this interval.
func poll(ctx context.Context, interval, timeout time.Duration, what string, check func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		done, err := check()
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not within %v", what, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}

// befriendDaemons connects a to b and makes them friends through the API.
func befriendDaemons(ctx context.Context, a, b *apiDaemon) error {
	if len(b.info.ListenAddrs) == 0 {
		return errors.New("the receiving daemon listens on no address")
	}
	if _, err := a.client.Connect(ctx, b.info.ListenAddrs[0]); err != nil {
		return fmt.Errorf("connect daemons: %w", err)
	}
	req, err := a.client.AddFriend(ctx, b.info.PeerID, "bench")
	if err != nil {
		return fmt.Errorf("friend request: %w", err)
	}
	err = poll(ctx, 20*time.Millisecond, 10*time.Second, "friend request to arrive", func() (bool, error) {
		in, err := b.client.FriendRequests(ctx, "pending", "in")
		for _, r := range in {
			if r.ID == req.ID {
				return true, nil
			}
		}
		return false, err
	})
	if err != nil {
		return err
	}
	if _, err := b.client.AnswerRequest(ctx, req.ID, "accept"); err != nil {
		return fmt.Errorf("accept: %w", err)
	}
	return poll(ctx, 20*time.Millisecond, 10*time.Second, "friendship to reach the sender", func() (bool, error) {
		c, err := a.client.Contact(ctx, b.info.PeerID)
		return err == nil && c.Friend, nil
	})
}

// burstRSS sends a burst from one daemon to another through the API and
// reads both daemons' peak RSS (VmHWM) once the receiver has stored every
// message and the sender has its last one acked; then the same burst
// between two raw-burst processes.
func burstRSS(ctx context.Context, e *env) ([]Row, error) {
	n := e.runs(100_000, 20_000)
	e.step("starting two daemons")
	a, err := e.startAPIDaemon(ctx, "burst-sender")
	if err != nil {
		return nil, err
	}
	defer a.c.kill()
	b, err := e.startAPIDaemon(ctx, "burst-receiver")
	if err != nil {
		return nil, err
	}
	defer b.c.kill()
	if err := befriendDaemons(ctx, a, b); err != nil {
		return nil, err
	}

	e.step("burst of %s messages through the API", count(n))
	stopSampling := sampleAnon(a.c.pid(), b.c.pid())
	t0 := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, burstClients)
	for g := range burstClients {
		wg.Go(func() {
			// A client each: the API client keeps few idle connections.
			c := api.NewClient(a.addr, a.token)
			for i := g; i < n; i += burstClients {
				if _, err := c.Send(ctx, b.info.PeerID, text(i, dmSize)); err != nil {
					errs <- fmt.Errorf("send %d: %w", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	sent := time.Since(t0)
	err = poll(ctx, 100*time.Millisecond, time.Duration(n)*time.Millisecond+time.Minute, "the receiver to store the burst", func() (bool, error) {
		convs, err := b.client.Conversations(ctx)
		for _, c := range convs {
			if c.ID == a.info.PeerID {
				e.step("burst: %d of %d stored by the receiver", c.Unread, n)
				return c.Unread >= n, nil
			}
		}
		return false, err
	})
	if err != nil {
		return nil, err
	}
	stored := time.Since(t0)
	err = poll(ctx, 50*time.Millisecond, time.Minute, "the sender to see its last message delivered", func() (bool, error) {
		page, err := a.client.History(ctx, b.info.PeerID, "", 1)
		return err == nil && len(page.Messages) == 1 && page.Messages[0].Status == storage.StatusDelivered, err
	})
	if err != nil {
		return nil, err
	}
	anon := stopSampling()
	pSend, err := peakRSS(a.c.pid())
	if err != nil {
		return nil, err
	}
	pRecv, err := peakRSS(b.c.pid())
	if err != nil {
		return nil, err
	}
	for _, d := range []*apiDaemon{a, b} {
		if _, err := d.c.stop(); err != nil {
			return nil, err
		}
	}

	e.step("raw burst of %s messages", count(n))
	rSend, rRecv, rTook, err := e.rawBurst(n)
	if err != nil {
		return nil, err
	}
	label := fmt.Sprintf("%s × %d B DM burst", count(n), dmSize)
	apiRate := newRow(label+" through the API, sent → stored by the receiver (msg/s; raw: stream, stored on both ends)", "msg/s", rate(n, stored), rate(n, rTook), noTarget)
	e.step("API calls took %v; receiver had all after %v", sent.Round(time.Millisecond), stored.Round(time.Millisecond))
	return []Row{
		newRow("peak RSS of the sender, "+label+" (MiB; raw: stream + Badger defaults)", "MiB", pSend, rSend, burstPeakTarget),
		newRow("peak RSS of the receiver, "+label+" (MiB; raw: stream + Badger defaults)", "MiB", pRecv, rRecv, burstPeakTarget),
		newRow("peak anonymous RSS (heap, stacks) of the sender, sampled every 50 ms (MiB)", "MiB", anon[0], math.NaN(), noTarget),
		newRow("peak anonymous RSS (heap, stacks) of the receiver, sampled every 50 ms (MiB)", "MiB", anon[1], math.NaN(), noTarget),
		apiRate,
	}, nil
}

// sampleAnon reads the anonymous RSS of the processes every 50 ms until
// the returned function is called, which returns the peak of each (the
// kernel keeps a peak only for the whole RSS, VmHWM, which includes the
// pages of memory-mapped files such as Badger's logs).
func sampleAnon(pids ...int) func() []float64 {
	peaks := make([]float64, len(pids))
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			for i, pid := range pids {
				if m, err := readMemory(pid); err == nil {
					peaks[i] = max(peaks[i], m.anon)
				}
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() []float64 {
		close(stop)
		<-done
		return peaks
	}
}

// rawBurst runs the burst between two raw-burst processes and returns
// their peak RSS and how long the burst took.
func (e *env) rawBurst(n int) (send, recv float64, took time.Duration, err error) {
	return e.rawBurstOf(n, dmSize)
}

// rawBurstOf is rawBurst with messages of size bytes.
func (e *env) rawBurstOf(n, size int) (send, recv float64, took time.Duration, err error) {
	start := func(prefix string) (*child, string, error) {
		dir, err := e.tempDir(prefix)
		if err != nil {
			return nil, "", err
		}
		c, err := startChildWithInput("raw-burst", e.self, []string{rawBurstCommand, dir}, e.verbose)
		if err != nil {
			return nil, "", err
		}
		l, err := c.waitLine(rawBurstAddrPrefix, readyTimeout)
		if err == nil {
			_, err = c.waitLine(rawReadyLine, readyTimeout)
		}
		if err != nil {
			c.kill()
			return nil, "", err
		}
		return c, strings.TrimPrefix(l.text, rawBurstAddrPrefix), nil
	}
	r, raddr, err := start("burst-raw-receiver")
	if err != nil {
		return 0, 0, 0, err
	}
	defer r.kill()
	s, _, err := start("burst-raw-sender")
	if err != nil {
		return 0, 0, 0, err
	}
	defer s.kill()
	t0 := time.Now()
	if _, err := fmt.Fprintf(s.stdin, "send %s %d %d\n", raddr, n, size); err != nil {
		return 0, 0, 0, fmt.Errorf("raw-burst: %w", err)
	}
	if _, err := s.waitLine(rawBurstSentPrefix, time.Duration(n)*time.Millisecond+time.Minute); err != nil {
		return 0, 0, 0, err
	}
	took = time.Since(t0)
	if send, err = peakRSS(s.pid()); err != nil {
		return 0, 0, 0, err
	}
	if recv, err = peakRSS(r.pid()); err != nil {
		return 0, 0, 0, err
	}
	for _, c := range []*child{s, r} {
		if _, err := c.stop(); err != nil {
			return 0, 0, 0, err
		}
	}
	return send, recv, took, nil
}

// coldStart times `parley daemon` to ready on a home holding 1M messages,
// and the raw node on a copy of the same database.
func coldStart(ctx context.Context, e *env) ([]Row, error) {
	runs := e.runs(7, 3)
	e.step("a home with 1M messages")
	f, err := e.millionHome(func(done int) { e.step("filling: %s of 1M messages", count(done)) })
	if err != nil {
		return nil, err
	}
	rawDir, err := e.tempDir("cold-raw")
	if err != nil {
		return nil, err
	}
	if err := copyFlatDir(f.home.DBPath(), rawDir); err != nil {
		return nil, err
	}
	parley := func() (*child, error) { return e.startDaemon(f.home.Dir) }
	parleyReady := func(c *child) (time.Duration, error) {
		d, _, err := daemonReady(c)
		return d, err
	}
	raw := func() (*child, error) { return e.startRawNode(rawDir) }
	var p, r []float64
	// One unmeasured start of each first: the files into the page cache,
	// and whatever a first open after the fill does.
	for i := 0; i <= runs; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e.step("cold start with 1M messages: run %d/%d", i, runs)
		pr, _, err := timeChild(parley, parleyReady)
		if err != nil {
			return nil, err
		}
		rr, _, err := timeChild(raw, rawReady)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			p, r = append(p, pr), append(r, rr)
		}
	}
	return []Row{
		medianRow("ready with 1M messages stored, median (raw: raw-node on a copy of the database)", "ms", p, r, coldStartTarget),
	}, nil
}

// copyFlatDir copies the regular files of src (a Badger directory has no
// subdirectories) into dst.
func copyFlatDir(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return fmt.Errorf("copy database: %w", err)
	}
	for _, ent := range entries {
		if !ent.Type().IsRegular() {
			continue
		}
		if err := copyFile(filepath.Join(src, ent.Name()), filepath.Join(dst, ent.Name())); err != nil {
			return fmt.Errorf("copy database: %w", err)
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
