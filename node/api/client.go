package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"syscall"

	"github.com/parley-im/parley/node"
)

// ErrNoDaemon means no daemon runs for the home: it has no api file, no
// process holds its lock (the file outlived a daemon killed with -9), or
// nothing answers at the address in it.
var ErrNoDaemon = errors.New("no parley daemon is running")

// Client talks to a daemon's API. It is what the CLI and the tests use.
type Client struct {
	base  string
	token string
	home  string // for messages; empty when made by NewClient
	http  *http.Client
}

// NewClient returns a client for the API at addr (host:port) with token.
func NewClient(addr, token string) *Client {
	return &Client{
		base:  "http://" + addr,
		token: token,
		http:  &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4}},
	}
}

// ClientForHome finds the running daemon of a home through its api file,
// which it trusts only while a daemon holds the home's lock.
func ClientForHome(home node.Home) (*Client, error) {
	addr, err := home.ReadAPIAddr()
	if errors.Is(err, os.ErrNotExist) {
		return nil, noDaemon(home)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", home.APIPath(), err)
	}
	locked, err := home.Locked()
	if err != nil {
		return nil, fmt.Errorf("check for a running daemon: %w", err)
	}
	if !locked {
		// A daemon killed with -9 leaves its api file; whatever listens at
		// that address now is not this home's daemon.
		return nil, noDaemon(home)
	}
	tok, err := home.ReadToken()
	if err != nil {
		return nil, err
	}
	c := NewClient(addr, tok)
	c.home = home.Dir
	return c, nil
}

func noDaemon(home node.Home) error {
	return fmt.Errorf("%w for %s; start one with: parley --home %s daemon", ErrNoDaemon, home.Dir, home.Dir)
}

// Addr returns the host:port the client talks to.
func (c *Client) Addr() string { return c.base[len("http://"):] }

// do sends a request with an optional JSON body and decodes the envelope's
// data into out (when out is not nil).
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	if body == nil {
		return c.send(ctx, method, path, "", nil, out)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode request: %w", err)
	}
	return c.send(ctx, method, path, "application/json", b, out)
}

// send sends a request with a body of contentType (none when body is nil)
// and decodes the envelope's data into out (when out is not nil).
func (c *Client) send(ctx context.Context, method, path, contentType string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
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

// transportError turns "connection refused" into ErrNoDaemon: the api
// file is left over from a daemon that died.
func (c *Client) transportError(err error) error {
	if errors.Is(err, syscall.ECONNREFUSED) {
		if c.home != "" {
			return noDaemon(node.Home{Dir: c.home})
		}
		return fmt.Errorf("%w at %s", ErrNoDaemon, c.Addr())
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return fmt.Errorf("api %s: %w", c.Addr(), uerr.Err)
	}
	return err
}

// Node returns the daemon's node description.
func (c *Client) Node(ctx context.Context) (node.Info, error) {
	var info node.Info
	err := c.do(ctx, http.MethodGet, "/v1/node", nil, &info)
	return info, err
}

// Peers lists the connected peers.
func (c *Client) Peers(ctx context.Context) ([]node.PeerInfo, error) {
	var peers []node.PeerInfo
	err := c.do(ctx, http.MethodGet, "/v1/peers", nil, &peers)
	return peers, err
}

// Connect dials a peer by a multiaddr ending in /p2p/<id>.
func (c *Client) Connect(ctx context.Context, addr string) (node.PeerInfo, error) {
	var pi node.PeerInfo
	err := c.do(ctx, http.MethodPost, "/v1/peers", ConnectRequest{Addr: addr}, &pi)
	return pi, err
}

// Disconnect closes the connections to a peer.
func (c *Client) Disconnect(ctx context.Context, peerID string) error {
	return c.do(ctx, http.MethodDelete, "/v1/peers/"+url.PathEscape(peerID), nil, nil)
}
