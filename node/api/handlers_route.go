package api

import "net/http"

func (s *Server) getPeerRoute(w http.ResponseWriter, r *http.Request) {
	rt, err := s.node.Route(r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, rt)
}
