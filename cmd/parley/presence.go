package main

import (
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/identity"
)

func (c *cli) presenceCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "presence",
		Short: "Show or set your presence (online, away, busy, invisible, offline)",
		Long: `Show your presence, or set it with parley presence set. Friends connected
to you see a change at once; everyone else finds it in the DHT.

Examples:
  parley presence
  parley presence set away --note "back at 3"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := c.client()
			if err != nil {
				return err
			}
			me, err := client.Profile(cmd.Context())
			if err != nil {
				return err
			}
			return c.output(me.Presence, func(w io.Writer) error {
				printMyPresence(w, me.Presence)
				return nil
			})
		},
	}
	cmd.AddCommand(c.presenceSetCommand())
	return cmd
}

func (c *cli) presenceSetCommand() *cobra.Command {
	var note string
	cmd := &cobra.Command{
		Use:   "set <online|away|busy|invisible|offline> [--note TEXT]",
		Short: "Set your presence and an optional note",
		Long: `Set your presence. invisible shows you as offline to everyone while your
node keeps working (and hides the note); offline does the same but keeps
the note ("back on Monday"). The note is at most 256 characters.

Examples:
  parley presence set busy --note "in a meeting"
  parley presence set invisible`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"online", "away", "busy", "invisible", "offline"},
		RunE: func(cmd *cobra.Command, args []string) error {
			if n := utf8.RuneCountInString(note); n > identity.MaxPresenceNoteLength {
				return fmt.Errorf("the note is %d characters; the limit is %d", n, identity.MaxPresenceNoteLength)
			}
			client, err := c.client()
			if err != nil {
				return err
			}
			p, err := client.SetPresence(cmd.Context(), args[0], note)
			if err != nil {
				return err
			}
			return c.output(p, func(w io.Writer) error {
				printMyPresence(w, p)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&note, "note", "", "a short note shown with your status")
	return cmd
}
