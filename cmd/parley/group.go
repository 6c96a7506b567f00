package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/node/api"
)

func (c *cli) groupsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "groups",
		Short: "List your groups",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := c.client()
			if err != nil {
				return err
			}
			gs, err := client.Groups(cmd.Context())
			if err != nil {
				return err
			}
			return c.output(gs, func(w io.Writer) error { return printGroups(w, gs) })
		},
	}
}

func printGroups(w io.Writer, gs []chat.GroupView) error {
	if len(gs) == 0 {
		_, err := fmt.Fprintln(w, "no groups: parley group create <name> --member <friend>")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tNAME\tMEMBERS\tYOUR ROLE\tSTATUS\tEPOCH")
	for _, g := range gs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%d\n", g.GroupID, oneLine(g.GroupName, 40), len(g.Members), dash(string(g.Role)), g.Status, g.Epoch)
	}
	return tw.Flush()
}

// groupRun is the shape of most group subcommands: call the API with the
// arguments, print the group it returns.
func (c *cli) groupRun(use, short, long string, nargs int, call func(cmd *cobra.Command, client *api.Client, args []string) (chat.GroupView, error)) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long,
		Args:  cobra.ExactArgs(nargs),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := c.client()
			if err != nil {
				return err
			}
			g, err := call(cmd, client, args)
			if err != nil {
				return err
			}
			return c.output(g, func(w io.Writer) error { return printGroup(w, g, loadPeerNames(cmd.Context(), client)) })
		},
	}
}

func printGroup(w io.Writer, g chat.GroupView, names peerNames) error {
	fmt.Fprintf(w, "group:   %s\nname:    %s\nowner:   %s\nstatus:  %s\nepoch:   %d (version %d)\n",
		g.GroupID, visible(g.GroupName), names.show(g.OwnerUserID), g.Status, g.Epoch, g.Version)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MEMBER\tROLE\tJOINED")
	for _, m := range g.Members {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", names.show(m.UserID), m.Role, m.JoinTime.Local().Format("2006-01-02 15:04"))
	}
	return tw.Flush()
}

func (c *cli) groupCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "group",
		Short: "Create and run private groups",
		Long: `Private groups: messages are end-to-end encrypted with a group key that
changes whenever someone leaves or is removed. Name a group by its ID or,
when unique, by its name.

Examples:
  parley group create climbers --member bob --member carol
  parley group send climbers "Saturday at nine?"
  parley group kick climbers dave
  parley group invites; parley group accept <group>`,
	}
	var members []string
	create := &cobra.Command{
		Use:   "create <name> [--member P ...]",
		Short: "Create a group and invite friends",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := c.client()
			if err != nil {
				return err
			}
			g, err := client.CreateGroup(cmd.Context(), args[0], members)
			if err != nil {
				return err
			}
			return c.output(g, func(w io.Writer) error { return printGroup(w, g, loadPeerNames(cmd.Context(), client)) })
		},
	}
	create.Flags().StringArrayVar(&members, "member", nil, "friend to invite (repeatable)")

	cmd.AddCommand(create,
		c.groupRun("info <group>", "Show a group and its members", "", 1, func(cmd *cobra.Command, cl *api.Client, a []string) (chat.GroupView, error) {
			return cl.Group(cmd.Context(), a[0])
		}),
		c.groupRun("members <group>", "List a group's members", "", 1, func(cmd *cobra.Command, cl *api.Client, a []string) (chat.GroupView, error) {
			return cl.Group(cmd.Context(), a[0])
		}),
		c.groupRun("rename <group> <name>", "Rename a group (owner or admin)", "", 2, func(cmd *cobra.Command, cl *api.Client, a []string) (chat.GroupView, error) {
			return cl.RenameGroup(cmd.Context(), a[0], a[1])
		}),
		c.groupRun("invite <group> <peer>", "Invite a friend (owner or admin)", "", 2, func(cmd *cobra.Command, cl *api.Client, a []string) (chat.GroupView, error) {
			return cl.InviteToGroup(cmd.Context(), a[0], a[1])
		}),
		c.groupRun("kick <group> <peer>", "Remove a member; the group moves to a new key (owner or admin)", "", 2, func(cmd *cobra.Command, cl *api.Client, a []string) (chat.GroupView, error) {
			return cl.KickFromGroup(cmd.Context(), a[0], a[1])
		}),
		c.groupRun("promote <group> <peer>", "Make a member an admin (owner)", "", 2, func(cmd *cobra.Command, cl *api.Client, a []string) (chat.GroupView, error) {
			return cl.SetGroupAdmin(cmd.Context(), a[0], a[1], true)
		}),
		c.groupRun("demote <group> <peer>", "Make an admin a plain member (owner)", "", 2, func(cmd *cobra.Command, cl *api.Client, a []string) (chat.GroupView, error) {
			return cl.SetGroupAdmin(cmd.Context(), a[0], a[1], false)
		}),
		c.groupRun("leave <group>", "Leave a group (an owner hands it over first)", "", 1, func(cmd *cobra.Command, cl *api.Client, a []string) (chat.GroupView, error) {
			return cl.LeaveGroup(cmd.Context(), a[0])
		}),
		c.groupRun("accept <group>", "Accept a group invitation", "", 1, func(cmd *cobra.Command, cl *api.Client, a []string) (chat.GroupView, error) {
			return cl.AnswerGroupInvite(cmd.Context(), a[0], "accept")
		}),
		c.groupRun("decline <group>", "Decline a group invitation", "", 1, func(cmd *cobra.Command, cl *api.Client, a []string) (chat.GroupView, error) {
			return cl.AnswerGroupInvite(cmd.Context(), a[0], "decline")
		}),
		c.groupInvitesCommand(), c.groupDeleteCommand(), c.groupSendCommand(), c.groupHistoryCommand(),
	)
	return cmd
}

