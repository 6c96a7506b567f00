package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/node/api"
)

func (c *cli) eventsCommand() *cobra.Command {
	var types []string
	var since uint64
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Follow the node's events as they happen",
		Long: `Print the node's events (peers connecting and leaving, and more as the
node grows) until interrupted. With --json each event is one JSON line.
A dropped stream is resumed from the last event seen.

Examples:
  parley events
  parley events --json --types peer_connected,peer_disconnected`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := c.client()
			if err != nil {
				return err
			}
			return c.followEvents(cmd.Context(), client, since, types)
		},
	}
	cmd.Flags().StringSliceVar(&types, "types", nil, "only these event types (comma-separated)")
	cmd.Flags().Uint64Var(&since, "since", 0, "first replay the buffered events after this event ID")
	return cmd
}

// followEvents prints events until ctx ends, resuming after a dropped
// stream; it gives up when the daemon is gone.
func (c *cli) followEvents(ctx context.Context, client *api.Client, last uint64, types []string) error {
	for {
		var err error
		last, err = client.Events(ctx, last, types, c.printEvent)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && (isNoDaemon(err) || errors.As(err, new(*api.Error))) {
			return err
		}
		// The stream ended (the daemon dropped a slow reader, or a blip):
		// resume after a short pause so a dead daemon is not hammered.
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (c *cli) printEvent(ev api.Event) error {
	if c.json {
		b, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("encode event: %w", err)
		}
		_, err = fmt.Fprintf(c.stdout, "%s\n", b)
		return err
	}
	data := visible(strings.TrimSpace(string(ev.Data)))
	_, err := fmt.Fprintf(c.stdout, "%s  %-18s %s\n", ev.Time.Local().Format("15:04:05.000"), ev.Type, data)
	return err
}
