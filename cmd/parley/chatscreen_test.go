package main

import (
	"io"
	"strings"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/storage"
)

// chatSession runs parley chat in this process with a pipe for stdin.
type chatSession struct {
	out, err lockedBuffer
	typing   *io.PipeWriter
	done     chan int
}

func openChat(t *testing.T, home, with string) *chatSession {
	t.Helper()
	stdin, typing := io.Pipe()
	s := &chatSession{typing: typing, done: make(chan int, 1)}
	go func() { s.done <- run([]string{"--home", home, "chat", with}, stdin, &s.out, &s.err) }()
	t.Cleanup(func() { typing.Close() })
	waitFor(t, "chat opens", func() bool {
		select {
		case code := <-s.done:
			t.Fatalf("chat ended: exit %d, %s", code, s.err.String())
		default:
		}
		return strings.Contains(s.err.String(), "chatting with")
	})
	return s
}

func (s *chatSession) close(t *testing.T) string {
	t.Helper()
	s.typing.Close()
	if code := <-s.done; code != 0 {
		t.Fatalf("chat: exit %d, %s", code, s.err.String())
	}
	return s.out.String()
}

// The chat screen shows each message once, says how our message moved on
// without printing its ID, and marks what it shows read.
func TestChatShowsEachMessageOnce(t *testing.T) {
	homeA, _, a, b := friendPair(t)
	idA, idB := a.Host().ID().String(), b.Host().ID().String()
	subB := b.Feed().Subscribe(0)
	defer subB.Close()

	s := openChat(t, homeA, idB)
	if _, err := s.typing.Write([]byte("hello bob\n")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the delivered mark", func() bool { return strings.Contains(s.out.String(), `✓✓ delivered: "hello bob"`) })
	got, err := b.Chat().Send(a.Host().ID(), "hi alice")
	if err != nil {
		t.Fatal(err)
	}
	awaitFeed(t, subB, "B's message is read", func(ev chat.Event) bool {
		r, ok := ev.Data.(chat.ReceiptEvent)
		return ev.Type == chat.EventReceipt && ok && r.MessageID == got.ID && r.Status == storage.StatusRead
	})
	out := s.close(t)
	if n := strings.Count(out, "hello bob"); n != 2 { // the entry and its delivered line
		t.Errorf("our message shows %d times, want its entry and one mark line:\n%s", n, out)
	}
	if n := strings.Count(out, "< hi alice"); n != 1 {
		t.Errorf("B's message shows %d times, want once:\n%s", n, out)
	}
	page, err := a.Chat().History(b.Host().ID(), "", 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range page.Messages {
		if strings.Contains(out, m.ID[:8]) {
			t.Errorf("the screen shows message ID %s:\n%s", m.ID, out)
		}
	}
	_ = idA
}

// In a group, the chat screen tells who is promoted or removed and a
// rename, as they happen.
func TestChatShowsGroupNotices(t *testing.T) {
	homeA, _, a, b := friendPair(t)
	if code, _, stderr := parley(t, "--home", homeA, "contacts", "set", b.Host().ID().String(), "--remark", "bobby"); code != 0 {
		t.Fatal(stderr)
	}
	g, err := a.Chat().CreateGroup("climbers", []peer.ID{b.Host().ID()})
	if err != nil {
		t.Fatal(err)
	}
	s := openChat(t, homeA, g.GroupID[:6])
	if _, err := a.Chat().SetGroupRole(g.GroupID, b.Host().ID(), true); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Chat().RenameGroup(g.GroupID, "crag rats"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Chat().KickFromGroup(g.GroupID, b.Host().ID()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the removal notice", func() bool { return strings.Contains(s.out.String(), "left or was removed") })
	out := s.close(t)
	short := shortPeer(b.Host().ID().String())
	for _, want := range []string{"* bobby (" + short + ") is now admin", "* the group was renamed from climbers to crag rats", "* bobby (" + short + ") left or was removed"} {
		if !strings.Contains(out, want) {
			t.Errorf("group chat does not say %q:\n%s", want, out)
		}
	}
}
