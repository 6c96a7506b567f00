package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/node/api"
	"github.com/parley-im/parley/storage"
)

func (c *cli) chatCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "chat <peer or group>",
		Short: "Talk with a friend or a group interactively",
		Long: `Open a conversation with a friend (peer ID, remark name, nickname or ID
prefix) or a group (ID, prefix or name): the last messages are shown, new
ones appear as they arrive, each once, and every line you type is sent.
Your direct messages show their marks: … pending, ✓ sent, ✓✓ delivered,
✓✓ read; on a terminal the mark changes in place on your last message,
otherwise a line says which message moved on. Messages shown here are
marked read. In a group, members joining, leaving, being removed or
promoted and renames are shown as they happen. When the daemon restarts,
chat waits for it and goes on. End with Ctrl-D or Ctrl-C.

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
	id    string // peer ID or group ID
	name  string
	conv  string // conversation ID of its messages
	group bool
}

// chatTarget resolves name as a contact, else as a group.
func chatTarget(ctx context.Context, client *api.Client, name string) (target, error) {
	contact, err := client.Contact(ctx, name)
	if err == nil {
		id := contact.UserID
		return target{id: id, name: loadPeerNames(ctx, client).show(id), conv: id}, nil
	}
	var apiErr *api.Error
	if !errors.As(err, &apiErr) || (apiErr.Code != api.CodeNotFound && apiErr.Code != api.CodeBadPeerID) {
		return target{}, err
	}
	g, gerr := client.Group(ctx, name)
	if gerr != nil {
		return target{}, fmt.Errorf("%q is neither a contact nor a group: %w", name, gerr)
	}
	return target{id: g.GroupID, name: visible(g.GroupName) + " (group)", conv: chat.GroupConversationID(g.GroupID), group: true}, nil
}

func (t target) history(ctx context.Context, client *api.Client) (chat.HistoryPage, error) {
	if t.group {
		return client.GroupHistory(ctx, t.id, "", 20)
	}
	return client.History(ctx, t.id, "", 20)
}

func (t target) send(ctx context.Context, client *api.Client, text string) error {
	var err error
	if t.group {
		_, err = client.SendGroup(ctx, t.id, text)
	} else {
		_, err = client.Send(ctx, t.id, text)
	}
	return err
}

// markRead marks the conversation read.
func (t target) markRead(ctx context.Context, client *api.Client) error {
	if t.group {
		_, err := client.MarkGroupRead(ctx, t.id)
		return err
	}
	_, err := client.MarkRead(ctx, t.id)
	var apiErr *api.Error
	if errors.As(err, &apiErr) && apiErr.Code == api.CodeNotFound {
		return nil // no messages yet
	}
	return err
}

func (c *cli) runChat(ctx context.Context, client *api.Client, t target) error {
	s := newChatScreen(c, t)
	if err := s.catchUp(ctx, client); err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "chatting with %s; type a line and press enter, Ctrl-D to quit\n", t.name)
	ctx, cancel := context.WithCancel(ctx)
	lines := make(chan string)
	go c.readLines(ctx, lines) // ends at EOF; a blocked read ends with the process
	clients := make(chan *api.Client)
	followed := make(chan struct{})
	go func() {
		defer close(followed)
		s.follow(ctx, client, clients)
	}()
	defer func() {
		cancel()
		<-followed
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case cl := <-clients:
			client = cl
		case line, ok := <-lines:
			if !ok {
				return nil
			}
			if s.echoed {
				// The terminal echoed the line; the message replaces it.
				s.out("\x1b[1A\x1b[2K")
			}
			if strings.TrimSpace(line) == "" {
				continue
			}
			if err := t.send(ctx, client, line); err != nil {
				fmt.Fprintf(c.stderr, "not sent: %s\n", visible(err.Error()))
			}
		}
	}
}

// readLines sends each line of stdin until EOF or ctx ends.
func (c *cli) readLines(ctx context.Context, lines chan<- string) {
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
}

// follow prints the conversation's events until ctx ends. When the stream
// ends (the daemon stopped), it waits for a daemon on the home again,
// hands its client to the session, catches up on what was missed and
// follows on.
func (s *chatScreen) follow(ctx context.Context, client *api.Client, clients chan<- *api.Client) {
	types := []string{string(chat.EventMessage), string(chat.EventReceipt), string(chat.EventGroup)}
	// From 1, older than any event: the daemon replays what it holds, so
	// that nothing between the catch-up and the subscription is lost;
	// show skips what the catch-up covered.
	last := uint64(1)
	for {
		var err error
		last, err = client.Events(ctx, last, types, func(ev api.Event) error { return s.show(ctx, client, ev) })
		if ctx.Err() != nil {
			return
		}
		fmt.Fprintf(s.c.stderr, "lost the daemon (%s); waiting for it to come back\n", visible(fmt.Sprint(err)))
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
			cl, err := s.c.client()
			if err != nil {
				continue
			}
			if err := s.catchUp(ctx, cl); err != nil {
				continue // up, not answering yet
			}
			client = cl
			select {
			case clients <- cl:
			case <-ctx.Done():
				return
			}
			fmt.Fprintln(s.c.stderr, "the daemon is back")
			break
		}
	}
}

// isTerminalWriter reports whether w is a terminal.
func isTerminalWriter(w any) bool {
	f, ok := w.(*os.File)
	return ok && isTerminal(f)
}

// statusRank orders delivery states, so that a late receipt never moves a
// message back.
func statusRank(s storage.MessageStatus) int {
	switch s {
	case storage.StatusPending:
		return 1
	case storage.StatusSent:
		return 2
	case storage.StatusDelivered:
		return 3
	case storage.StatusRead:
		return 4
	case storage.StatusFailed:
		return 5
	}
	return 0
}
