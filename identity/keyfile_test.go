package identity

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

func TestMain(m *testing.M) {
	// Real scrypt cost is exercised by TestDefaultScryptCost; everything
	// else uses a cheap one so that the suite stays fast.
	createScrypt = scryptCost{N: 1 << 10, R: 8, P: 1}
	os.Exit(m.Run())
}

func keyPath(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "identity.key")
}

func mustID(t *testing.T, key crypto.PrivKey) peer.ID {
	t.Helper()
	id, err := peer.IDFromPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// decodeJSON returns the key file at path as a generic JSON object.
func decodeJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(readFile(t, path), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// onlyFile checks that path is the only entry of its directory: no
// temporary file was left behind.
func onlyFile(t *testing.T, path string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != filepath.Base(path) {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("directory holds %v, want only %s", names, filepath.Base(path))
	}
}

func TestCreateLoadRoundTrip(t *testing.T) {
	path := keyPath(t)
	key, created, err := LoadOrCreate(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !created {
		t.Fatal("created = false for a new file")
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("mode = %v, want 0600", mode)
	}
	onlyFile(t, path)
	m := decodeJSON(t, path)
	if m["version"] != float64(1) || m["type"] != "ed25519" || m["key"] == nil || m["kdf"] != nil {
		t.Errorf("plain file = %v", m)
	}

	loaded, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if mustID(t, loaded) != mustID(t, key) {
		t.Fatal("loaded key has another peer ID")
	}
	again, created, err := LoadOrCreate(path, nil)
	if err != nil || created {
		t.Fatalf("second LoadOrCreate: created=%v err=%v", created, err)
	}
	if mustID(t, again) != mustID(t, key) {
		t.Fatal("second LoadOrCreate returned another key")
	}
}

func TestEncryptedRoundTrip(t *testing.T) {
	path := keyPath(t)
	pass := []byte("correct horse battery staple")
	key, err := Create(path, pass)
	if err != nil {
		t.Fatal(err)
	}
	onlyFile(t, path)
	m := decodeJSON(t, path)
	if m["key"] != nil || m["cipher"] != "xchacha20poly1305" || m["nonce"] == nil || m["ciphertext"] == nil {
		t.Errorf("encrypted file = %v", m)
	}
	if kdf, _ := m["kdf"].(map[string]any); kdf["name"] != "scrypt" || kdf["salt"] == nil {
		t.Errorf("kdf = %v", m["kdf"])
	}
	raw, err := crypto.MarshalPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(readFile(t, path), raw[len(raw)-32:]) {
		t.Fatal("encrypted file contains the raw key")
	}
	loaded, created, err := LoadOrCreate(path, pass)
	if err != nil || created {
		t.Fatalf("LoadOrCreate: created=%v err=%v", created, err)
	}
	if mustID(t, loaded) != mustID(t, key) {
		t.Fatal("loaded key has another peer ID")
	}
}

func TestDefaultScryptCost(t *testing.T) {
	if defaultScrypt != (scryptCost{N: 1 << 15, R: 8, P: 1}) {
		t.Fatalf("default scrypt cost = %+v, want N=2^15 r=8 p=1", defaultScrypt)
	}
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pass := []byte("pw")
	data, err := encodeKeyFile(key, pass, defaultScrypt)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`"n": 32768`)) {
		t.Errorf("file does not record n=32768:\n%s", data)
	}
	got, err := decodeKeyFile(data, pass)
	if err != nil {
		t.Fatal(err)
	}
	if mustID(t, got) != mustID(t, key) {
		t.Fatal("wrong key")
	}
}

func TestPlainFileIgnoresPassphrase(t *testing.T) {
	path := keyPath(t)
	key, err := Create(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(path, []byte("unused"))
	if err != nil {
		t.Fatal(err)
	}
	if mustID(t, loaded) != mustID(t, key) {
		t.Fatal("wrong key")
	}
}

// checkUntouched runs every entry point on a bad file and checks that each
// fails with want, names the file, and leaves its bytes as they were.
func checkUntouched(t *testing.T, path string, pass []byte, want error) {
	t.Helper()
	before, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrPermission) {
		t.Fatal(err)
	}
	_, err = Load(path, pass)
	checkErr(t, "Load", err, path, want)
	_, created, err := LoadOrCreate(path, pass)
	checkErr(t, "LoadOrCreate", err, path, want)
	if created {
		t.Error("LoadOrCreate created a key")
	}
	_, err = Create(path, pass)
	checkErr(t, "Create", err, path, ErrKeyExists)
	after, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrPermission) {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatal("key file changed")
	}
	onlyFile(t, path)
}

