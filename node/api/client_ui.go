package api

import (
	"context"
	"net/http"
)

// UILink asks the daemon for a one-time sign-in link to its page.
func (c *Client) UILink(ctx context.Context) (UILink, error) {
	var out UILink
	err := c.do(ctx, http.MethodPost, "/v1/ui/links", nil, &out)
	return out, err
}

// RevokeUISessions ends every page session and voids unused links.
func (c *Client) RevokeUISessions(ctx context.Context) (RevokeResult, error) {
	var out RevokeResult
	err := c.do(ctx, http.MethodDelete, "/v1/ui/sessions", nil, &out)
	return out, err
}
