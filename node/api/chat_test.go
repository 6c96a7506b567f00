package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/node/api"
	"github.com/parley-im/parley/node/nodetest"
	"github.com/parley-im/parley/storage"
)

// errFound ends an event stream once the awaited event arrived.
var errFound = errors.New("found")

// awaitEvent follows c's event stream until match accepts an event of one
// of types, for at most waitFor. It resumes from event 1, an ID older than
// any of the node's, so the node first replays what it has buffered (after
// a reset event): an event that happened before the call is found too.
func awaitEvent(t *testing.T, c *api.Client, what string, types []string, match func(api.Event) bool) api.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	var found api.Event
	_, err := c.Events(ctx, 1, types, func(ev api.Event) error {
		if ev.Type != chat.EventReset && match(ev) {
			found = ev
			return errFound
		}
		return nil
	})
	if !errors.Is(err, errFound) {
		t.Fatalf("waiting for %s: %v", what, err)
	}
	return found
}

// decode unmarshals an event's data.
func decode[T any](t *testing.T, ev api.Event) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(ev.Data, &v); err != nil {
		t.Fatalf("%s event data %s: %v", ev.Type, ev.Data, err)
	}
	return v
}

// befriend connects a to b over tr and makes them friends through the API: a asks,
// b accepts, and both wait until their side has the other as a friend.
func befriend(t *testing.T, tr nodetest.Transport, a, b *served) {
	t.Helper()
	ctx := context.Background()
	aID, bID := a.node.Info().PeerID, b.node.Info().PeerID
	if _, err := a.client.Connect(ctx, nodetest.Addr(t, tr, b.node)); err != nil {
		t.Fatal(err)
	}
	req, err := a.client.AddFriend(ctx, bID, "hi, it's A")
	if err != nil {
		t.Fatalf("friend request: %v", err)
	}
	if req.Status != storage.RequestPending || !req.Outgoing || req.UserID != bID || req.ReqUserID != aID {
		t.Fatalf("friend request = %+v", req)
	}
	ev := awaitEvent(t, b.client, "B gets the request", []string{"friend_request"}, func(ev api.Event) bool {
		return decode[storage.FriendRequest](t, ev).ID == req.ID
	})
	if in := decode[storage.FriendRequest](t, ev); in.Outgoing || in.ReqMessage != "hi, it's A" || in.Status != storage.RequestPending {
		t.Errorf("B's copy of the request = %+v", in)
	}
	acc, err := b.client.AnswerRequest(ctx, req.ID, "accept")
	if err != nil || acc.Status != storage.RequestAccepted {
		t.Fatalf("accept = %+v, %v", acc, err)
	}
	awaitEvent(t, a.client, "A learns B accepted", []string{"contact"}, func(ev api.Event) bool {
		ce := decode[chat.ContactEvent](t, ev)
		return ce.Contact.UserID == bID && ce.Contact.Friend
	})
	for _, side := range []struct {
		s     *served
		other string
	}{{a, bID}, {b, aID}} {
		c, err := side.s.client.Contact(ctx, side.other)
		if err != nil || !c.Friend {
			t.Fatalf("contact %s = %+v, %v; want a friend", side.other, c, err)
		}
	}
}

