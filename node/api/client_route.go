package api

import (
	"context"
	"net/http"
	"net/url"

	"github.com/parley-im/parley/node"
)

// Route says how the node reaches a peer and how it last found it.
func (c *Client) Route(ctx context.Context, peer string) (node.Route, error) {
	var out node.Route
	err := c.do(ctx, http.MethodGet, "/v1/peers/"+url.PathEscape(peer)+"/route", nil, &out)
	return out, err
}
