package api

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/storage"
)

func groupPath(group string) string { return "/v1/groups/" + url.PathEscape(group) }

// Groups lists the node's groups.
func (c *Client) Groups(ctx context.Context) ([]chat.GroupView, error) {
	var out []chat.GroupView
	err := c.do(ctx, http.MethodGet, "/v1/groups", nil, &out)
	return out, err
}

// CreateGroup creates a group and invites members (peer IDs or remark
// names).
func (c *Client) CreateGroup(ctx context.Context, name string, members []string) (chat.GroupView, error) {
	var out chat.GroupView
	err := c.do(ctx, http.MethodPost, "/v1/groups", CreateGroupBody{Name: name, Members: members}, &out)
	return out, err
}

// Group returns a group by ID or unique name.
func (c *Client) Group(ctx context.Context, group string) (chat.GroupView, error) {
	var out chat.GroupView
	err := c.do(ctx, http.MethodGet, groupPath(group), nil, &out)
	return out, err
}

// RenameGroup renames a group.
func (c *Client) RenameGroup(ctx context.Context, group, name string) (chat.GroupView, error) {
	var out chat.GroupView
	err := c.do(ctx, http.MethodPatch, groupPath(group), RenameGroupBody{Name: name}, &out)
	return out, err
}

// DeleteGroup forgets a group this node left.
func (c *Client) DeleteGroup(ctx context.Context, group string) error {
	return c.do(ctx, http.MethodDelete, groupPath(group), nil, nil)
}

// LeaveGroup leaves a group.
func (c *Client) LeaveGroup(ctx context.Context, group string) (chat.GroupView, error) {
	var out chat.GroupView
	err := c.do(ctx, http.MethodPost, groupPath(group)+"/leave", nil, &out)
	return out, err
}

// InviteToGroup invites a friend.
func (c *Client) InviteToGroup(ctx context.Context, group, peer string) (chat.GroupView, error) {
	var out chat.GroupView
	err := c.do(ctx, http.MethodPost, groupPath(group)+"/members", GroupMemberBody{Peer: peer}, &out)
	return out, err
}

// KickFromGroup removes a member.
func (c *Client) KickFromGroup(ctx context.Context, group, peer string) (chat.GroupView, error) {
	var out chat.GroupView
	err := c.do(ctx, http.MethodDelete, groupPath(group)+"/members/"+url.PathEscape(peer), nil, &out)
	return out, err
}

// SetGroupAdmin promotes (admin true) or demotes a member.
func (c *Client) SetGroupAdmin(ctx context.Context, group, peer string, admin bool) (chat.GroupView, error) {
	method := http.MethodPut
	if !admin {
		method = http.MethodDelete
	}
	var out chat.GroupView
	err := c.do(ctx, method, groupPath(group)+"/admins/"+url.PathEscape(peer), nil, &out)
	return out, err
}

// SendGroup writes to a group.
func (c *Client) SendGroup(ctx context.Context, group, content string) (storage.Message, error) {
	var out storage.Message
	err := c.do(ctx, http.MethodPost, groupPath(group)+"/messages", GroupMessageBody{Content: content}, &out)
	return out, err
}

// GroupHistory returns a page of a group's messages, newest first.
func (c *Client) GroupHistory(ctx context.Context, group, before string, limit int) (chat.HistoryPage, error) {
	q := url.Values{}
	if before != "" {
		q.Set("before", before)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	path := groupPath(group) + "/messages"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out chat.HistoryPage
	err := c.do(ctx, http.MethodGet, path, nil, &out)
	return out, err
}

// GroupInvites lists pending group invitations.
func (c *Client) GroupInvites(ctx context.Context) ([]chat.GroupView, error) {
	var out []chat.GroupView
	err := c.do(ctx, http.MethodGet, "/v1/group-invites", nil, &out)
	return out, err
}

// AnswerGroupInvite accepts or declines (action "accept" or "decline").
func (c *Client) AnswerGroupInvite(ctx context.Context, group, action string) (chat.GroupView, error) {
	var out chat.GroupView
	err := c.do(ctx, http.MethodPost, "/v1/group-invites/"+url.PathEscape(group)+"/"+url.PathEscape(action), nil, &out)
	return out, err
}

// MarkGroupRead marks a group's conversation read and returns how many
// messages were unread.
func (c *Client) MarkGroupRead(ctx context.Context, group string) (int, error) {
	var out ReadResult
	err := c.do(ctx, http.MethodPost, groupPath(group)+"/read", nil, &out)
	return out.Marked, err
}

// GroupNotices returns a group's changes signed from from to to (a zero
// time leaves that side open), oldest first.
func (c *Client) GroupNotices(ctx context.Context, group string, from, to time.Time) ([]chat.GroupNotice, error) {
	q := url.Values{}
	if !from.IsZero() {
		q.Set("from", from.UTC().Format(time.RFC3339Nano))
	}
	if !to.IsZero() {
		q.Set("to", to.UTC().Format(time.RFC3339Nano))
	}
	path := groupPath(group) + "/notices"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out []chat.GroupNotice
	err := c.do(ctx, http.MethodGet, path, nil, &out)
	return out, err
}
