package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Timeouts for things that take milliseconds when all is well.
const (
	readyTimeout = 30 * time.Second
	stopTimeout  = 15 * time.Second
)

// child is a process under measurement whose stdout is read line by line,
// each line stamped with the time it arrived.
type child struct {
	name    string
	cmd     *exec.Cmd
	started time.Time
	lines   chan line
	stderr  *tail
	exited  chan struct{} // closed when Wait has returned
	waitErr error         // Wait's result, set before exited is closed
	// stdin writes to the child's standard input; nil unless asked for
	// (startChildWithInput).
	stdin io.WriteCloser
}

// line is a line of a child's stdout and when it was read.
type line struct {
	text string
	at   time.Time
}

// startChild starts path with args. The clock of ready-time figures starts
// just before the exec. verbose, when not nil, gets a copy of its stderr.
func startChild(name, path string, args []string, verbose io.Writer) (*child, error) {
	return newChild(name, path, args, verbose, false)
}

// startChildWithInput is startChild with a pipe to the child's stdin in
// c.stdin.
func startChildWithInput(name, path string, args []string, verbose io.Writer) (*child, error) {
	return newChild(name, path, args, verbose, true)
}

func newChild(name, path string, args []string, verbose io.Writer, input bool) (*child, error) {
	c := &child{
		name:   name,
		lines:  make(chan line, 256),
		stderr: &tail{max: 8 << 10},
		exited: make(chan struct{}),
	}
	cmd := exec.Command(path, args...)
	cmd.Env = childEnv()
	cmd.Stdout = &lineWriter{out: c.lines}
	cmd.Stderr = c.stderr
	if verbose != nil {
		cmd.Stderr = io.MultiWriter(c.stderr, &prefixWriter{w: verbose, prefix: name + ": "})
	}
	// If parley-bench dies, its children die with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	c.cmd = cmd
	if input {
		w, err := cmd.StdinPipe()
		if err != nil {
			return nil, fmt.Errorf("start %s: %w", name, err)
		}
		c.stdin = w
	}
	c.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

// childEnv is our environment without the variables that would point a
// daemon at the user's home or encrypt its new key.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PARLEY_HOME=") || strings.HasPrefix(kv, "PARLEY_PASSPHRASE=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// pid returns the child's process ID.
func (c *child) pid() int { return c.cmd.Process.Pid }

// waitLine waits for a stdout line starting with prefix, skipping others.
// It fails when the child exits or timeout passes first.
func (c *child) waitLine(prefix string, timeout time.Duration) (line, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case l := <-c.lines:
			if strings.HasPrefix(l.text, prefix) {
				return l, nil
			}
		case <-c.exited:
			// Wait returns only after stdout is copied: what is left
			// in the channel is all there is.
			for {
				select {
				case l := <-c.lines:
					if strings.HasPrefix(l.text, prefix) {
						return l, nil
					}
				default:
					return line{}, fmt.Errorf("%s exited (%v) before printing %q%s", c.name, c.waitErr, prefix, c.stderr.note())
				}
			}
		case <-timer.C:
			return line{}, fmt.Errorf("%s printed no %q line within %v%s", c.name, prefix, timeout, c.stderr.note())
		}
	}
}

// signal sends sig to the child.
func (c *child) signal(sig os.Signal) error {
	if err := c.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signal %s: %w", c.name, err)
	}
	return nil
}

// stop sends SIGTERM and waits for the child to exit with status 0. It
// returns how long the exit took.
func (c *child) stop() (time.Duration, error) {
	t0 := time.Now()
	if err := c.signal(syscall.SIGTERM); err != nil {
		select {
		case <-c.exited:
			return 0, fmt.Errorf("%s had exited (%v) before SIGTERM%s", c.name, c.waitErr, c.stderr.note())
		default:
			return 0, err
		}
	}
	timer := time.NewTimer(stopTimeout)
	defer timer.Stop()
	select {
	case <-c.exited:
	case <-timer.C:
		c.kill()
		return 0, fmt.Errorf("%s did not exit within %v of SIGTERM; killed%s", c.name, stopTimeout, c.stderr.note())
	}
	took := time.Since(t0)
	if c.waitErr != nil {
		return took, fmt.Errorf("%s after SIGTERM: %v%s", c.name, c.waitErr, c.stderr.note())
	}
	return took, nil
}

// kill ends the child at once if it still runs and waits for it. Scenarios
// defer it so that an error path leaves no process behind.
func (c *child) kill() {
	select {
	case <-c.exited:
		return
	default:
	}
	_ = c.cmd.Process.Kill() // it may exit on its own meanwhile; Wait tells
	<-c.exited
}

// lineWriter splits what it is given into lines for a channel. exec's copy
// goroutine calls Write as data arrives, so the stamp is the arrival time.
// When nobody reads, lines beyond the channel's buffer are dropped rather
// than blocking the child.
type lineWriter struct {
	out     chan<- line
	partial []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	now := time.Now()
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		text := strings.TrimRight(string(w.partial[:i]), "\r")
		w.partial = w.partial[i+1:]
		select {
		case w.out <- line{text: text, at: now}:
		default:
		}
	}
	return len(p), nil
}

// tail keeps the last max bytes written to it, for error messages.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = t.buf[over:]
	}
	return len(p), nil
}

// note is the tail formatted to end an error message, or "".
func (t *tail) note() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(string(t.buf))
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > 10 {
		lines = lines[len(lines)-10:]
	}
	return "; its stderr ends:\n\t" + strings.Join(lines, "\n\t")
}

// prefixWriter writes each line with a prefix (for -v).
type prefixWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	mid    bool // inside a line
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []byte
	for _, c := range b {
		if !p.mid {
			out = append(out, p.prefix...)
			p.mid = true
		}
		out = append(out, c)
		if c == '\n' {
			p.mid = false
		}
	}
	if _, err := p.w.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}
