package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/node"
	"github.com/parley-im/parley/node/api"
)

func (c *cli) peersCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "peers",
		Short: "List connected peers",
		Long: `List the peers this node is connected to, with the address of the
connection, its direction and whether it runs through a relay.

Example:
  parley peers --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := c.client()
			if err != nil {
				return err
			}
			peers, err := client.Peers(cmd.Context())
			if err != nil {
				return err
			}
			return c.output(peers, func(w io.Writer) error {
				if len(peers) == 0 {
					fmt.Fprintln(w, "no peers connected")
					return nil
				}
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "PEER\tADDRESS\tDIRECTION\tPATH\tLATENCY")
				for _, p := range peers {
					path := "direct"
					if p.Relayed {
						path = "relayed"
					}
					lat := "-"
					if p.LatencyMS > 0 {
						lat = fmt.Sprintf("%.1fms", p.LatencyMS)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.PeerID, p.Addr, p.Direction, path, lat)
				}
				return tw.Flush()
			})
		},
	}
}

func (c *cli) connectCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "connect <multiaddr or peer id>",
		Short: "Connect to a peer by its address or peer ID",
		Long: `Connect to a peer. The address is a multiaddr that ends in /p2p/<peer id>,
as printed by the other node's parley id. A bare peer ID is looked up as a
friend's would be: in Parley's DHT and, with network.public_rendezvous on,
through its announcement on the public IPFS network; a peer found nowhere
is an error saying where the node looked ("cannot find peer").

Example:
  parley connect /ip4/127.0.0.1/tcp/40123/p2p/12D3KooW...`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := c.client()
			if err != nil {
				return err
			}
			before := connectedPeers(cmd.Context(), client)
			pi, err := client.Connect(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return c.output(pi, func(w io.Writer) error {
				_, err := fmt.Fprintln(w, connectReport(args[0], pi, before[pi.PeerID]))
				return err
			})
		},
	}
}

func (c *cli) disconnectCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "disconnect <peer id>",
		Short: "Close the connections to a peer",
		Long: `Close every connection to a peer and keep it away for one minute: the
node neither dials it (DHT, bootstrap, messages, groups) nor accepts its
connections, and forgets it in the DHT routing tables. Messages to and from
it wait in the outboxes. "parley connect" to the peer ends the pause at once;
after the minute, contacts and bootstrap peers are redialed as usual.

Example:
  parley disconnect 12D3KooW...`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := c.client()
			if err != nil {
				return err
			}
			if err := client.Disconnect(cmd.Context(), args[0]); err != nil {
				return err
			}
			result := map[string]string{"peer_id": args[0], "status": "disconnected"}
			return c.output(result, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "disconnected from %s\n", args[0])
				return err
			})
		},
	}
}

// connectedPeers are the peers connected now (none when the list fails:
// it only words the report).
func connectedPeers(ctx context.Context, client *api.Client) map[string]bool {
	out := make(map[string]bool)
	if peers, err := client.Peers(ctx); err == nil {
		for _, p := range peers {
			out[p.PeerID] = true
		}
	}
	return out
}

// connectReport says how connect went, and which address carries the
// connection when it is not the one given (which the node checked answers):
// an existing connection, or another address of the peer that answered
// first.
func connectReport(given string, pi node.PeerInfo, already bool) string {
	addr, _, _ := strings.Cut(given, "/p2p/")
	switch {
	case !strings.HasPrefix(given, "/") || pi.Addr == addr:
		return fmt.Sprintf("connected to %s via %s", pi.PeerID, pi.Addr)
	case already:
		return fmt.Sprintf("already connected to %s via %s; %s answers too", pi.PeerID, pi.Addr, addr)
	}
	return fmt.Sprintf("connected to %s via %s, another address of the peer; %s answers too", pi.PeerID, pi.Addr, addr)
}
