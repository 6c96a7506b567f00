package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/node"
	"github.com/parley-im/parley/node/api"
)

func (c *cli) bootstrapCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bootstrap",
		Short: "List, add and remove bootstrap peers",
		Long: `Bootstrap peers are public Parley nodes (parley daemon --profile server)
that your node stays connected to. They introduce it to the DHT, where
friends look up each other's addresses, and relay for it when it is behind
a NAT, until hole punching finds a direct path.

The list is network.bootstrap in config.toml. add and rm edit it (the
daemon need not run) and tell a running daemon, which connects at once.

Examples:
  parley bootstrap add /ip4/198.51.100.7/tcp/4001/p2p/12D3KooW...
  parley bootstrap list
  parley bootstrap rm 12D3KooW...`,
	}
	cmd.AddCommand(c.bootstrapAddCommand(), c.bootstrapRmCommand(), c.bootstrapListCommand())
	return cmd
}

// bootstrapResult is what add and rm print with --json.
type bootstrapResult struct {
	// Config is the file that was edited.
	Config string `json:"config"`
	// Bootstrap is network.bootstrap after the edit.
	Bootstrap []string `json:"bootstrap"`
	Added     []string `json:"added,omitempty"`
	Removed   []string `json:"removed,omitempty"`
	// Daemon is "updated" when a running daemon took the change,
	// "not running", or "failed" (see DaemonError; the config is saved
	// and applies at the next start).
	Daemon      string `json:"daemon"`
	DaemonError string `json:"daemon_error,omitempty"`
}

func (c *cli) bootstrapAddCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "add <multiaddr>...",
		Short: "Add bootstrap peers to the config and the running daemon",
		Long: `Add bootstrap peers. Each address is a multiaddr that ends in
/p2p/<peer id>, as printed by the bootstrap node when it starts (the
"share:" lines) or by parley id on it. Nothing is saved if one address is
malformed.

Example:
  parley bootstrap add /ip4/198.51.100.7/tcp/4001/p2p/12D3KooW... \
      /ip4/198.51.100.7/udp/4001/quic-v1/p2p/12D3KooW...`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			home, err := c.initializedHome()
			if err != nil {
				return err
			}
			list, added, err := node.AddBootstrapToConfig(home.ConfigPath(), args)
			if err != nil {
				return err
			}
			res := bootstrapResult{Config: home.ConfigPath(), Bootstrap: list, Added: added}
			c.tellDaemon(cmd.Context(), home, &res, func(ctx context.Context, client *api.Client) error {
				_, err := client.AddBootstrap(ctx, args...)
				return err
			})
			return c.output(res, func(w io.Writer) error {
				for _, a := range added {
					fmt.Fprintf(w, "added %s\n", a)
				}
				if len(added) < len(args) {
					fmt.Fprintf(w, "%d address(es) already listed\n", len(args)-len(added))
				}
				printDaemonOutcome(w, res, "the running daemon is connecting to it")
				return nil
			})
		},
	}
}

func (c *cli) bootstrapRmCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "rm <multiaddr | peer id>...",
		Short: "Remove bootstrap peers from the config and the running daemon",
		Long: `Remove bootstrap peers, named by one of their multiaddrs or by peer ID
(which removes every address of that peer). Nothing is saved if one of
them is not in the list.

Example:
  parley bootstrap rm 12D3KooW...`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			home, err := c.initializedHome()
			if err != nil {
				return err
			}
			list, removed, err := node.RemoveBootstrapFromConfig(home.ConfigPath(), args)
			if err != nil {
				return err
			}
			res := bootstrapResult{Config: home.ConfigPath(), Bootstrap: list, Removed: removed}
			c.tellDaemon(cmd.Context(), home, &res, func(ctx context.Context, client *api.Client) error {
				// The daemon keeps a peer while any of its addresses is
				// still listed.
				for _, p := range peersLeft(removed, list) {
					err := client.RemoveBootstrap(ctx, p)
					var apiErr *api.Error
					if err != nil && !(errors.As(err, &apiErr) && apiErr.Code == api.CodeNotFound) {
						return err
					}
				}
				return nil
			})
			return c.output(res, func(w io.Writer) error {
				for _, a := range removed {
					fmt.Fprintf(w, "removed %s\n", a)
				}
				printDaemonOutcome(w, res, "the running daemon no longer keeps a connection to it")
				return nil
			})
		},
	}
}

// bootstrapEntry is one configured address in `parley bootstrap list`.
type bootstrapEntry struct {
	Addr   string `json:"addr"`
	PeerID string `json:"peer_id"`
	// Status is the daemon's view of the peer; absent when no daemon runs.
	Status *node.BootstrapStatus `json:"status,omitempty"`
}

// bootstrapList is what `parley bootstrap list --json` prints.
type bootstrapList struct {
	Config        string           `json:"config"`
	DaemonRunning bool             `json:"daemon_running"`
	Bootstrap     []bootstrapEntry `json:"bootstrap"`
	// DaemonOnly are peers the daemon uses that the config does not list
	// (from daemon --bootstrap).
	DaemonOnly []node.BootstrapStatus `json:"daemon_only,omitempty"`
}

