package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
)

func (c *cli) idCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "id",
		Short: "Show this node's peer ID, addresses and status",
		Long: `Show this node's peer ID, the addresses it listens on and announces,
its reachability (public, private or unknown, as AutoNAT found out), the
addresses through relays when it is behind a NAT, version, profile and
uptime. Give one of the addresses to a friend: they connect with
parley connect <address>.

Example:
  parley id --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := c.client()
			if err != nil {
				return err
			}
			info, err := client.Node(cmd.Context())
			if err != nil {
				return err
			}
			return c.output(info, func(w io.Writer) error {
				fmt.Fprintf(w, "peer:         %s\n", info.PeerID)
				fmt.Fprintf(w, "profile:      %s\n", info.Profile)
				fmt.Fprintf(w, "version:      %s\n", info.Version)
				fmt.Fprintf(w, "uptime:       %s\n", (time.Duration(info.UptimeSeconds) * time.Second).String())
				fmt.Fprintf(w, "reachability: %s\n", info.Reachability)
				for _, a := range info.RelayAddrs {
					fmt.Fprintf(w, "relay:        %s\n", a)
				}
				for _, a := range info.ListenAddrs {
					fmt.Fprintf(w, "listen:       %s\n", a)
				}
				for _, a := range info.Addrs {
					fmt.Fprintf(w, "announce:     %s\n", a)
				}
				return nil
			})
		},
	}
}
