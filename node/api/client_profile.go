package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
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
	err := c.doRaw(ctx, http.MethodPut, "/v1/profile/avatar", contentType, image, &out)
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

// doRaw is do with a raw body of contentType instead of JSON.
func (c *Client) doRaw(ctx context.Context, method, path, contentType string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return c.transportError(err)
	}
	defer resp.Body.Close()
	var env struct {
		Code    Code            `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&env); err != nil {
		return fmt.Errorf("%s %s: bad response (HTTP %d): %w", method, path, resp.StatusCode, err)
	}
	if env.Code != CodeOK || resp.StatusCode >= 300 {
		return &Error{Status: resp.StatusCode, Code: env.Code, Message: env.Message}
	}
	if out != nil && len(env.Data) > 0 {
		if err := json.Unmarshal(env.Data, out); err != nil {
			return fmt.Errorf("%s %s: decode data: %w", method, path, err)
		}
	}
	return nil
}
