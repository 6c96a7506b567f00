package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// init and daemon refuse a home whose database outlived its identity.key,
// and say what to do; no new key appears.
func TestInitRefusesHomeWithoutItsKey(t *testing.T) {
	home := t.TempDir()
	if code, _, stderr := parley(t, "--home", home, "init", "--profile", "local"); code != 0 {
		t.Fatalf("init: %s", stderr)
	}
	if err := os.MkdirAll(filepath.Join(home, "db"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "db", "MANIFEST"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(home, "identity.key")); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"init", "--profile", "local"}, {"daemon"}} {
		code, _, stderr := parley(t, append([]string{"--home", home}, args...)...)
		if code == 0 || !strings.Contains(stderr, "put that identity.key back") {
			t.Errorf("%s: exit %d, stderr %q; want a refusal saying what to do", args[0], code, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(home, "identity.key")); !os.IsNotExist(err) {
		t.Fatalf("a new identity.key was made: %v", err)
	}
}

// init on an existing home with a --profile that differs says what it
// kept and exits non-zero; without the flag it reports the home as it is.
func TestInitOnExistingHomeWithOtherProfile(t *testing.T) {
	home := t.TempDir()
	if code, _, stderr := parley(t, "--home", home, "init", "--profile", "local"); code != 0 {
		t.Fatalf("init: %s", stderr)
	}
	code, _, stderr := parley(t, "--home", home, "init", "--profile", "default")
	if code == 0 || !strings.Contains(stderr, `already initialized with profile "local"; kept it`) {
		t.Errorf("init --profile default on a local home: exit %d, %q", code, stderr)
	}
	code, stdout, stderr := parley(t, "--home", home, "init")
	if code != 0 || !strings.Contains(stdout, "already initialized") || !strings.Contains(stdout, "profile: local") {
		t.Errorf("init again: exit %d, %q %q", code, stdout, stderr)
	}
}
