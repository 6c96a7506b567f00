package api

import (
	"context"
	"net/http"
	"net/url"

	"github.com/parley-im/parley/node"
)

// BootstrapPeers lists the running node's bootstrap peers.
func (c *Client) BootstrapPeers(ctx context.Context) ([]node.BootstrapStatus, error) {
	var out []node.BootstrapStatus
	err := c.do(ctx, http.MethodGet, "/v1/bootstrap", nil, &out)
	return out, err
}

// AddBootstrap adds bootstrap peers (multiaddrs with /p2p/) to the
// running node, which dials them at once.
func (c *Client) AddBootstrap(ctx context.Context, addrs ...string) ([]node.BootstrapStatus, error) {
	var out []node.BootstrapStatus
	err := c.do(ctx, http.MethodPost, "/v1/bootstrap", BootstrapRequest{Addrs: addrs}, &out)
	return out, err
}

// RemoveBootstrap stops the running node from keeping a connection to a
// bootstrap peer.
func (c *Client) RemoveBootstrap(ctx context.Context, peerID string) error {
	return c.do(ctx, http.MethodDelete, "/v1/bootstrap/"+url.PathEscape(peerID), nil, nil)
}
