package api

import "net/http"

func (s *Server) postGroupRead(w http.ResponseWriter, r *http.Request) {
	if !s.resolveGroupParam(w, r) {
		return
	}
	n, err := s.node.Chat().MarkGroupRead(r.PathValue("group"))
	if err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, ReadResult{Marked: n})
}
