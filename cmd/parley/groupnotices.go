package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/node/api"
)

// groupPage is a page of a group's history with the group's notices of
// the same span: from just after the newest message of the next older
// page (from the start on the oldest page) to the page's newest message
// (to now on the newest page), so that each notice is on one page.
type groupPage struct {
	chat.HistoryPage
	notices []chat.GroupNotice
}

// loadGroupPage reads a page of a group's history before the cursor, and
// the notices of its span.
func loadGroupPage(ctx context.Context, client *api.Client, group, before string, limit int) (groupPage, error) {
	page, err := client.GroupHistory(ctx, group, before, limit)
	if err != nil {
		return groupPage{}, err
	}
	var from, to time.Time
	if page.Next != "" {
		older, err := client.GroupHistory(ctx, group, page.Next, 1)
		switch {
		case err == nil && len(older.Messages) == 0:
			page.Next = "" // nothing older
		case err == nil:
			from = older.Messages[0].SentAt.Add(time.Nanosecond)
		}
	}
	if before != "" && len(page.Messages) > 0 {
		to = page.Messages[0].SentAt
	}
	notices, err := client.GroupNotices(ctx, group, from, to)
	if err != nil {
		return groupPage{}, err
	}
	return groupPage{HistoryPage: page, notices: notices}, nil
}

// printGroupPage prints a group's page oldest first, each notice before
// the first message sent after it, and how to get the next page.
func printGroupPage(w io.Writer, p groupPage, more string, names peerNames) error {
	if len(p.Messages) == 0 && len(p.notices) == 0 {
		_, err := fmt.Fprintln(w, "no messages")
		return err
	}
	notices := p.notices
	for i := len(p.Messages) - 1; i >= 0; i-- {
		m := p.Messages[i]
		for len(notices) > 0 && !notices[0].At.After(m.SentAt) {
			printNotice(w, notices[0], names)
			notices = notices[1:]
		}
		fmt.Fprintln(w, formatGroupMessage(m, names))
	}
	for _, n := range notices {
		printNotice(w, n, names)
	}
	if p.Next != "" {
		fmt.Fprintf(w, "older: %s --before %s\n", more, p.Next)
	}
	return nil
}

// printNotice prints a group's change in the words the chat screen uses,
// with when and by whom it was signed.
func printNotice(w io.Writer, n chat.GroupNotice, names peerNames) {
	prev := chat.GroupView{Members: n.Before.Members}
	prev.GroupName = n.Before.Name
	cur := chat.GroupView{Members: n.After.Members}
	cur.GroupName = n.After.Name
	for _, line := range groupNotices(prev, cur, "", names) {
		fmt.Fprintf(w, "%s * %s (by %s)\n", n.At.Local().Format("2006-01-02 15:04:05"), line, names.show(n.By))
	}
}