// Issue 3's bad input through the API: oversized content, a malformed peer
// ID, a stranger, this node itself. Nothing is stored for any of them.
func TestSendRefusesBadInput(t *testing.T) {
	t.Parallel()
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		a, b := serve(t, tr), serve(t, tr)
		befriend(t, tr, a, b)
		ctx := context.Background()
		bID := b.node.Info().PeerID
		stranger := serve(t, tr).node.Info().PeerID

		_, err := a.client.Send(ctx, bID, strings.Repeat("x", chat.MaxContentSize+1))
		wantClientError(t, "content of 64 KiB + 1", err, http.StatusRequestEntityTooLarge, api.CodeTooLarge, "65537", "65536")
		// Escaped in JSON, every byte of this takes 6: the body is far over
		// the default limit, yet the answer is the content check's.
		_, err = a.client.Send(ctx, bID, strings.Repeat("\x01", chat.MaxContentSize+1))
		wantClientError(t, "escaped content of 64 KiB + 1", err, http.StatusRequestEntityTooLarge, api.CodeTooLarge, "the limit is 65536")
		_, err = a.client.Send(ctx, "not-a-peer-id", "hello")
		wantClientError(t, "malformed peer id", err, http.StatusBadRequest, api.CodeBadPeerID, "not-a-peer-id")
		_, err = a.client.History(ctx, "not-a-peer-id", "", 0)
		wantClientError(t, "history of a malformed peer id", err, http.StatusBadRequest, api.CodeBadPeerID, "not-a-peer-id")
		_, err = a.client.History(ctx, bID, "not-a-cursor", 0)
		wantClientError(t, "history with a malformed cursor", err, http.StatusBadRequest, api.CodeBadRequest)
		_, err = a.client.History(ctx, bID, "", 501)
		wantClientError(t, "history page over 500", err, http.StatusBadRequest, api.CodeBadRequest, "500")
		_, err = a.client.Send(ctx, stranger, "hello")
		wantClientError(t, "send to a stranger", err, http.StatusForbidden, api.CodeNotFriend, stranger, "send a friend request first")
		_, err = a.client.Send(ctx, a.node.Info().PeerID, "hello me")
		wantClientError(t, "send to self", err, http.StatusBadRequest, api.CodeSelf)
		_, err = a.client.Send(ctx, bID, "")
		wantClientError(t, "empty message", err, http.StatusBadRequest, api.CodeBadRequest, "empty")

		resp, env := a.do(t, a.request(t, http.MethodPost, "/v1/messages", `{"to":"`+bID+`","content":"hi","kind":"text"}`))
		wantFailure(t, "unknown field", resp, env, http.StatusBadRequest, api.CodeBadRequest, "kind")

		convs, err := a.client.Conversations(ctx)
		if err != nil || len(convs) != 0 {
			t.Errorf("conversations after refused sends: %+v, %v; want none", convs, err)
		}
		page, err := a.client.History(ctx, stranger, "", 0)
		if err != nil || len(page.Messages) != 0 {
			t.Errorf("history with the stranger: %+v, %v; want empty", page, err)
		}

		// The limit itself is fine.
		m, err := a.client.Send(ctx, bID, strings.Repeat("y", chat.MaxContentSize))
		if err != nil || len(m.Content) != chat.MaxContentSize {
			t.Errorf("content of exactly 64 KiB: %d bytes, %v", len(m.Content), err)
		}
	})
}

