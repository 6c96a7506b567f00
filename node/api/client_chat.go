package api

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/storage"
)

// Contacts lists contacts, optionally only those with label.
func (c *Client) Contacts(ctx context.Context, label string) ([]storage.ContactInfo, error) {
	path := "/v1/contacts"
	if label != "" {
		path += "?label=" + url.QueryEscape(label)
	}
	var out []storage.ContactInfo
	err := c.do(ctx, http.MethodGet, path, nil, &out)
	return out, err
}

// Contact returns one contact, named by peer ID or remark name.
func (c *Client) Contact(ctx context.Context, peer string) (storage.ContactInfo, error) {
	var out storage.ContactInfo
	err := c.do(ctx, http.MethodGet, "/v1/contacts/"+url.PathEscape(peer), nil, &out)
	return out, err
}

// UpdateContact sets a contact's remark name and labels.
func (c *Client) UpdateContact(ctx context.Context, peer string, u chat.ContactUpdate) (storage.ContactInfo, error) {
	var out storage.ContactInfo
	err := c.do(ctx, http.MethodPatch, "/v1/contacts/"+url.PathEscape(peer), u, &out)
	return out, err
}

// RemoveContact ends a friendship on this side.
func (c *Client) RemoveContact(ctx context.Context, peer string) error {
	return c.do(ctx, http.MethodDelete, "/v1/contacts/"+url.PathEscape(peer), nil, nil)
}

// Block blocks a peer.
func (c *Client) Block(ctx context.Context, peer string) (storage.ContactInfo, error) {
	var out storage.ContactInfo
	err := c.do(ctx, http.MethodPut, "/v1/blocks/"+url.PathEscape(peer), nil, &out)
	return out, err
}

// Unblock lifts a block.
func (c *Client) Unblock(ctx context.Context, peer string) (storage.ContactInfo, error) {
	var out storage.ContactInfo
	err := c.do(ctx, http.MethodDelete, "/v1/blocks/"+url.PathEscape(peer), nil, &out)
	return out, err
}

// FriendRequests lists requests; status ("pending", …) and direction
// ("in", "out") filter when not empty.
func (c *Client) FriendRequests(ctx context.Context, status, direction string) ([]storage.FriendRequest, error) {
	q := url.Values{}
	if status != "" {
		q.Set("status", status)
	}
	if direction != "" {
		q.Set("direction", direction)
	}
	path := "/v1/friend-requests"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out []storage.FriendRequest
	err := c.do(ctx, http.MethodGet, path, nil, &out)
	return out, err
}

// AddFriend sends a friend request.
func (c *Client) AddFriend(ctx context.Context, peer, message string) (storage.FriendRequest, error) {
	var out storage.FriendRequest
	err := c.do(ctx, http.MethodPost, "/v1/friend-requests", FriendRequestBody{Peer: peer, Message: message}, &out)
	return out, err
}

// AnswerRequest accepts, rejects or cancels a request (action is
// "accept", "reject" or "cancel").
func (c *Client) AnswerRequest(ctx context.Context, id, action string) (storage.FriendRequest, error) {
	var out storage.FriendRequest
	err := c.do(ctx, http.MethodPost, "/v1/friend-requests/"+url.PathEscape(id)+"/"+url.PathEscape(action), nil, &out)
	return out, err
}

// Send sends a text message to a peer ID or remark name.
func (c *Client) Send(ctx context.Context, to, content string) (storage.Message, error) {
	var out storage.Message
	err := c.do(ctx, http.MethodPost, "/v1/messages", SendBody{To: to, Content: content}, &out)
	return out, err
}

// Conversations lists conversations, most recent first.
func (c *Client) Conversations(ctx context.Context) ([]storage.Conversation, error) {
	var out []storage.Conversation
	err := c.do(ctx, http.MethodGet, "/v1/conversations", nil, &out)
	return out, err
}

// History returns a page of a conversation, newest first.
func (c *Client) History(ctx context.Context, peer, before string, limit int) (chat.HistoryPage, error) {
	q := url.Values{}
	if before != "" {
		q.Set("before", before)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	path := "/v1/conversations/" + url.PathEscape(peer) + "/messages"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out chat.HistoryPage
	err := c.do(ctx, http.MethodGet, path, nil, &out)
	return out, err
}

// MarkRead marks a conversation read and returns how many messages were
// unread.
func (c *Client) MarkRead(ctx context.Context, peer string) (int, error) {
	var out ReadResult
	err := c.do(ctx, http.MethodPost, "/v1/conversations/"+url.PathEscape(peer)+"/read", nil, &out)
	return out.Marked, err
}

// DeleteConversation deletes a conversation on this node.
func (c *Client) DeleteConversation(ctx context.Context, peer string) error {
	return c.do(ctx, http.MethodDelete, "/v1/conversations/"+url.PathEscape(peer), nil, nil)
}