func (c *cli) bootstrapListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List bootstrap peers and whether the daemon is connected to them",
		Long: `List the bootstrap peers of config.toml and, when the daemon runs, whether
it is connected to each, or why not and when it dials again.

Example:
  parley bootstrap list --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			home, err := c.initializedHome()
			if err != nil {
				return err
			}
			cfg, err := node.LoadConfig(home.ConfigPath())
			if err != nil {
				return err
			}
			out := bootstrapList{Config: home.ConfigPath(), Bootstrap: []bootstrapEntry{}}
			live := map[string]node.BootstrapStatus{}
			client, err := api.ClientForHome(home)
			if err == nil {
				var peers []node.BootstrapStatus
				peers, err = client.BootstrapPeers(cmd.Context())
				for _, p := range peers {
					live[p.PeerID] = p
				}
			}
			switch {
			case err == nil:
				out.DaemonRunning = true
			case !isNoDaemon(err):
				return err
			}
			listed := map[string]bool{}
			for _, a := range cfg.Network.Bootstrap {
				ai, err := node.ParsePeerAddr(a)
				if err != nil {
					return err // LoadConfig validated it; this is a bug
				}
				e := bootstrapEntry{Addr: a, PeerID: ai.ID.String()}
				if st, ok := live[e.PeerID]; ok {
					e.Status = &st
				}
				listed[e.PeerID] = true
				out.Bootstrap = append(out.Bootstrap, e)
			}
			for id, st := range live {
				if !listed[id] {
					out.DaemonOnly = append(out.DaemonOnly, st)
				}
			}
			return c.output(out, func(w io.Writer) error { return printBootstrapList(w, out) })
		},
	}
}

func printBootstrapList(w io.Writer, l bootstrapList) error {
	if len(l.Bootstrap) == 0 && len(l.DaemonOnly) == 0 {
		fmt.Fprintf(w, "no bootstrap peers in %s; add one with: parley bootstrap add <multiaddr>\n", l.Config)
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDRESS\tSTATUS")
	for _, e := range l.Bootstrap {
		status := "-"
		switch {
		case !l.DaemonRunning:
		case e.Status == nil:
			status = "not used by the running daemon (restart it, or parley bootstrap add again)"
		default:
			status = describeBootstrap(*e.Status)
		}
		fmt.Fprintf(tw, "%s\t%s\n", e.Addr, status)
	}
	for _, st := range l.DaemonOnly {
		for _, a := range st.Addrs {
			fmt.Fprintf(tw, "%s\t%s (not in config)\n", a, describeBootstrap(st))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if !l.DaemonRunning {
		fmt.Fprintln(w, "(no daemon running: no connection status)")
	}
	return nil
}

func describeBootstrap(st node.BootstrapStatus) string {
	if st.Connected {
		return "connected"
	}
	s := "connecting"
	if st.Failures > 0 {
		s = fmt.Sprintf("unreachable (%d failed dials", st.Failures)
		if st.NextRetry != nil {
			s += fmt.Sprintf(", next in %s", time.Until(*st.NextRetry).Round(time.Second))
		}
		s += "): " + st.LastError
	}
	return s
}

// tellDaemon applies a change to the home's running daemon, if any, and
// records the outcome in res. A failure leaves the saved config in place,
// so it is a warning, not an error.
func (c *cli) tellDaemon(ctx context.Context, home node.Home, res *bootstrapResult, apply func(context.Context, *api.Client) error) {
	client, err := api.ClientForHome(home)
	if err == nil {
		err = apply(ctx, client)
	}
	switch {
	case err == nil:
		res.Daemon = "updated"
	case isNoDaemon(err):
		res.Daemon = "not running"
	default:
		res.Daemon = "failed"
		res.DaemonError = err.Error()
		fmt.Fprintf(c.stderr, "parley: warning: %s is saved, but the running daemon did not take the change: %v (it applies when the daemon restarts)\n", home.ConfigPath(), err)
	}
}

func printDaemonOutcome(w io.Writer, res bootstrapResult, updated string) {
	switch res.Daemon {
	case "updated":
		fmt.Fprintln(w, updated)
	case "not running":
		fmt.Fprintf(w, "saved in %s; it applies when the daemon starts\n", res.Config)
	}
}

// peersLeft returns the peers of removed entries that have no address
// left in list.
func peersLeft(removed, list []string) []string {
	keep := map[string]bool{}
	for _, a := range list {
		if ai, err := node.ParsePeerAddr(a); err == nil {
			keep[ai.ID.String()] = true
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, a := range removed {
		ai, err := node.ParsePeerAddr(a)
		if err != nil {
			continue
		}
		id := ai.ID.String()
		if !keep[id] && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// initializedHome resolves the home and makes sure it has a config.
func (c *cli) initializedHome() (node.Home, error) {
	home, err := c.home()
	if err != nil {
		return home, err
	}
	ok, err := home.Initialized()
	if err != nil {
		return home, err
	}
	if !ok {
		return home, fmt.Errorf("%s has no config.toml; create one with: parley --home %s init", home.Dir, home.Dir)
	}
	return home, nil
}

// printShareAddrs tells the operator of a bootstrap node what to give out.
func printShareAddrs(w io.Writer, addrs []string) {
	if len(addrs) == 0 {
		fmt.Fprintln(w, "share: (no address other peers could dial; check network.listen)")
		return
	}
	for _, a := range addrs {
		fmt.Fprintf(w, "share: %s\n", a)
	}
	fmt.Fprintln(w, "others use this node with: parley bootstrap add <share address>")
}