func checkErr(t *testing.T, op string, err error, path string, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: err = %v, want %v", op, err, want)
		return
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("%s: error %q does not name %s", op, err, path)
	}
}

func TestWrongPassphrase(t *testing.T) {
	path := keyPath(t)
	if _, err := Create(path, []byte("right")); err != nil {
		t.Fatal(err)
	}
	checkUntouched(t, path, []byte("wrong"), ErrWrongPassphrase)
}

func TestPassphraseRequired(t *testing.T) {
	path := keyPath(t)
	if _, err := Create(path, []byte("secret")); err != nil {
		t.Fatal(err)
	}
	checkUntouched(t, path, nil, ErrPassphraseRequired)
	checkUntouched(t, path, []byte{}, ErrPassphraseRequired)
}

// mutateJSON rewrites one field of a key file.
func mutateJSON(t *testing.T, data []byte, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCorruptKeyFile(t *testing.T) {
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := encodeKeyFile(key, nil, createScrypt)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := encodeKeyFile(key, []byte("pw"), createScrypt)
	if err != nil {
		t.Fatal(err)
	}
	secp, _, err := crypto.GenerateSecp256k1Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	secpRaw, err := crypto.MarshalPrivateKey(secp)
	if err != nil {
		t.Fatal(err)
	}
	// An Ed25519 key whose stored public half belongs to another key.
	other, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	mixed, err := key.Raw()
	if err != nil {
		t.Fatal(err)
	}
	otherRaw, err := other.Raw()
	if err != nil {
		t.Fatal(err)
	}
	copy(mixed[32:], otherRaw[32:])
	mixedKey, err := crypto.MarshalPrivateKey(mustUnmarshalEd25519Unchecked(t, mixed))
	if err != nil {
		t.Fatal(err)
	}

	set := func(field string, v any) func(map[string]any) {
		return func(m map[string]any) { m[field] = v }
	}
	setKDF := func(field string, v any) func(map[string]any) {
		return func(m map[string]any) { m["kdf"].(map[string]any)[field] = v }
	}
	cases := []struct {
		name string
		data []byte
		pass []byte
	}{
		{"empty", nil, nil},
		{"garbage", []byte("\x00\x01not json at all\xff"), nil},
		{"truncated JSON", plain[:len(plain)/2], nil},
		{"truncated encrypted", sealed[:len(sealed)-20], []byte("pw")},
		{"JSON array", []byte(`[1,2,3]`), nil},
		{"trailing data", append(append([]byte{}, plain...), "{}"...), nil},
		{"too large", bytes.Repeat([]byte(" "), maxKeyFileSize+1), nil},
		{"version 2", mutateJSON(t, plain, set("version", 2)), nil},
		{"no version", mutateJSON(t, plain, func(m map[string]any) { delete(m, "version") }), nil},
		{"type rsa", mutateJSON(t, plain, set("type", "rsa")), nil},
		{"no key", mutateJSON(t, plain, func(m map[string]any) { delete(m, "key") }), nil},
		{"key not base64", mutateJSON(t, plain, set("key", "!!!")), nil},
		{"bad key bytes", mutateJSON(t, plain, set("key", "AAECAwQ=")), nil},
		{"secp256k1 key", mutateJSON(t, plain, set("key", secpRaw)), nil},
		{"mismatched public half", mutateJSON(t, plain, set("key", mixedKey)), nil},
		{"key and ciphertext", mutateJSON(t, sealed, set("key", "AAAA")), []byte("pw")},
		{"unknown kdf", mutateJSON(t, sealed, setKDF("name", "argon2id")), []byte("pw")},
		{"unknown cipher", mutateJSON(t, sealed, set("cipher", "aes")), []byte("pw")},
		{"huge scrypt n", mutateJSON(t, sealed, setKDF("n", 1<<30)), []byte("pw")},
		{"scrypt n not power of 2", mutateJSON(t, sealed, setKDF("n", 1000)), []byte("pw")},
		{"huge scrypt p", mutateJSON(t, sealed, setKDF("p", 1<<20)), []byte("pw")},
		{"short salt", mutateJSON(t, sealed, setKDF("salt", "AAAA")), []byte("pw")},
		{"short nonce", mutateJSON(t, sealed, set("nonce", "AAAA")), []byte("pw")},
		{"no ciphertext", mutateJSON(t, sealed, func(m map[string]any) { delete(m, "ciphertext") }), []byte("pw")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := keyPath(t)
			writeFile(t, path, tc.data)
			checkUntouched(t, path, tc.pass, ErrCorruptKey)
		})
	}
}

