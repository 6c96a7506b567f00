package api

import (
	"context"
	"net/http"
	"net/url"

	"github.com/parley-im/parley/chat"
)

// Profile returns the owner's profile, presence and publishing state.
func (c *Client) Profile(ctx context.Context) (chat.Me, error) {
	var out chat.Me
	err := c.do(ctx, http.MethodGet, "/v1/profile", nil, &out)
	return out, err
}

// SetNickname changes the owner's nickname.
func (c *Client) SetNickname(ctx context.Context, nickname string) (chat.Me, error) {
	var out chat.Me
	err := c.do(ctx, http.MethodPut, "/v1/profile", ProfileBody{Nickname: &nickname}, &out)
	return out, err
}

// SetAvatar uploads an image as the owner's avatar; contentType is the
// image's MIME type (the daemon checks the content itself).
func (c *Client) SetAvatar(ctx context.Context, image []byte, contentType string) (chat.Me, error) {
	var out chat.Me
	err := c.send(ctx, http.MethodPut, "/v1/profile/avatar", contentType, image, &out)
	return out, err
}

// RemoveAvatar removes the owner's avatar.
func (c *Client) RemoveAvatar(ctx context.Context) (chat.Me, error) {
	var out chat.Me
	err := c.do(ctx, http.MethodDelete, "/v1/profile/avatar", nil, &out)
	return out, err
}

// SetPresence sets the owner's status (online, away, busy, invisible,
// offline) and note.
func (c *Client) SetPresence(ctx context.Context, status, note string) (chat.MyPresence, error) {
	var out chat.MyPresence
	err := c.do(ctx, http.MethodPut, "/v1/presence", PresenceBody{Status: status, Note: note}, &out)
	return out, err
}

// Whois looks a user up by peer ID or remark name.
func (c *Client) Whois(ctx context.Context, peer string, opts chat.WhoisOptions) (chat.UserView, error) {
	q := url.Values{}
	if opts.Refresh {
		q.Set("refresh", "true")
	}
	if opts.CacheOnly {
		q.Set("cached", "true")
	}
	path := "/v1/users/" + url.PathEscape(peer)
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out chat.UserView
	err := c.do(ctx, http.MethodGet, path, nil, &out)
	return out, err
}

// ContactViews lists contacts with their cached profile and presence
// (the same route as Contacts, read in full).
func (c *Client) ContactViews(ctx context.Context, label string) ([]chat.ContactView, error) {
	path := "/v1/contacts"
	if label != "" {
		path += "?label=" + url.QueryEscape(label)
	}
	var out []chat.ContactView
	err := c.do(ctx, http.MethodGet, path, nil, &out)
	return out, err
}
