package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/node/api"
	"github.com/parley-im/parley/storage"
)

// chatScreen is what a chat session has printed: each message once, our
// messages' marks as they move on, and a group's changes as notices.
type chatScreen struct {
	c *cli
	t target
	// tty: stdout is a terminal, so the mark of our last message changes
	// in place; echoed: stdin is that terminal too, so typed lines echo.
	tty, echoed bool

	mu    sync.Mutex
	shown map[string]storage.Message // by ID, with the status shown
	last  string                     // ID of the last entry, when it is ours and one line
	names peerNames
	group *chat.GroupView // the group as last seen, for notices
	// since is when the last catch-up began: events before it are in the
	// history that catch-up read, or older than what the screen shows.
	since time.Time
}

func newChatScreen(c *cli, t target) *chatScreen {
	s := &chatScreen{c: c, t: t, shown: make(map[string]storage.Message)}
	s.tty = isTerminalWriter(c.stdout)
	s.echoed = s.tty && isTerminalWriter(c.stdin)
	return s
}

// out writes to stdout.
func (s *chatScreen) out(text string) {
	fmt.Fprint(s.c.stdout, text)
}

// catchUp prints the conversation's last messages that are not on the
// screen yet (all of them at the start), notices of what changed in a
// group meanwhile, and marks the conversation read.
func (s *chatScreen) catchUp(ctx context.Context, client *api.Client) error {
	since := time.Now()
	page, err := s.t.history(ctx, client)
	if err != nil {
		return err
	}
	var g *chat.GroupView
	if s.t.group {
		v, err := client.Group(ctx, s.t.id)
		if err != nil {
			return err
		}
		g = &v
	}
	names := loadPeerNames(ctx, client)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.names = names
	s.since = since
	if g != nil {
		s.groupChanged(chat.GroupChanged, *g)
	}
	for i := len(page.Messages) - 1; i >= 0; i-- {
		s.message(page.Messages[i])
	}
	return s.t.markRead(ctx, client)
}

// show prints one event of the session's conversation.
func (s *chatScreen) show(ctx context.Context, client *api.Client, ev api.Event) error {
	s.mu.Lock()
	old := ev.Time.Before(s.since)
	s.mu.Unlock()
	if old {
		return nil
	}
	switch ev.Type {
	case chat.EventMessage:
		var m storage.Message
		if err := json.Unmarshal(ev.Data, &m); err != nil {
			return fmt.Errorf("decode message event: %w", err)
		}
		if m.ConversationID != s.t.conv {
			return nil
		}
		s.mu.Lock()
		s.message(m)
		s.mu.Unlock()
		if !m.Outgoing {
			if err := s.t.markRead(ctx, client); err != nil {
				fmt.Fprintf(s.c.stderr, "mark read: %s\n", visible(err.Error()))
			}
		}
	case chat.EventReceipt:
		var r chat.ReceiptEvent
		if err := json.Unmarshal(ev.Data, &r); err != nil {
			return fmt.Errorf("decode receipt event: %w", err)
		}
		if r.ConversationID != s.t.conv || !r.Outgoing {
			return nil
		}
		s.mu.Lock()
		s.receipt(r)
		s.mu.Unlock()
	case chat.EventGroup:
		var g chat.GroupEvent
		if err := json.Unmarshal(ev.Data, &g); err != nil {
			return fmt.Errorf("decode group event: %w", err)
		}
		if !s.t.group || g.Group.GroupID != s.t.id {
			return nil
		}
		names := loadPeerNames(ctx, client) // a new member's name
		s.mu.Lock()
		s.names = names
		s.groupChanged(g.Action, g.Group)
		s.mu.Unlock()
	}
	return nil
}

// message prints m unless it is on the screen; a message shown before
// only has its mark brought up to date.
func (s *chatScreen) message(m storage.Message) {
	if _, ok := s.shown[m.ID]; ok {
		if m.Outgoing {
			s.receipt(chat.ReceiptEvent{MessageID: m.ID, Status: m.Status, Error: m.Error})
		}
		return
	}
	s.shown[m.ID] = m
	line := s.format(m)
	s.out(line + "\n")
	s.last = ""
	if m.Outgoing && !strings.Contains(line, "\n") && utf8.RuneCountInString(line) < 80 {
		s.last = m.ID
	}
}

// receipt moves one of our messages to a later status: in place when it
// is the last line on a terminal, else on a line that quotes it.
func (s *chatScreen) receipt(r chat.ReceiptEvent) {
	m, ok := s.shown[r.MessageID]
	if !ok || statusRank(r.Status) <= statusRank(m.Status) {
		return
	}
	m.Status, m.Error = r.Status, r.Error
	s.shown[m.ID] = m
	if s.tty && s.last == m.ID {
		s.out("\x1b[1A\r\x1b[2K" + s.format(m) + "\n")
		return
	}
	s.out(fmt.Sprintf("  %s %s: %q\n", statusMark(m.Status), m.Status, oneLine(m.Content, 40)))
	s.last = ""
}

func (s *chatScreen) format(m storage.Message) string {
	if s.t.group {
		return formatGroupMessage(m, s.names)
	}
	return formatMessage(m)
}

// groupChanged prints what changed in the group since it was last seen.
func (s *chatScreen) groupChanged(action string, g chat.GroupView) {
	prev := s.group
	s.group = &g
	if prev == nil {
		return
	}
	for _, n := range groupNotices(*prev, g, action, s.names) {
		s.out("  * " + n + "\n")
		s.last = ""
	}
}

// groupNotices says in words how a group went from prev to cur.
func groupNotices(prev, cur chat.GroupView, action string, names peerNames) []string {
	var out []string
	switch action {
	case chat.GroupLeft:
		out = append(out, "you left the group")
	case chat.GroupRemoved:
		out = append(out, "you were removed from the group")
	case chat.GroupDeleted:
		out = append(out, "the group was deleted here")
	}
	if prev.GroupName != cur.GroupName {
		out = append(out, fmt.Sprintf("the group was renamed from %s to %s", oneLine(prev.GroupName, 40), oneLine(cur.GroupName, 40)))
	}
	before := make(map[string]storage.GroupMember, len(prev.Members))
	for _, m := range prev.Members {
		before[m.UserID] = m
	}
	for _, m := range cur.Members {
		old, was := before[m.UserID]
		delete(before, m.UserID)
		switch {
		case !was:
			out = append(out, names.show(m.UserID)+" joined")
		case old.Role != m.Role:
			out = append(out, fmt.Sprintf("%s is now %s", names.show(m.UserID), m.Role))
		}
	}
	for _, m := range prev.Members {
		if _, gone := before[m.UserID]; gone && action != chat.GroupLeft && action != chat.GroupRemoved {
			out = append(out, names.show(m.UserID)+" left or was removed")
		}
	}
	return out
}
