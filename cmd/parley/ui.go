package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"

	"github.com/spf13/cobra"
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
			if !noOpen {
				openBrowser(link.URL, c.stderr)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&revoke, "revoke", false, "end every page session and void unused links")
	cmd.Flags().BoolVar(&noOpen, "no-open", false, "only print the link")
	return cmd
}

// openBrowser starts the desktop's opener on url when there is one; the
// printed link is the fallback, so a failure is only mentioned.
func openBrowser(url string, stderr io.Writer) {
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
	cmd := exec.Command(path, url)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "parley: could not open a browser (%v); open the link above\n", err)
		return
	}
	// The opener hands the URL to the browser and exits; it is not waited
	// for, since this process ends right after.
	_ = cmd.Process.Release()
}
