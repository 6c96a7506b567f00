package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/node/api"
	"github.com/parley-im/parley/storage"
)

func (c *cli) chatCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "chat <peer>",
		Short: "Talk with a friend interactively",
		Long: `Open a conversation: the last messages are shown, new ones appear as they
arrive, and every line you type is sent. Your messages show their marks:
… pending, ✓ sent, ✓✓ delivered, ✓✓ read. Messages shown here are marked
read. End with Ctrl-D or Ctrl-C.

Example:
  parley chat bob`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := c.client()
			if err != nil {
				return err
			}
			return c.runChat(cmd.Context(), client, args[0])
		},
	}
}

func (c *cli) runChat(ctx context.Context, client *api.Client, name string) error {
	contact, err := client.Contact(ctx, name)
	if err != nil {
		return err
	}
	peerID := contact.UserID
	page, err := client.History(ctx, peerID, "", 20)
	if err != nil {
		return err
	}
	for i := len(page.Messages) - 1; i >= 0; i-- {
		fmt.Fprintln(c.stdout, formatMessage(page.Messages[i]))
	}
	if _, err := client.MarkRead(ctx, peerID); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := make(chan error, 1)
	go func() {
		_, err := client.Events(ctx, 0, []string{string(chat.EventMessage), string(chat.EventReceipt)}, func(ev api.Event) error {
			return c.showChatEvent(ctx, client, peerID, ev)
		})
		events <- err
	}()
	fmt.Fprintf(c.stderr, "chatting with %s; type a line and press enter, Ctrl-D to quit\n", dashName(contact))

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
			if _, err := client.Send(ctx, peerID, line); err != nil {
				fmt.Fprintf(c.stderr, "not sent: %v\n", err)
			}
		}
	}
}

// showChatEvent prints messages and our messages' receipts of one
// conversation; incoming messages are marked read as they are shown.
func (c *cli) showChatEvent(ctx context.Context, client *api.Client, peerID string, ev api.Event) error {
	switch ev.Type {
	case chat.EventMessage:
		var m storage.Message
		if err := json.Unmarshal(ev.Data, &m); err != nil {
			return fmt.Errorf("decode message event: %w", err)
		}
		if m.ConversationID != peerID {
			return nil
		}
		fmt.Fprintln(c.stdout, formatMessage(m))
		if !m.Outgoing {
			if _, err := client.MarkRead(ctx, peerID); err != nil {
				fmt.Fprintf(c.stderr, "mark read: %v\n", err)
			}
		}
	case chat.EventReceipt:
		var r chat.ReceiptEvent
		if err := json.Unmarshal(ev.Data, &r); err != nil {
			return fmt.Errorf("decode receipt event: %w", err)
		}
		if r.ConversationID != peerID || !r.Outgoing || r.Status == storage.StatusSent {
			return nil
		}
		fmt.Fprintf(c.stdout, "  %s %s\n", statusMark(r.Status), shortID(r.MessageID))
	}
	return nil
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func dashName(ct storage.ContactInfo) string {
	if ct.RemarkName != "" {
		return ct.RemarkName + " (" + ct.UserID + ")"
	}
	return ct.UserID
}