func (c *cli) groupInvitesCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "invites",
		Short: "List group invitations",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := c.client()
			if err != nil {
				return err
			}
			gs, err := client.GroupInvites(cmd.Context())
			if err != nil {
				return err
			}
			return c.output(gs, func(w io.Writer) error {
				if len(gs) == 0 {
					_, err := fmt.Fprintln(w, "no invitations")
					return err
				}
				inviters := make([]string, len(gs))
				for i, g := range gs {
					inviters[i] = g.InvitedBy
				}
				names := loadPeerNames(cmd.Context(), client, inviters...)
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "GROUP\tNAME\tINVITED BY\tMEMBERS")
				for _, g := range gs {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", shortID(g.GroupID), oneLine(g.GroupName, 40), names.show(g.InvitedBy), len(g.Members))
				}
				return tw.Flush()
			})
		},
	}
}

func (c *cli) groupDeleteCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "delete <group>",
		Short: "Forget a group you left, with its history",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := c.client()
			if err != nil {
				return err
			}
			if err := client.DeleteGroup(cmd.Context(), args[0]); err != nil {
				return err
			}
			return c.output(map[string]string{"group": args[0], "status": "deleted"}, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "deleted %s\n", args[0])
				return err
			})
		},
	}
}

func (c *cli) groupSendCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "send <group> [text]",
		Short: "Write to a group (text from stdin without an argument)",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			text, err := c.messageText(args[1:])
			if err != nil {
				return err
			}
			client, err := c.client()
			if err != nil {
				return err
			}
			m, err := client.SendGroup(cmd.Context(), args[0], text)
			if err != nil {
				return err
			}
			return c.output(m, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "sent to %s\n", visible(args[0]))
				return err
			})
		},
	}
}

func (c *cli) groupHistoryCommand() *cobra.Command {
	var limit int
	var before string
	cmd := &cobra.Command{
		Use:   "history <group>",
		Short: "Show a group's messages",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkLimit(limit); err != nil {
				return err
			}
			client, err := c.client()
			if err != nil {
				return err
			}
			page, err := loadGroupPage(cmd.Context(), client, args[0], before, limit)
			if err != nil {
				return err
			}
			return c.output(page.HistoryPage, func(w io.Writer) error {
				names := loadPeerNames(cmd.Context(), client)
				return printGroupPage(w, page, "parley group history "+args[0], names)
			})
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 50, "messages per page (1-500)")
	cmd.Flags().StringVar(&before, "before", "", "cursor of the page to show")
	return cmd
}
