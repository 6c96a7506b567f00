package main

import (
	"errors"
	"fmt"
	"html"
	"io"
	"os"
	"os/exec"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/node"
)

func (c *cli) uiCommand() *cobra.Command {
	var revoke, noOpen bool
	cmd := &cobra.Command{
		Use:   "ui",
		Short: "Open the messenger page your node serves, signed in",
		Long: `Print a one-time link to the page the daemon serves on its API address,
and open it in the browser where the desktop has an opener (xdg-open,
open). The link signs one browser tab in; it is worthless once used or
after a minute. The tab keeps its session across reloads until the daemon
stops or you revoke it.

Examples:
  parley ui
  parley ui --no-open
  parley ui --revoke    # end every page session`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := c.client()
			if err != nil {
				return err
			}
			if revoke {
				res, err := client.RevokeUISessions(cmd.Context())
				if err != nil {
					return err
				}
				return c.output(res, func(w io.Writer) error {
					_, err := fmt.Fprintf(w, "ended %d page session(s); unused links are void\n", res.Revoked)
					return err
				})
			}
			link, err := client.UILink(cmd.Context())
			if err != nil {
				return err
			}
			if err := c.output(link, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "%s\n(works once, for one minute)\n", link.URL)
				return err
			}); err != nil {
				return err
			}
			if noOpen {
				return nil
			}
			home, err := c.home()
			if err != nil {
				return err
			}
			page, err := writeOpenPage(home, link.URL)
			if err != nil {
				fmt.Fprintf(c.stderr, "parley: not opening a browser: %v; open the link above\n", err)
				return nil
			}
			openBrowser(page, c.stderr)
			return nil
		},
	}
	cmd.Flags().BoolVar(&revoke, "revoke", false, "end every page session and void unused links")
	cmd.Flags().BoolVar(&noOpen, "no-open", false, "only print the link")
	return cmd
}

// writeOpenPage writes a page, readable by the owner only, that forwards
// the browser to link, and returns its path. The opener gets the path: a
// link on its command line could be read (and used first) by any local
// user through /proc.
func writeOpenPage(home node.Home, link string) (string, error) {
	path := home.UIOpenPath()
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("remove old %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	u := html.EscapeString(link)
	_, err = fmt.Fprintf(f, "<!doctype html><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0;url=%s\"><title>Parley</title><a href=\"%s\">Open Parley</a>\n", u, u)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return path, nil
}

// openBrowser starts the desktop's opener on target (a file) when there
// is one; the printed link is the fallback, so a failure is only
// mentioned.
func openBrowser(target string, stderr io.Writer) {
	var name string
	switch runtime.GOOS {
	case "darwin":
		name = "open"
	case "linux", "freebsd", "openbsd", "netbsd":
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return // no desktop session
		}
		name = "xdg-open"
	default:
		return
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return
	}
	cmd := exec.Command(path, target)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "parley: could not open a browser (%v); open the link above\n", err)
		return
	}
	// The opener hands the URL to the browser and exits; it is not waited
	// for, since this process ends right after.
	_ = cmd.Process.Release()
}
