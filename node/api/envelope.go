package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// ServerResponse is the envelope of every API response.
type ServerResponse struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

// MaxBodySize is the default cap on a request body. Routes that take
// uploads set their own.
const MaxBodySize = 256 << 10

func (s *Server) writeJSON(w http.ResponseWriter, status int, v ServerResponse) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		// The status line is gone; the client sees a cut body.
		s.log.Debug("api: write response", "err", err)
	}
}

func (s *Server) ok(w http.ResponseWriter, data any) {
	s.writeJSON(w, http.StatusOK, ServerResponse{Code: CodeOK, Message: "ok", Data: data})
}

func (s *Server) fail(w http.ResponseWriter, err error) {
	e := classify(err)
	if e.Code == CodeInternal {
		s.log.Error("api: internal error", "err", err)
	}
	s.writeJSON(w, e.Status, ServerResponse{Code: e.Code, Message: e.Message})
}

// decodeBody reads a JSON request body into v: unknown fields, trailing
// data and bodies over the route's limit are errors.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return err
		}
		if errors.Is(err, io.EOF) {
			return errorf(http.StatusBadRequest, CodeBadRequest, "request body is empty; send a JSON object")
		}
		return errorf(http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("request body: %v", err))
	}
	if dec.More() {
		return errorf(http.StatusBadRequest, CodeBadRequest, "request body: unexpected data after the JSON object")
	}
	return nil
}
