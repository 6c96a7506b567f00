package node

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Home is a node's home directory. It is the one place that knows the
// paths of the files in it.
type Home struct {
	Dir string
}

// DefaultHome returns $PARLEY_HOME, or ~/.parley.
func DefaultHome() (Home, error) {
	if dir := os.Getenv("PARLEY_HOME"); dir != "" {
		return Home{Dir: dir}, nil
	}
	userHome, err := os.UserHomeDir()
	if err != nil {
		return Home{}, fmt.Errorf("find home directory (set --home or PARLEY_HOME): %w", err)
	}
	return Home{Dir: filepath.Join(userHome, ".parley")}, nil
}

// ConfigPath is the node's config file.
func (h Home) ConfigPath() string { return filepath.Join(h.Dir, "config.toml") }

// KeyPath is the node's identity key file.
func (h Home) KeyPath() string { return filepath.Join(h.Dir, "identity.key") }

// DBPath is the Badger database directory.
func (h Home) DBPath() string { return filepath.Join(h.Dir, "db") }

// APIPath is the file holding the address of the running daemon's API.
func (h Home) APIPath() string { return filepath.Join(h.Dir, "api") }

// TokenPath is the file holding the API bearer token.
func (h Home) TokenPath() string { return filepath.Join(h.Dir, "api.token") }

// ProfilePath is the file recording the profile the home was made with,
// so that a config.toml without a profile key keeps that profile.
func (h Home) ProfilePath() string { return filepath.Join(h.Dir, "profile") }

// UIOpenPath is the page that `parley ui` hands to the browser's opener:
// it forwards to the one-time link, which so never shows in a process's
// arguments (readable by every local user).
func (h Home) UIOpenPath() string { return filepath.Join(h.Dir, "ui-open.html") }

// LockPath is the file a running daemon holds locked.
func (h Home) LockPath() string { return filepath.Join(h.Dir, "daemon.lock") }

// Ensure creates the home directory (0700) if it does not exist.
func (h Home) Ensure() error {
	if err := os.MkdirAll(h.Dir, 0o700); err != nil {
		return fmt.Errorf("create home %s: %w", h.Dir, err)
	}
	return nil
}

// RecordedProfile returns the profile the home was made with, or "" when
// the home has no record of one (made before homes kept it).
func (h Home) RecordedProfile() (string, error) {
	b, err := os.ReadFile(h.ProfilePath())
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read profile record: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// RecordProfile records the home's profile unless it has a record already:
// the first profile sticks.
func (h Home) RecordProfile(profile string) error {
	cur, err := h.RecordedProfile()
	if err != nil || cur != "" {
		return err
	}
	if err := writeFileAtomic(h.ProfilePath(), []byte(profile+"\n"), 0o600); err != nil {
		return fmt.Errorf("record profile: %w", err)
	}
	return nil
}

// hasDatabase reports whether the home holds a database with anything in it.
func (h Home) hasDatabase() (bool, error) {
	entries, err := os.ReadDir(h.DBPath())
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("database %s: %w", h.DBPath(), err)
	}
	return len(entries) > 0, nil
}

// Lock is an exclusive hold on a home directory, released by Unlock or when
// the process dies (it is an flock, so kill -9 leaves nothing to clean up).
type Lock struct {
	f *os.File
}

// lockPatience is how long Lock keeps trying a taken lock: a client
// asking Locked whether a daemon runs holds it shared for an instant,
// which must not make a starting daemon give up.
const lockPatience = 500 * time.Millisecond

// Lock takes the home's daemon lock. When another process holds it, the
// error wraps ErrHomeLocked and names that process.
func (h Home) Lock() (*Lock, error) {
	f, err := os.OpenFile(h.LockPath(), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", h.LockPath(), err)
	}
	if err := flockPatiently(f, lockPatience); err != nil {
		holder := readPID(f)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is held by process %s; stop that daemon or use another --home", ErrHomeLocked, h.Dir, holder)
		}
		return nil, fmt.Errorf("lock %s: %w", h.LockPath(), err)
	}
	// The pid is only for the message a second daemon prints.
	if err := f.Truncate(0); err != nil {
		f.Close()
		return nil, fmt.Errorf("write lock %s: %w", h.LockPath(), err)
	}
	if _, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("write lock %s: %w", h.LockPath(), err)
	}
	return &Lock{f: f}, nil
}

// flockPatiently takes f's exclusive flock, trying again for up to
// patience while it is taken. flock announces no release, so this polls.
func flockPatiently(f *os.File, patience time.Duration) error {
	deadline := time.Now().Add(patience)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Locked reports whether a process (a running daemon, or parley init)
// holds the home's lock. An api file is only worth trusting while it does:
// after kill -9 the file stays, the lock does not. To find out, Locked
// holds the lock shared for an instant; Lock allows for that.
func (h Home) Locked() (bool, error) {
	f, err := os.Open(h.LockPath())
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("open lock %s: %w", h.LockPath(), err)
	}
	defer f.Close() // releases the shared lock, if taken
	switch err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); {
	case err == nil:
		return false, nil
	case errors.Is(err, syscall.EWOULDBLOCK):
		return true, nil
	default:
		return false, fmt.Errorf("check lock %s: %w", h.LockPath(), err)
	}
}

func readPID(f *os.File) string {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0) // best effort: only for the message
	if pid := strings.TrimSpace(string(b[:n])); pid != "" {
		return pid
	}
	return "(unknown pid)"
}

// Unlock releases the lock.
func (l *Lock) Unlock() error {
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("release home lock: %w", err)
	}
	return nil
}

// LoadOrCreateToken returns the API bearer token, creating a random one
// (0600) on first use.
func (h Home) LoadOrCreateToken() (string, error) {
	b, err := os.ReadFile(h.TokenPath())
	if err == nil {
		tok := strings.TrimSpace(string(b))
		if len(tok) < 32 {
			return "", fmt.Errorf("api token %s is too short; delete it to get a new one", h.TokenPath())
		}
		return tok, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read api token: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("generate api token: %w", err)
	}
	tok := hex.EncodeToString(raw)
	if err := writeFileAtomic(h.TokenPath(), []byte(tok+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write api token: %w", err)
	}
	return tok, nil
}

// ReadToken returns the API token of the home, for clients.
func (h Home) ReadToken() (string, error) {
	b, err := os.ReadFile(h.TokenPath())
	if err != nil {
		return "", fmt.Errorf("read api token: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// WriteAPIAddr records the address the daemon's API listens on.
func (h Home) WriteAPIAddr(addr string) error {
	if err := writeFileAtomic(h.APIPath(), []byte(addr+"\n"), 0o600); err != nil {
		return fmt.Errorf("write api address: %w", err)
	}
	return nil
}

// RemoveAPIAddr removes the API address file on shutdown.
func (h Home) RemoveAPIAddr() error {
	if err := os.Remove(h.APIPath()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove api address: %w", err)
	}
	return nil
}

// ReadAPIAddr returns the address of the running daemon's API. It fails
// with an error wrapping os.ErrNotExist when no daemon has written one.
func (h Home) ReadAPIAddr() (string, error) {
	b, err := os.ReadFile(h.APIPath())
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// writeFileAtomic writes data to a temporary file next to path and renames
// it into place, so readers never see a half-written file.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
