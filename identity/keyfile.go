package identity

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/libp2p/go-libp2p/core/crypto"
)

// LoadOrCreate returns the node key stored at path, creating a new Ed25519 key there when no file exists.
//
// created reports whether this call made the file. Only a missing file
// leads to a new key: a corrupt, unreadable or locked file is an error and
// is left as it is. When several callers race on a missing file, one
// creates it and the others load that key.
func LoadOrCreate(path string, passphrase []byte) (key crypto.PrivKey, created bool, err error) {
	key, err = Load(path, passphrase)
	if err == nil {
		return key, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	key, err = Create(path, passphrase)
	if err == nil {
		return key, true, nil
	}
	if !errors.Is(err, ErrKeyExists) {
		return nil, false, err
	}
	// Someone else created the file between our Load and Create: use theirs.
	key, err = Load(path, passphrase)
	if err != nil {
		return nil, false, err
	}
	return key, false, nil
}

// Load reads the node key stored at path.
//
// An encrypted file needs its passphrase (ErrPassphraseRequired,
// ErrWrongPassphrase); a plain file loads whatever passphrase is given.
// A file that is not a valid key file gives ErrCorruptKey. A missing or
// unreadable file gives the os error (errors.Is(err, fs.ErrNotExist),
// fs.ErrPermission), which names the path.
func Load(path string, passphrase []byte) (crypto.PrivKey, error) {
	data, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	key, err := decodeKeyFile(data, passphrase)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return key, nil
}

// Create generates a new Ed25519 key and stores it at path, encrypted when
// passphrase is not empty. It fails with ErrKeyExists if anything exists at
// path, and never replaces or removes an existing file.
//
// The file (mode 0600) is written and synced under a temporary name in the
// same directory, then hard-linked to path, which fails rather than replace
// a file that appeared meanwhile; the directory is synced last. The
// directory must exist and support hard links.
func Create(path string, passphrase []byte) (crypto.PrivKey, error) {
	return create(path, passphrase, createScrypt)
}

// create is Create with an explicit scrypt cost.
func create(path string, passphrase []byte, cost scryptCost) (crypto.PrivKey, error) {
	// Fail fast before paying for scrypt; the link below is what makes the
	// check race-free.
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("key file %s: %w", path, ErrKeyExists)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("create key file %s: generate key: %w", path, err)
	}
	data, err := encodeKeyFile(key, passphrase, cost)
	if err != nil {
		return nil, fmt.Errorf("create key file %s: %w", path, err)
	}
	if err := writeNewFile(path, data); err != nil {
		return nil, err
	}
	return key, nil
}

// readKeyFile reads at most maxKeyFileSize bytes of the file at path.
func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err) // *fs.PathError names the file
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("key file %s: %w: larger than %d bytes", path, ErrCorruptKey, maxKeyFileSize)
	}
	return data, nil
}

// writeNewFile creates path with data, or fails with ErrKeyExists if path
// exists; see Create.
func writeNewFile(path string, data []byte) error {
	dir, base := filepath.Dir(path), filepath.Base(path)
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*") // mode 0600
	if err != nil {
		return fmt.Errorf("create key file %s: %w", path, err)
	}
	if err := writeAndLink(tmp, path, data); err != nil {
		if rerr := os.Remove(tmp.Name()); rerr != nil {
			err = errors.Join(err, fmt.Errorf("remove temporary key file: %w", rerr))
		}
		return err
	}
	// The key is at path now; drop the temporary name before the directory
	// sync so that no second copy of the key outlives a crash.
	if err := os.Remove(tmp.Name()); err != nil {
		return fmt.Errorf("create key file %s: remove temporary file: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("create key file %s: %w", path, err)
	}
	return nil
}

// writeAndLink writes data to tmp, syncs and closes it, and links it to
// path.
func writeAndLink(tmp *os.File, path string, data []byte) error {
	_, err := tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write key file %s: %w", path, err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("key file %s: %w", path, ErrKeyExists)
		}
		return fmt.Errorf("create key file %s: %w", path, err)
	}
	return nil
}

// syncDir makes a new directory entry in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	return nil
}
