//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool {
	var t syscall.Termios
	return termios(f, syscall.TCGETS, &t) == nil
}

// readHidden reads one line from the terminal f without echoing it, as a
// passphrase prompt does, and restores the terminal afterwards.
func readHidden(f *os.File) ([]byte, error) {
	var old syscall.Termios
	if err := termios(f, syscall.TCGETS, &old); err != nil {
		return nil, fmt.Errorf("read passphrase: %w", err)
	}
	quiet := old
	quiet.Lflag &^= syscall.ECHO
	if err := termios(f, syscall.TCSETS, &quiet); err != nil {
		return nil, fmt.Errorf("read passphrase: %w", err)
	}
	defer termios(f, syscall.TCSETS, &old) // best effort: the line is read
	var line []byte
	b := make([]byte, 1)
	for {
		n, err := f.Read(b)
		if n == 1 {
			if b[0] == '\n' {
				return bytes.TrimSuffix(line, []byte("\r")), nil
			}
			line = append(line, b[0])
			if len(line) > 4096 {
				return nil, errors.New("read passphrase: longer than 4096 bytes")
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read passphrase: %w", err)
		}
	}
}

func termios(f *os.File, req uintptr, t *syscall.Termios) error {
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), req, uintptr(unsafe.Pointer(t)))
	if errno != 0 {
		return errno
	}
	return nil
}
