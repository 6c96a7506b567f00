package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/parley-im/parley/chat"
)

// SendBody is the body of POST /v1/messages.
type SendBody struct {
	// To is a peer ID or a contact's remark name.
	To      string `json:"to"`
	Content string `json:"content"`
}

// maxSendBody fits a message of chat.MaxContentSize even when every byte
// is JSON-escaped, so that an oversized message gets 413 from the content
// check, with its reason, rather than a cut body.
const maxSendBody = 6*chat.MaxContentSize + 4096

func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) {
	var body SendBody
	if err := decodeBody(r, &body); err != nil {
		s.fail(w, err)
		return
	}
	p, err := s.node.Chat().ResolvePeer(body.To)
	if err != nil {
		s.fail(w, err)
		return
	}
	m, err := s.node.Chat().Send(p, body.Content)
	if err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, m)
}

func (s *Server) getConversations(w http.ResponseWriter, r *http.Request) {
	convs, err := s.node.Chat().Conversations()
	if err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, nonNil(convs))
}

// maxPage bounds ?limit= of history pages.
const maxPage = 500

func (s *Server) getHistory(w http.ResponseWriter, r *http.Request) {
	p, err := s.peerParam(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	limit, err := pageLimit(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	page, err := s.node.Chat().History(p, r.URL.Query().Get("before"), limit)
	if err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, page)
}

// pageLimit reads ?limit= of a history page: 1 to maxPage, default 50.
func pageLimit(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxPage {
		return 0, errorf(http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("limit must be 1 to %d", maxPage))
	}
	return n, nil
}

// ReadResult is the data of POST /v1/conversations/{peer}/read.
type ReadResult struct {
	Marked int `json:"marked"`
}

func (s *Server) postRead(w http.ResponseWriter, r *http.Request) {
	p, err := s.peerParam(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	n, err := s.node.Chat().MarkRead(p)
	if err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, ReadResult{Marked: n})
}

func (s *Server) deleteConversation(w http.ResponseWriter, r *http.Request) {
	p, err := s.peerParam(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	if err := s.node.Chat().DeleteConversation(p); err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, nil)
}