// mustUnmarshalEd25519Unchecked builds a libp2p Ed25519 key from 64 raw
// bytes without any consistency check, as libp2p does.
func mustUnmarshalEd25519Unchecked(t *testing.T, raw []byte) crypto.PrivKey {
	t.Helper()
	k, err := crypto.UnmarshalEd25519PrivateKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestTamperedHeader(t *testing.T) {
	// Valid but altered header fields are bound by the AEAD: the file no
	// longer opens, which reads as a wrong passphrase.
	pass := []byte("pw")
	sealed, err := encodeKeyFile(mustKey(t), pass, createScrypt)
	if err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(map[string]any){
		"n":    func(m map[string]any) { m["kdf"].(map[string]any)["n"] = createScrypt.N * 2 },
		"r":    func(m map[string]any) { m["kdf"].(map[string]any)["r"] = createScrypt.R + 1 },
		"salt": func(m map[string]any) { m["kdf"].(map[string]any)["salt"] = make([]byte, saltSize) },
		"nonce": func(m map[string]any) {
			m["nonce"] = make([]byte, 24)
		},
	} {
		t.Run(name, func(t *testing.T) {
			path := keyPath(t)
			writeFile(t, path, mutateJSON(t, sealed, edit))
			checkUntouched(t, path, pass, ErrWrongPassphrase)
		})
	}
}

func mustKey(t testing.TB) crypto.PrivKey {
	t.Helper()
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func TestUnreadableKeyFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores file permissions")
	}
	path := keyPath(t)
	if _, err := Create(path, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0); err != nil {
		t.Fatal(err)
	}
	checkUntouched(t, path, nil, fs.ErrPermission)
}

func TestKeyPathIsDirectory(t *testing.T) {
	// Unreadable in a way that holds for root too: the os error comes back
	// naming the path, and nothing is created.
	path := keyPath(t)
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	_, created, err := LoadOrCreate(path, nil)
	if err == nil || created || errors.Is(err, ErrCorruptKey) || errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("LoadOrCreate on a directory: created=%v err=%v", created, err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name %s", err, path)
	}
	if _, err := Create(path, nil); !errors.Is(err, ErrKeyExists) {
		t.Errorf("Create on a directory: %v, want ErrKeyExists", err)
	}
}

func TestCreateExisting(t *testing.T) {
	path := keyPath(t)
	if _, err := Create(path, nil); err != nil {
		t.Fatal(err)
	}
	before := readFile(t, path)
	_, err := Create(path, []byte("pw"))
	checkErr(t, "Create", err, path, ErrKeyExists)
	if !bytes.Equal(before, readFile(t, path)) {
		t.Fatal("key file changed")
	}
	onlyFile(t, path)
}

func TestCreateOverDanglingSymlink(t *testing.T) {
	path := keyPath(t)
	target := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	_, created, err := LoadOrCreate(path, nil)
	if !errors.Is(err, fs.ErrNotExist) || created {
		t.Fatalf("LoadOrCreate: created=%v err=%v, want the not-exist error", created, err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("a key was written through the symlink")
	}
}

func TestLoadMissing(t *testing.T) {
	path := keyPath(t)
	_, err := Load(path, nil)
	checkErr(t, "Load", err, path, fs.ErrNotExist)
}

func TestCreateMissingDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "identity.key")
	_, created, err := LoadOrCreate(path, nil)
	if err == nil || created {
		t.Fatalf("LoadOrCreate: created=%v err=%v", created, err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name %s", err, path)
	}
}

func TestConcurrentLoadOrCreate(t *testing.T) {
	path := keyPath(t)
	const n = 16
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		ids     [n]peer.ID
		created [n]bool
		errs    [n]error
	)
	for i := range n {
		wg.Go(func() {
			<-start
			key, c, err := LoadOrCreate(path, []byte("pw"))
			if err != nil {
				errs[i] = err
				return
			}
			ids[i], errs[i] = peer.IDFromPrivateKey(key)
			created[i] = c
		})
	}
	close(start)
	wg.Wait()
	creators := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("goroutine %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Fatalf("goroutine %d got %s, goroutine 0 got %s", i, ids[i], ids[0])
		}
		if created[i] {
			creators++
		}
	}
	if creators != 1 {
		t.Fatalf("%d callers report creating the key, want 1", creators)
	}
	onlyFile(t, path)
}

func TestLinkRefusesFileCreatedMeanwhile(t *testing.T) {
	// Create's early Lstat can miss a file that appears just after it; the
	// final link must still refuse to replace it, and clean up.
	path := keyPath(t)
	writeFile(t, path, []byte("theirs"))
	err := writeNewFile(path, []byte("ours"))
	checkErr(t, "writeNewFile", err, path, ErrKeyExists)
	if got := readFile(t, path); string(got) != "theirs" {
		t.Fatalf("file now holds %q", got)
	}
	onlyFile(t, path)
}