// Friend request → accept → send → delivered in both histories; mark-read
// returns the count and the sender sees "read"; a remark name works as the
// peer in the path.
func TestFriendsTalkThroughTheAPI(t *testing.T) {
	t.Parallel()
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		a, b := serve(t, tr), serve(t, tr)
		befriend(t, tr, a, b)
		ctx := context.Background()
		aID, bID := a.node.Info().PeerID, b.node.Info().PeerID

		sent := make([]storage.Message, 3)
		for i, text := range []string{"hello B", "how are you?", "third"} {
			m, err := a.client.Send(ctx, bID, text)
			if err != nil {
				t.Fatalf("send %q: %v", text, err)
			}
			if m.Status != storage.StatusPending || !m.Outgoing || m.Sender != aID || m.Recipient != bID || m.ConversationID != bID || m.ID == "" {
				t.Errorf("sent message = %+v", m)
			}
			sent[i] = m
		}
		last := sent[len(sent)-1]
		awaitEvent(t, a.client, "the last message delivered", []string{"receipt"}, func(ev api.Event) bool {
			r := decode[chat.ReceiptEvent](t, ev)
			return r.MessageID == last.ID && r.Status == storage.StatusDelivered
		})

		page, err := a.client.History(ctx, bID, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Messages) != len(sent) {
			t.Fatalf("A's history has %d messages, want %d: %+v", len(page.Messages), len(sent), page.Messages)
		}
		for i, m := range page.Messages { // newest first
			want := sent[len(sent)-1-i]
			if m.ID != want.ID || m.Content != want.Content || m.Status != storage.StatusDelivered {
				t.Errorf("A's history[%d] = %s %q %s, want %s %q delivered", i, m.ID, m.Content, m.Status, want.ID, want.Content)
			}
		}
		page, err = b.client.History(ctx, aID, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Messages) != len(sent) {
			t.Fatalf("B's history has %d messages, want %d", len(page.Messages), len(sent))
		}
		for i, m := range page.Messages {
			want := sent[len(sent)-1-i]
			if m.ID != want.ID || m.Content != want.Content || m.Outgoing || m.Sender != aID || m.Status != storage.StatusDelivered || m.ReceivedAt.IsZero() {
				t.Errorf("B's history[%d] = %+v, want %s %q from A, delivered", i, m, want.ID, want.Content)
			}
		}
		convs, err := b.client.Conversations(ctx)
		if err != nil || len(convs) != 1 || convs[0].Unread != len(sent) || convs[0].Last.ID != last.ID {
			t.Errorf("B's conversations = %+v, %v; want one with %d unread, last %s", convs, err, len(sent), last.ID)
		}

		// B names A by a remark from now on.
		remark := "alice"
		if c, err := b.client.UpdateContact(ctx, aID, chat.ContactUpdate{RemarkName: &remark}); err != nil || c.RemarkName != remark {
			t.Fatalf("set remark: %+v, %v", c, err)
		}
		n, err := b.client.MarkRead(ctx, remark)
		if err != nil || n != len(sent) {
			t.Fatalf("mark read via remark: %d, %v; want %d", n, err, len(sent))
		}
		if n, err := b.client.MarkRead(ctx, remark); err != nil || n != 0 {
			t.Errorf("mark read again: %d, %v; want 0", n, err)
		}
		awaitEvent(t, a.client, "A sees the last message read", []string{"receipt"}, func(ev api.Event) bool {
			r := decode[chat.ReceiptEvent](t, ev)
			return r.MessageID == last.ID && r.Status == storage.StatusRead
		})
		page, err = a.client.History(ctx, bID, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page.Messages {
			if m.Status != storage.StatusRead {
				t.Errorf("A's message %s is %s after B read it, want read", m.ID, m.Status)
			}
		}

		byRemark, err := b.client.History(ctx, remark, "", 2)
		if err != nil || len(byRemark.Messages) != 2 || byRemark.Messages[0].ID != last.ID || byRemark.Next == "" {
			t.Fatalf("history via remark, 2 per page: %+v, %v", byRemark, err)
		}
		older, err := b.client.History(ctx, remark, byRemark.Next, 2)
		if err != nil || len(older.Messages) != 1 || older.Messages[0].ID != sent[0].ID || older.Next != "" {
			t.Errorf("second page via remark: %+v, %v; want the first message and no cursor", older, err)
		}
		reply, err := b.client.Send(ctx, strings.ToUpper(remark), "fine, thanks")
		if err != nil || reply.Recipient != aID {
			t.Fatalf("send via remark (any case): %+v, %v", reply, err)
		}
		awaitEvent(t, a.client, "A gets the reply", []string{"message"}, func(ev api.Event) bool {
			return decode[storage.Message](t, ev).ID == reply.ID
		})
		_, err = b.client.History(ctx, "bob", "", 0)
		wantClientError(t, "history via an unknown name", err, http.StatusBadRequest, api.CodeBadPeerID, "bob")
	})
}

// An unknown action on a friend request (or a group invitation) is a 404
// that lists the actions, not a 405 that says POST is not allowed and to
// use POST.
func TestUnknownActionIsNotFound(t *testing.T) {
	t.Parallel()
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		a, b := serve(t, tr), serve(t, tr)
		if _, err := a.client.Connect(context.Background(), nodetest.Addr(t, tr, b.node)); err != nil {
			t.Fatal(err)
		}
		req, err := a.client.AddFriend(context.Background(), b.node.Info().PeerID, "")
		if err != nil {
			t.Fatal(err)
		}
		resp, env := a.do(t, a.request(t, http.MethodPost, "/v1/friend-requests/"+req.ID+"/approve", ""))
		wantFailure(t, "action approve", resp, env, http.StatusNotFound, api.CodeNotFound, "approve", "accept")
		if allow := resp.Header.Get("Allow"); allow != "" {
			t.Errorf("404 with Allow: %q", allow)
		}
		resp, env = a.do(t, a.request(t, http.MethodPost, "/v1/group-invites/some-group/join", ""))
		wantFailure(t, "invitation action join", resp, env, http.StatusNotFound, api.CodeNotFound, "join", "decline")
		_, err = a.client.AnswerRequest(context.Background(), req.ID, "cancel")
		if err != nil {
			t.Errorf("cancel after the refused action: %v", err)
		}
	})
}
