package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// buildParley builds ./cmd/parley of the module we run in (found with
// `go env GOMOD`) into dir and returns the binary's path.
func buildParley(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w (pass -parley PATH to use a built binary)", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the parley module: run from its directory or pass -parley PATH")
	}
	root := filepath.Dir(gomod)
	if _, err := os.Stat(filepath.Join(root, "cmd", "parley")); err != nil {
		return "", fmt.Errorf("%s has no cmd/parley: run from the parley module or pass -parley PATH", root)
	}
	bin := filepath.Join(dir, "parley")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/parley")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/parley in %s: %w\n%s", root, err, out)
	}
	return bin, nil
}

// checkBinary makes sure path is an executable file.
func checkBinary(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("-parley: %w", err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("-parley: %w", err)
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("-parley: %s is not an executable file", abs)
	}
	return abs, nil
}
