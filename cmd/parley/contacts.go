package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/storage"
)

func (c *cli) contactsCommand() *cobra.Command {
	var label string
	cmd := &cobra.Command{
		Use:   "contacts",
		Short: "List your contacts; set remark names and labels; remove them",
		Long: `List friends and blocked peers. Wherever a command takes a peer, a
contact's remark name works as well as its peer ID.

Examples:
  parley contacts --label family
  parley contacts set 12D3KooW... --remark bob --label family --label work
  parley contacts rm bob`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := c.client()
			if err != nil {
				return err
			}
			contacts, err := client.ContactViews(cmd.Context(), label)
			if err != nil {
				return err
			}
			return c.output(contacts, func(w io.Writer) error {
				if len(contacts) == 0 && label != "" {
					_, err := fmt.Fprintf(w, "no contact has the label %s\n", visible(label))
					return err
				}
				return printContacts(w, contacts)
			})
		},
	}
	cmd.Flags().StringVar(&label, "label", "", "only contacts with this label")
	cmd.AddCommand(c.contactsSetCommand(), c.contactsRemoveCommand())
	return cmd
}

// printContacts prints a table of contacts, with the nickname and
// presence cached for each.
func printContacts(w io.Writer, contacts []chat.ContactView) error {
	if len(contacts) == 0 {
		_, err := fmt.Fprintln(w, "no contacts yet: parley friend add <peer id>")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PEER\tREMARK\tNICKNAME\tPRESENCE\tLABELS\tSTATE")
	for _, ct := range contacts {
		state := "friend"
		switch {
		case ct.Blocked && ct.Friend:
			state = "friend, blocked"
		case ct.Blocked:
			state = "blocked"
		}
		nick := "-"
		if ct.Profile != nil {
			nick = oneLine(ct.Profile.Nickname, 24)
		}
		presence := dash(string(ct.Presence.Status))
		if ct.Presence.Note != "" {
			presence += " (" + oneLine(ct.Presence.Note, 24) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", ct.UserID, dash(oneLine(ct.RemarkName, 32)), nick, presence, dash(oneLine(strings.Join(ct.Labels, ","), 40)), state)
	}
	return tw.Flush()
}

func (c *cli) contactsSetCommand() *cobra.Command {
	var remark string
	var labels []string
	cmd := &cobra.Command{
		Use:   "set <peer> [--remark NAME] [--label L ...]",
		Short: "Set a contact's remark name and labels",
		Long: `Set a contact's remark name (unique among your contacts, usable wherever
a peer is expected) and its labels (replacing the old ones). An empty
--remark "" clears it; --label "" clears the labels.

Example:
  parley contacts set 12D3KooW... --remark bob --label family`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var u chat.ContactUpdate
			if cmd.Flags().Changed("remark") {
				u.RemarkName = &remark
			}
			if cmd.Flags().Changed("label") {
				clean := []string{}
				for _, l := range labels {
					if l != "" {
						clean = append(clean, l)
					}
				}
				u.Labels = &clean
			}
			if u.RemarkName == nil && u.Labels == nil {
				return fmt.Errorf("nothing to set: give --remark or --label")
			}
			client, err := c.client()
			if err != nil {
				return err
			}
			ct, err := client.UpdateContact(cmd.Context(), args[0], u)
			if err != nil {
				return err
			}
			return c.output(ct, func(w io.Writer) error {
				// The contact with the nickname and presence the node holds.
				view := chat.ContactView{ContactInfo: ct}
				if all, err := client.ContactViews(cmd.Context(), ""); err == nil {
					for _, v := range all {
						if v.UserID == ct.UserID {
							view = v
						}
					}
				}
				return printContacts(w, []chat.ContactView{view})
			})
		},
	}
	cmd.Flags().StringVar(&remark, "remark", "", "remark name")
	cmd.Flags().StringArrayVar(&labels, "label", nil, "label (repeatable)")
	return cmd
}

func (c *cli) contactsRemoveCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "rm <peer>",
		Short: "Remove a friend (they can no longer message you)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := c.client()
			if err != nil {
				return err
			}
			if err := client.RemoveContact(cmd.Context(), args[0]); err != nil {
				return err
			}
			return c.output(map[string]string{"peer": args[0], "status": "removed"}, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "removed %s\n", args[0])
				return err
			})
		},
	}
}

func (c *cli) blockCommand(block bool) *cobra.Command {
	use, short := "block <peer>", "Refuse everything from a peer and close its connections"
	if !block {
		use, short = "unblock <peer>", "Lift a block"
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := c.client()
			if err != nil {
				return err
			}
			var ct storage.ContactInfo
			if block {
				ct, err = client.Block(cmd.Context(), args[0])
			} else {
				ct, err = client.Unblock(cmd.Context(), args[0])
			}
			if err != nil {
				return err
			}
			return c.output(ct, func(w io.Writer) error {
				state := "unblocked"
				if ct.Blocked {
					state = "blocked"
				}
				_, err := fmt.Fprintf(w, "%s %s\n", state, ct.UserID)
				return err
			})
		},
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
