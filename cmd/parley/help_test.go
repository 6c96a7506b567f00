package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// Every command's --help shows an example.
func TestEveryCommandHasAnExample(t *testing.T) {
	c := &cli{}
	root := c.rootCommand()
	var walk func(cmd *cobra.Command)
	walk = func(cmd *cobra.Command) {
		if !hasExample(cmd) {
			t.Errorf("%s --help has no example", cmd.CommandPath())
		}
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// Errors say what went wrong in the user's terms, and with --json they
// are a JSON object on stderr.
func TestErrorsInUserTerms(t *testing.T) {
	home, _ := daemonHome(t)
	for _, tc := range []struct {
		args []string
		out  string
	}{
		{[]string{"send", "bob", "see", "you"}, `parley send takes <peer> [text], not 3 arguments (put a text of several words in quotes`},
		{[]string{"history", "bob", "--limit", "0"}, "--limit 0: give 1 to 500"},
		{[]string{"group", "history", "x", "--limit", "501"}, "--limit 501: give 1 to 500"},
		{[]string{"presence", "set", "away", "--note", strings.Repeat("n", 300)}, "the note is 300 characters; the limit is 256"},
		{[]string{"send", "bob", strings.Repeat("x", 70<<10)}, "the message is 71680 bytes; the limit is 65536 (64 KiB)"},
		{[]string{"connect", "/ip4/127.0.0.1/tcp/1/p2p/bogus"}, `"bogus" after /p2p/ is not a peer id`},
	} {
		code, _, stderr := parley(t, append([]string{"--home", home}, tc.args...)...)
		if code != 1 || !strings.Contains(stderr, tc.out) {
			t.Errorf("parley %.60s: exit %d, %q; want %q", strings.Join(tc.args, " "), code, stderr, tc.out)
		}
	}
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"send", "a", "b", "c"}, 1},
		{[]string{"history", "nobody"}, 1002},
	} {
		code, stdout, stderr := parley(t, append([]string{"--home", home, "--json"}, tc.args...)...)
		var je jsonError
		if err := json.Unmarshal([]byte(stderr), &je); code != 1 || err != nil || int(je.Code) != tc.code || je.Message == "" || stdout != "" {
			t.Errorf("--json %s: exit %d, stderr %q (%v); want a JSON error with code %d", strings.Join(tc.args, " "), code, stderr, err, tc.code)
		}
	}
	code, _, stderr := parley(t, "--home", t.TempDir(), "--json", "peers")
	var je jsonError
	if err := json.Unmarshal([]byte(stderr), &je); code != 1 || err != nil || je.Code != 1501 || !strings.Contains(je.Message, "daemon") {
		t.Errorf("--json peers without a daemon: exit %d, %q; want code 1501", code, stderr)
	}
}

// The "older:" hint shows only when there are older messages.
func TestOlderHintOnlyWhenOlderExist(t *testing.T) {
	homeA, _, _, b := friendPair(t)
	idB := b.Host().ID().String()
	for _, text := range []string{"one", "two"} {
		if code, _, stderr := parley(t, "--home", homeA, "send", idB, text); code != 0 {
			t.Fatal(stderr)
		}
	}
	for limit, want := range map[string]bool{"1": true, "2": false, "3": false} {
		code, stdout, stderr := parley(t, "--home", homeA, "history", idB, "--limit", limit)
		if code != 0 || strings.Contains(stdout, "older:") != want {
			t.Errorf("history --limit %s: exit %d, %q %q; want an older: hint %v", limit, code, stdout, stderr, want)
		}
	}
}

// id works without a daemon: the peer ID from the key file, and a word
// that the daemon is not running; an encrypted key's passphrase is asked
// for on a terminal.
func TestIDWithoutDaemon(t *testing.T) {
	home := t.TempDir()
	if code, _, stderr := parley(t, "--home", home, "id"); code != 1 || !strings.Contains(stderr, "init") {
		t.Errorf("id on an empty home: exit %d, %q; want a hint to init", code, stderr)
	}
	code, stdout, _ := parley(t, "--home", home, "--json", "init", "--profile", "local")
	var res struct {
		PeerID string `json:"peer_id"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); code != 0 || err != nil {
		t.Fatalf("init: %q", stdout)
	}
	code, stdout, stderr := parley(t, "--home", home, "id")
	if code != 0 || !strings.Contains(stdout, res.PeerID) || !strings.Contains(stdout, "not running") {
		t.Errorf("id without a daemon: exit %d, %q %q", code, stdout, stderr)
	}

	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("no script(1) to give the command a terminal")
	}
	enc := t.TempDir()
	pass := filepath.Join(t.TempDir(), "pass")
	if err := os.WriteFile(pass, []byte("right\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = parley(t, "--home", enc, "--json", "init", "--profile", "local", "--passphrase-file", pass)
	if err := json.Unmarshal([]byte(stdout), &res); code != 0 || err != nil {
		t.Fatalf("init encrypted: %q %q", stdout, stderr)
	}
	bin := filepath.Join(t.TempDir(), "parley")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	// The passphrase is typed only once the prompt shows: typed ahead, the
	// terminal would echo it before echo is off.
	cmd := exec.Command(script, "-qec", bin+" --home "+enc+" id", "/dev/null")
	cmd.Env = append(os.Environ(), "PARLEY_PASSPHRASE=")
	typing, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var output lockedBuffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() }) // if the test gives up first
	waitFor(t, "the passphrase prompt", func() bool { return strings.Contains(output.String(), "passphrase for ") })
	if _, err := typing.Write([]byte("right\n")); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	out := output.String()
	if err != nil || !strings.Contains(out, "passphrase for "+filepath.Join(enc, "identity.key")) || !strings.Contains(out, res.PeerID) {
		t.Errorf("id on a terminal with an encrypted key: %v\n%s", err, out)
	}
	if strings.Contains(out, "right") {
		t.Errorf("the passphrase was echoed:\n%s", out)
	}
}

// id on a home whose identity.key is gone but whose database stayed says
// what init and daemon say (put the key back, or move the database away),
// not to run init, which refuses such a home.
func TestIDOnHomeWhoseKeyIsGone(t *testing.T) {
	home := t.TempDir()
	if code, _, stderr := parley(t, "--home", home, "init", "--profile", "local", "--nickname", "ann"); code != 0 {
		t.Fatalf("init: %s", stderr)
	}
	if err := os.Remove(filepath.Join(home, "identity.key")); err != nil {
		t.Fatal(err)
	}
	_, _, initErr := parley(t, "--home", home, "init")
	code, _, stderr := parley(t, "--home", home, "id")
	if code != 1 || !strings.Contains(stderr, "identity key missing") || strings.Contains(stderr, "create one with") {
		t.Errorf("id on a home without its key: exit %d, %q; want what init says: %q", code, stderr, initErr)
	}
}
