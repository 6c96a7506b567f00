package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/storage"
)

func (c *cli) friendCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "friend",
		Short: "Send, list and answer friend requests",
		Long: `Friend requests: only friends can message each other.

Examples:
  parley friend add 12D3KooW... -m "hi, it's Alice"
  parley friend requests
  parley friend accept <request id>`,
	}
	cmd.AddCommand(c.friendAddCommand(), c.friendRequestsCommand(),
		c.friendAnswerCommand("accept", "Accept a friend request sent to you"),
		c.friendAnswerCommand("reject", "Reject a friend request sent to you"),
		c.friendAnswerCommand("cancel", "Withdraw a friend request you sent"))
	return cmd
}

func (c *cli) friendAddCommand() *cobra.Command {
	var message string
	cmd := &cobra.Command{
		Use:   "add <peer id>",
		Short: "Ask a peer to be your friend",
		Long: `Send a friend request. It waits in the outbox until the peer is reachable.
If the peer already asked you, their request is accepted instead.

Example:
  parley friend add 12D3KooW... -m "hi, it's Alice"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := c.client()
			if err != nil {
				return err
			}
			req, err := client.AddFriend(cmd.Context(), args[0], message)
			if err != nil {
				return err
			}
			return c.output(req, func(w io.Writer) error {
				names := loadPeerNames(cmd.Context(), client, req.OtherPeer())
				_, err := fmt.Fprintf(w, "friend request %s to %s: %s\n", shortID(req.ID), names.show(req.OtherPeer()), req.Status)
				return err
			})
		},
	}
	cmd.Flags().StringVarP(&message, "message", "m", "", "a note to go with the request")
	return cmd
}

func (c *cli) friendRequestsCommand() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "requests",
		Short: "List friend requests (pending ones unless --all)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := c.client()
			if err != nil {
				return err
			}
			status := string(storage.RequestPending)
			if all {
				status = ""
			}
			reqs, err := client.FriendRequests(cmd.Context(), status, "")
			if err != nil {
				return err
			}
			return c.output(reqs, func(w io.Writer) error {
				if len(reqs) == 0 {
					_, err := fmt.Fprintln(w, "no friend requests")
					return err
				}
				others := make([]string, len(reqs))
				for i, r := range reqs {
					others[i] = r.OtherPeer()
				}
				names := loadPeerNames(cmd.Context(), client, others...)
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tDIRECTION\tPEER\tSTATUS\tWHEN\tMESSAGE")
				for _, r := range reqs {
					dir := "from"
					if r.Outgoing {
						dir = "to"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", shortID(r.ID), dir, names.show(r.OtherPeer()), r.Status, r.CreatedAt.Local().Format("2006-01-02 15:04"), oneLine(r.ReqMessage, 40))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "include answered and withdrawn requests")
	return cmd
}

func (c *cli) friendAnswerCommand(action, short string) *cobra.Command {
	return &cobra.Command{
		Use:   action + " <request id>",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := c.client()
			if err != nil {
				return err
			}
			req, err := client.AnswerRequest(cmd.Context(), args[0], action)
			if err != nil {
				return err
			}
			return c.output(req, func(w io.Writer) error {
				names := loadPeerNames(cmd.Context(), client, req.OtherPeer())
				_, err := fmt.Fprintf(w, "request %s with %s: %s\n", shortID(req.ID), names.show(req.OtherPeer()), req.Status)
				return err
			})
		},
	}
}
