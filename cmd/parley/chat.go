package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/node/api"
	"github.com/parley-im/parley/storage"
)

func (c *cli) chatCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "chat <peer or group>",
		Short: "Talk with a friend or a group interactively",
		Long: `Open a conversation with a friend (peer ID or remark name) or a group (ID
or name): the last messages are shown, new ones appear as they arrive, and
every line you type is sent. Your direct messages show their marks:
… pending, ✓ sent, ✓✓ delivered, ✓✓ read. Messages shown here are marked
read. End with Ctrl-D or Ctrl-C.

Examples:
  parley chat bob
  parley chat climbers`,
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
			return c.runChat(cmd.Context(), client, t)
		},
	}
}

// target is what a chat session talks to: a friend or a group.
type target struct {
	name    string
	conv    string // conversation ID of its messages
	group   bool
	names   peerNames // shows the authors of a group's messages
	history func(ctx context.Context) (chat.HistoryPage, error)
	send    func(ctx context.Context, text string) error
	read    func(ctx context.Context) error
}

// chatTarget resolves name as a contact, else as a group.
func chatTarget(ctx context.Context, client *api.Client, name string) (target, error) {
	names := loadPeerNames(ctx, client)
	contact, err := client.Contact(ctx, name)
	if err == nil {
		id := contact.UserID
		return target{
			name:  names.show(id),
			names: names,
			conv:  id,
			history: func(ctx context.Context) (chat.HistoryPage, error) {
				return client.History(ctx, id, "", 20)
			},
			send: func(ctx context.Context, text string) error { _, err := client.Send(ctx, id, text); return err },
			read: func(ctx context.Context) error { _, err := client.MarkRead(ctx, id); return err },
		}, nil
	}
	var apiErr *api.Error
	if !errors.As(err, &apiErr) || (apiErr.Code != api.CodeNotFound && apiErr.Code != api.CodeBadPeerID) {
		return target{}, err
	}
	g, gerr := client.Group(ctx, name)
	if gerr != nil {
		return target{}, fmt.Errorf("%q is neither a contact nor a group: %w", name, gerr)
	}
	gid := g.GroupID
	return target{
		name:  visible(g.GroupName) + " (group)",
		conv:  chat.GroupConversationID(gid),
		group: true,
		names: names,
		history: func(ctx context.Context) (chat.HistoryPage, error) {
			return client.GroupHistory(ctx, gid, "", 20)
		},
		send: func(ctx context.Context, text string) error { _, err := client.SendGroup(ctx, gid, text); return err },
		read: func(context.Context) error { return nil },
	}, nil
}

func (c *cli) runChat(ctx context.Context, client *api.Client, t target) error {
	page, err := t.history(ctx)
	if err != nil {
		return err
	}
	for i := len(page.Messages) - 1; i >= 0; i-- {
		c.printChatLine(t, page.Messages[i])
	}
	if err := t.read(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := make(chan error, 1)
	go func() {
		_, err := client.Events(ctx, 0, []string{string(chat.EventMessage), string(chat.EventReceipt)}, func(ev api.Event) error {
			return c.showChatEvent(ctx, t, ev)
		})
		events <- err
	}()
	fmt.Fprintf(c.stderr, "chatting with %s; type a line and press enter, Ctrl-D to quit\n", t.name)

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(c.stdin)
		sc.Buffer(make([]byte, 0, 4096), chat.MaxContentSize+1)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-events:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("event stream ended: %w", err)
		case line, ok := <-lines:
			if !ok {
				return nil
			}
			if strings.TrimSpace(line) == "" {
				continue
			}
			if err := t.send(ctx, line); err != nil {
				fmt.Fprintf(c.stderr, "not sent: %s\n", visible(err.Error()))
			}
		}
	}
}

func (c *cli) printChatLine(t target, m storage.Message) {
	if t.group {
		fmt.Fprintln(c.stdout, formatGroupMessage(m, t.names))
		return
	}
	fmt.Fprintln(c.stdout, formatMessage(m))
}

// showChatEvent prints the conversation's messages and our messages'
// receipts; incoming messages are marked read as they are shown.
func (c *cli) showChatEvent(ctx context.Context, t target, ev api.Event) error {
	switch ev.Type {
	case chat.EventMessage:
		var m storage.Message
		if err := json.Unmarshal(ev.Data, &m); err != nil {
			return fmt.Errorf("decode message event: %w", err)
		}
		if m.ConversationID != t.conv {
			return nil
		}
		c.printChatLine(t, m)
		if !m.Outgoing {
			if err := t.read(ctx); err != nil {
				fmt.Fprintf(c.stderr, "mark read: %v\n", err)
			}
		}
	case chat.EventReceipt:
		var r chat.ReceiptEvent
		if err := json.Unmarshal(ev.Data, &r); err != nil {
			return fmt.Errorf("decode receipt event: %w", err)
		}
		if r.ConversationID != t.conv || !r.Outgoing || r.Status == storage.StatusSent {
			return nil
		}
		fmt.Fprintf(c.stdout, "  %s %s\n", statusMark(r.Status), shortID(r.MessageID))
	}
	return nil
}
