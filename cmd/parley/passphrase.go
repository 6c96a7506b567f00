package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/parley-im/parley/identity"
	"github.com/parley-im/parley/node"
)

// readPassphrase reads --passphrase-file, else $PARLEY_PASSPHRASE. An empty
// result means the key is not encrypted.
func readPassphrase(file string) ([]byte, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("passphrase file: %w", err)
		}
		return []byte(strings.TrimRight(string(b), "\r\n")), nil
	}
	return []byte(os.Getenv("PARLEY_PASSPHRASE")), nil
}

// keyPassphrase is the passphrase of home's identity key: from --passphrase-file
// or $PARLEY_PASSPHRASE, else, when the key is encrypted and stdin is a
// terminal, asked for there (without echo). Otherwise it is empty, and
// opening an encrypted key then says that it needs one.
func (c *cli) keyPassphrase(home node.Home, file string) ([]byte, error) {
	pass, err := readPassphrase(file)
	if err != nil || len(pass) > 0 {
		return pass, err
	}
	if _, err := identity.Load(home.KeyPath(), nil); !errors.Is(err, identity.ErrPassphraseRequired) {
		return nil, nil
	}
	tty, ok := c.stdin.(*os.File)
	if !ok || !isTerminal(tty) {
		return nil, nil
	}
	pass, err = readHidden(tty, func() { fmt.Fprintf(c.stderr, "passphrase for %s: ", home.KeyPath()) })
	fmt.Fprintln(c.stderr)
	return pass, err
}
