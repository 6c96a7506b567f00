//go:build !linux

package main

import (
	"errors"
	"os"
)

// isTerminal reports false: asking for a passphrase on a terminal is only
// built for Linux; elsewhere give it by PARLEY_PASSPHRASE or a file.
func isTerminal(*os.File) bool { return false }

func readHidden(*os.File, func()) ([]byte, error) {
	return nil, errors.New("read passphrase: no terminal support on this system")
}
