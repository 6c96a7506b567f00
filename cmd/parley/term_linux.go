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

// readHidden turns echo off on the terminal f, shows the prompt, reads one
// line and restores the terminal. Echo goes off before the prompt shows,
// as sudo does it: a passphrase typed the moment the prompt appears would
// otherwise be echoed.
func readHidden(f *os.File, prompt func()) ([]byte, error) {
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
	prompt()
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
