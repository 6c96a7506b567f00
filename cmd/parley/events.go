package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/node/api"
)

func (c *cli) eventsCommand() *cobra.Command {
	var types []string
	var since uint64
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Follow the node's events as they happen",
		Long: `Print the node's events until interrupted, one line each: peers connecting
and leaving, messages, receipts, friend requests, contacts, groups,
profiles and presence, with peers by name. With --json each event is one
JSON line. A dropped stream is resumed from the last event seen, and
when the daemon restarts, events resumes with the new daemon (a reset
event says what may have been missed).

Examples:
  parley events
  parley events --json --types peer_connected,peer_disconnected`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.followEvents(cmd.Context(), since, types)
		},
	}
	cmd.Flags().StringSliceVar(&types, "types", nil, "only these event types (comma-separated)")
	cmd.Flags().Uint64Var(&since, "since", 0, "first replay the buffered events after this event ID")
	return cmd
}

// followEvents prints events until ctx ends. A dropped stream is resumed
// after the last event seen; when the daemon stops, it waits for it to
// start again (at whatever address it then writes to the home) and
// resumes there, the daemon's reset event telling what was lost. It gives
// up only when no daemon runs at the start, or the daemon refuses the
// request.
func (c *cli) followEvents(ctx context.Context, last uint64, types []string) error {
	connected, waiting := false, false
	for {
		client, err := c.client()
		if err == nil {
			var v eventView
			if !c.json {
				v = newEventView(ctx, client)
			}
			last, err = client.Events(ctx, last, types, func(ev api.Event) error {
				connected = true
				if waiting {
					fmt.Fprintln(c.stderr, "the daemon is back; following its events again")
					waiting = false
				}
				return c.printEvent(ctx, client, &v, ev)
			})
		}
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && (!connected && isNoDaemon(err) || errors.As(err, new(*api.Error))) {
			return err
		}
		if isNoDaemon(err) && !waiting {
			fmt.Fprintln(c.stderr, "the daemon stopped; waiting for it to start again (Ctrl-C to quit)")
			waiting = true
		}
		// Pause before asking again, so that a dead daemon is not hammered.
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// eventView holds the names the human event lines use, read again when
// an event changes them.
type eventView struct {
	names  peerNames
	groups map[string]string
}

func newEventView(ctx context.Context, client *api.Client) eventView {
	return eventView{names: loadPeerNames(ctx, client), groups: groupNames(ctx, client)}
}

func (c *cli) printEvent(ctx context.Context, client *api.Client, v *eventView, ev api.Event) error {
	if c.json {
		b, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("encode event: %w", err)
		}
		_, err = fmt.Fprintf(c.stdout, "%s\n", b)
		return err
	}
	switch ev.Type {
	case chat.EventContact, chat.EventGroup, chat.EventProfile, chat.EventFriendRequest, chat.EventReset:
		*v = newEventView(ctx, client)
	}
	_, err := fmt.Fprintln(c.stdout, describeEvent(ev, v.names, v.groups))
	return err
}
