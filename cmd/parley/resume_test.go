package main_test

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// follower is a long-running parley command (events, chat) whose output
// the test reads while it runs.
type follower struct {
	cmd         *exec.Cmd
	out, errOut *syncBuffer
	exited      chan struct{}
}

func follow(t *testing.T, home string, args ...string) *follower {
	t.Helper()
	f := &follower{out: &syncBuffer{}, errOut: &syncBuffer{}, exited: make(chan struct{})}
	f.cmd = exec.Command(parleyBin(t), append([]string{"--home", home}, args...)...)
	f.cmd.Env = env()
	f.cmd.Stdout, f.cmd.Stderr = f.out, f.errOut
	if _, err := f.cmd.StdinPipe(); err != nil { // open, so that chat waits for lines
		t.Fatal(err)
	}
	if err := f.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		f.cmd.Wait()
		close(f.exited)
	}()
	t.Cleanup(func() {
		f.cmd.Process.Signal(syscall.SIGTERM)
		<-f.exited
	})
	return f
}

// waitOutput waits until the command printed want on stdout.
func (f *follower) waitOutput(t *testing.T, what, want string) {
	t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond) // output has no event to wait on
	defer tick.Stop()
	for !strings.Contains(f.out.String(), want) {
		select {
		case <-f.exited:
			t.Fatalf("%s: %s ended: %s\nstdout: %s", what, f.cmd.Args, f.errOut, f.out)
		case <-deadline.C:
			t.Fatalf("%s: %q not shown within %v\nstdout: %s\nstderr: %s", what, want, waitTimeout, f.out, f.errOut)
		case <-tick.C:
		}
	}
}

// parley events and parley chat keep going when the daemon restarts: they
// find the new daemon (on a new API port) and show what comes after, as
// readable lines.
func TestEventsAndChatResumeAcrossRestart(t *testing.T) {
	t.Parallel()
	a, b := startDaemon(t, t.TempDir()), startDaemon(t, t.TempDir())
	befriendByCLI(t, a, b)
	parley(t, b.home, "contacts", "set", a.peer, "--remark", "alice")
	events := follow(t, b.home, "events", "--since", "1") // replays, however soon it subscribes
	screen := follow(t, b.home, "chat", "alice")
	parley(t, a.home, "send", b.peer, "before the restart")
	events.waitOutput(t, "events before the restart", "message           alice (…"+a.peer[len(a.peer)-6:]+"): before the restart")
	screen.waitOutput(t, "chat before the restart", "< before the restart")

	b.stop(t)
	b = startDaemon(t, b.home)
	parley(t, b.home, "connect", a.listen[0])
	parley(t, a.home, "send", b.peer, "after the restart")
	events.waitOutput(t, "events after the restart", "alice (…"+a.peer[len(a.peer)-6:]+"): after the restart")
	screen.waitOutput(t, "chat after the restart", "< after the restart")
	if n := strings.Count(screen.out.String(), "before the restart"); n != 1 {
		t.Errorf("chat shows the first message %d times after the restart, want once:\n%s", n, screen.out)
	}
}
