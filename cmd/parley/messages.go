package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/storage"
)

func (c *cli) sendCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "send <peer> [text]",
		Short: "Send a message to a friend",
		Long: `Send a text message to a friend, named by peer ID or remark name. Without
text (or with "-") the message is read from stdin. The message is stored
and queued at once; it is delivered when the friend is reachable.

Examples:
  parley send bob "see you at eight"
  echo "from a script" | parley send 12D3KooW...`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			text, err := c.messageText(args[1:])
			if err != nil {
				return err
			}
			client, err := c.client()
			if err != nil {
				return err
			}
			m, err := client.Send(cmd.Context(), args[0], text)
			if err != nil {
				return err
			}
			return c.output(m, func(w io.Writer) error {
				names := loadPeerNames(cmd.Context(), client)
				_, err := fmt.Fprintf(w, "queued for %s\n", names.show(m.Recipient))
				return err
			})
		},
	}
}

func (c *cli) historyCommand() *cobra.Command {
	var limit int
	var before string
	cmd := &cobra.Command{
		Use:   "history <peer>",
		Short: "Show the messages of a conversation",
		Long: `Show a page of the conversation with a peer, oldest at the top. For older
messages, pass the cursor printed at the end with --before.

Example:
  parley history bob --limit 20`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkLimit(limit); err != nil {
				return err
			}
			client, err := c.client()
			if err != nil {
				return err
			}
			page, err := client.History(cmd.Context(), args[0], before, limit)
			if err != nil {
				return err
			}
			page.Next = olderCursor(cmd.Context(), page.Next, func(ctx context.Context, before string) (chat.HistoryPage, error) {
				return client.History(ctx, args[0], before, 1)
			})
			return c.output(page, func(w io.Writer) error {
				return printPage(w, page, "parley history "+args[0], nil)
			})
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 50, "messages per page (1-500)")
	cmd.Flags().StringVar(&before, "before", "", "cursor of the page to show (from a previous page)")
	return cmd
}

// messageText is the text argument, or stdin when it is absent or "-",
// refused when it is over what a message may hold.
func (c *cli) messageText(args []string) (string, error) {
	text := ""
	if len(args) > 0 && args[0] != "-" {
		text = args[0]
	} else {
		b, err := io.ReadAll(io.LimitReader(c.stdin, 1<<20))
		if err != nil {
			return "", fmt.Errorf("read stdin: %w", err)
		}
		text = strings.TrimRight(string(b), "\n")
	}
	if len(text) > chat.MaxContentSize {
		return "", fmt.Errorf("the message is %d bytes; the limit is %d (%d KiB)", len(text), chat.MaxContentSize, chat.MaxContentSize>>10)
	}
	return text, nil
}

// maxPage is the most messages a history page holds (the API's limit).
const maxPage = 500

// checkLimit refuses a page size the API would refuse or ignore.
func checkLimit(limit int) error {
	if limit < 1 || limit > maxPage {
		return fmt.Errorf("--limit %d: give 1 to %d messages per page", limit, maxPage)
	}
	return nil
}

// olderCursor returns next when a message older than it exists, else ""
// (a full page has a cursor even when it holds the oldest message).
func olderCursor(ctx context.Context, next string, fetch func(ctx context.Context, before string) (chat.HistoryPage, error)) string {
	if next == "" {
		return ""
	}
	if older, err := fetch(ctx, next); err == nil && len(older.Messages) == 0 {
		return ""
	}
	return next
}

// printPage prints a history page oldest first and how to get the next.
// With names (a group's page) every message shows its author.
func printPage(w io.Writer, page chat.HistoryPage, more string, names *peerNames) error {
	if len(page.Messages) == 0 {
		_, err := fmt.Fprintln(w, "no messages")
		return err
	}
	for i := len(page.Messages) - 1; i >= 0; i-- {
		m := page.Messages[i]
		if names != nil {
			fmt.Fprintln(w, formatGroupMessage(m, *names))
		} else {
			fmt.Fprintln(w, formatMessage(m))
		}
	}
	if page.Next != "" {
		fmt.Fprintf(w, "older: %s --before %s\n", more, page.Next)
	}
	return nil
}

// formatGroupMessage is formatMessage with the author, by name.
func formatGroupMessage(m storage.Message, names peerNames) string {
	if m.Outgoing {
		return formatMessage(m)
	}
	return entry(fmt.Sprintf("%s %s: ", m.SentAt.Local().Format("2006-01-02 15:04:05"), names.show(m.Sender)), m.Content)
}

// formatMessage renders one message as a line: time, direction, text and,
// for our own messages, the delivery mark.
func formatMessage(m storage.Message) string {
	dir := "<"
	if m.Outgoing {
		dir = ">"
	}
	line := entry(fmt.Sprintf("%s %s ", m.SentAt.Local().Format("2006-01-02 15:04:05"), dir), m.Content)
	if m.Outgoing {
		line += "  " + statusMark(m.Status)
		if m.Error != "" {
			line += " (" + oneLine(m.Error, 200) + ")"
		}
	}
	return line
}

// statusMark is the delivery mark shown next to our own messages.
func statusMark(s storage.MessageStatus) string {
	switch s {
	case storage.StatusPending:
		return "…"
	case storage.StatusSent:
		return "✓"
	case storage.StatusDelivered:
		return "✓✓"
	case storage.StatusRead:
		return "✓✓ read"
	case storage.StatusFailed:
		return "✗ failed"
	}
	return string(s)
}

func (c *cli) conversationsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "conversations",
		Short: "List conversations, most recent first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := c.client()
			if err != nil {
				return err
			}
			convs, err := client.Conversations(cmd.Context())
			if err != nil {
				return err
			}
			return c.output(convs, func(w io.Writer) error {
				if len(convs) == 0 {
					_, err := fmt.Fprintln(w, "no conversations yet")
					return err
				}
				names := loadPeerNames(cmd.Context(), client)
				groups := groupNames(cmd.Context(), client)
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "WITH\tUNREAD\tLAST\tMESSAGE")
				for _, cv := range convs {
					with := names.show(cv.ID)
					if isGroupConv(cv.ID) {
						with = oneLine(groups[cv.ID], 32) + " (group)"
					}
					fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", with, cv.Unread,
						cv.UpdatedAt.Local().Format(time.DateTime), oneLine(cv.Last.Content, 40))
				}
				return tw.Flush()
			})
		},
	}
}
