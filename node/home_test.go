package node_test

import (
	"errors"
	"os"
	"syscall"
	"testing"

	"github.com/parley-im/parley/node"
)

// Locked tells whether a daemon holds the home, and asking does not stop a
// daemon from starting at the same moment.
func TestHomeLocked(t *testing.T) {
	home := node.Home{Dir: t.TempDir()}
	locked := func() bool {
		t.Helper()
		held, err := home.Locked()
		if err != nil {
			t.Fatal(err)
		}
		return held
	}
	if locked() {
		t.Fatal("a home without a lock file is locked")
	}
	lock, err := home.Lock()
	if err != nil {
		t.Fatal(err)
	}
	if !locked() {
		t.Fatal("a held lock is not seen")
	}
	if _, err := home.Lock(); !errors.Is(err, node.ErrHomeLocked) {
		t.Fatalf("second Lock: %v, want ErrHomeLocked", err)
	}
	if err := lock.Unlock(); err != nil {
		t.Fatal(err)
	}
	if locked() {
		t.Fatal("a released lock (as after kill -9) is still seen")
	}

	// A client holds the lock shared while it asks; a daemon starting
	// meanwhile waits for it instead of failing.
	probe, err := os.Open(home.LockPath())
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(probe.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		l, err := home.Lock()
		if err == nil {
			err = l.Unlock()
		}
		got <- err
	}()
	probe.Close()
	if err := <-got; err != nil {
		t.Fatalf("Lock while a client checked: %v", err)
	}
}
