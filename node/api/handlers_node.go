package api

import (
	"net/http"
)

func (s *Server) getNode(w http.ResponseWriter, r *http.Request) {
	s.ok(w, s.node.Info())
}

func (s *Server) getPeers(w http.ResponseWriter, r *http.Request) {
	s.ok(w, nonNil(s.node.Peers()))
}

// ConnectRequest is the body of POST /v1/peers.
type ConnectRequest struct {
	// Addr is a multiaddr ending in /p2p/<peer id>.
	Addr string `json:"addr"`
}

func (s *Server) postPeers(w http.ResponseWriter, r *http.Request) {
	var req ConnectRequest
	if err := decodeBody(r, &req); err != nil {
		s.fail(w, err)
		return
	}
	if req.Addr == "" {
		s.fail(w, errorf(http.StatusBadRequest, CodeBadRequest, `"addr" is required: a multiaddr ending in /p2p/<peer id>`))
		return
	}
	pi, err := s.node.Connect(r.Context(), req.Addr)
	if err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, pi)
}

func (s *Server) deletePeer(w http.ResponseWriter, r *http.Request) {
	p, err := s.node.Chat().ResolvePeer(r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	if err := s.node.Disconnect(p.String()); err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, nil)
}

// nonNil makes empty lists encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
