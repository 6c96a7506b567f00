package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/node/api"
)

func (c *cli) readCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "read <peer or group>",
		Short: "Mark a conversation read",
		Long: `Mark every message of a conversation with a friend or a group read. A
friend is told (their messages show ✓✓ read); a group's members are not.

Examples:
  parley read bob
  parley read climbers`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := c.client()
			if err != nil {
				return err
			}
			t, err := chatTarget(cmd.Context(), client, args[0])
			if err != nil {
				return err
			}
			var n int
			if t.group {
				n, err = client.MarkGroupRead(cmd.Context(), t.id)
			} else {
				n, err = client.MarkRead(cmd.Context(), t.id)
			}
			var apiErr *api.Error
			if errors.As(err, &apiErr) && apiErr.Code == api.CodeNotFound {
				n, err = 0, nil // no messages yet
			}
			if err != nil {
				return err
			}
			return c.output(map[string]any{"conversation": t.conv, "marked": n}, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "marked %d message%s read with %s\n", n, plural(n), t.name)
				return err
			})
		},
	}
}
