package api

import (
	"net/http"
)

// BootstrapRequest is the body of POST /v1/bootstrap: one address or
// several (all addresses of a peer belong in one request, so that its
// first dial can choose among them).
type BootstrapRequest struct {
	// Addr is a multiaddr ending in /p2p/<peer id>.
	Addr string `json:"addr,omitempty"`
	// Addrs are more such multiaddrs.
	Addrs []string `json:"addrs,omitempty"`
}

// getBootstrap lists the running node's bootstrap peers and whether each
// is connected.
func (s *Server) getBootstrap(w http.ResponseWriter, r *http.Request) {
	s.ok(w, s.node.BootstrapPeers())
}

// postBootstrap adds bootstrap peers to the running node, which dials them
// at once, and answers with their status. config.toml is not changed
// (parley bootstrap add does both).
func (s *Server) postBootstrap(w http.ResponseWriter, r *http.Request) {
	var req BootstrapRequest
	if err := decodeBody(r, &req); err != nil {
		s.fail(w, err)
		return
	}
	addrs := req.Addrs
	if req.Addr != "" {
		addrs = append([]string{req.Addr}, addrs...)
	}
	if len(addrs) == 0 {
		s.fail(w, errorf(http.StatusBadRequest, CodeBadRequest, `"addr" or "addrs" is required: multiaddrs ending in /p2p/<peer id>`))
		return
	}
	st, err := s.node.AddBootstrap(addrs...)
	if err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, st)
}

// deleteBootstrap stops the running node from keeping a connection to a
// bootstrap peer, named by peer ID.
func (s *Server) deleteBootstrap(w http.ResponseWriter, r *http.Request) {
	if err := s.node.RemoveBootstrap(r.PathValue("peer")); err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, nil)
}
