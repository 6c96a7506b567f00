package api

import (
	"fmt"
	"net/http"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/storage"
)

// peerParam resolves the {peer} path value: a peer ID, a remark name, a
// contact's unique nickname or a unique peer ID prefix (chat.ResolvePeer).
func (s *Server) peerParam(r *http.Request) (peer.ID, error) {
	return s.node.Chat().ResolvePeer(r.PathValue("peer"))
}

func (s *Server) getContacts(w http.ResponseWriter, r *http.Request) {
	// Each contact comes with its cached profile and presence.
	contacts, err := s.node.Chat().ContactViews(r.URL.Query().Get("label"))
	if err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, nonNil(contacts))
}

func (s *Server) getContact(w http.ResponseWriter, r *http.Request) {
	p, err := s.peerParam(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	c, err := s.node.Chat().ContactView(p)
	if err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, c)
}

func (s *Server) patchContact(w http.ResponseWriter, r *http.Request) {
	p, err := s.peerParam(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	var u chat.ContactUpdate
	if err := decodeBody(r, &u); err != nil {
		s.fail(w, err)
		return
	}
	c, err := s.node.Chat().UpdateContact(p, u)
	if err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, c)
}

func (s *Server) deleteContact(w http.ResponseWriter, r *http.Request) {
	p, err := s.peerParam(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	if err := s.node.Chat().RemoveContact(p); err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, nil)
}

func (s *Server) putBlock(w http.ResponseWriter, r *http.Request) {
	p, err := s.peerParam(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	c, err := s.node.Chat().Block(p)
	if err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, c)
}

func (s *Server) deleteBlock(w http.ResponseWriter, r *http.Request) {
	p, err := s.peerParam(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	c, err := s.node.Chat().Unblock(p)
	if err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, c)
}

// FriendRequestBody is the body of POST /v1/friend-requests.
type FriendRequestBody struct {
	// Peer is the peer ID to befriend.
	Peer    string `json:"peer"`
	Message string `json:"message,omitempty"`
}

func (s *Server) getRequests(w http.ResponseWriter, r *http.Request) {
	status := storage.RequestStatus(r.URL.Query().Get("status"))
	dir := r.URL.Query().Get("direction")
	if dir != "" && dir != "in" && dir != "out" {
		s.fail(w, errorf(http.StatusBadRequest, CodeBadRequest, `direction must be "in" or "out"`))
		return
	}
	all, err := s.node.Chat().Requests()
	if err != nil {
		s.fail(w, err)
		return
	}
	out := []storage.FriendRequest{}
	for _, req := range all {
		if status != "" && req.Status != status {
			continue
		}
		if (dir == "in" && req.Outgoing) || (dir == "out" && !req.Outgoing) {
			continue
		}
		out = append(out, req)
	}
	s.ok(w, out)
}

func (s *Server) postRequest(w http.ResponseWriter, r *http.Request) {
	var body FriendRequestBody
	if err := decodeBody(r, &body); err != nil {
		s.fail(w, err)
		return
	}
	p, err := s.node.Chat().ResolvePeer(body.Peer)
	if err != nil {
		s.fail(w, err)
		return
	}
	req, err := s.node.Chat().AddFriend(p, body.Message)
	if err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, req)
}

func (s *Server) postRequestAction(w http.ResponseWriter, r *http.Request) {
	c := s.node.Chat()
	actions := map[string]func(string) (storage.FriendRequest, error){
		"accept": c.AcceptRequest,
		"reject": c.RejectRequest,
		"cancel": c.CancelRequest,
	}
	act, ok := actions[r.PathValue("action")]
	if !ok {
		s.fail(w, errorf(http.StatusNotFound, CodeNotFound, fmt.Sprintf("no action %q on a friend request: use accept, reject or cancel", r.PathValue("action"))))
		return
	}
	id, err := c.ResolveRequest(r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	req, err := act(id)
	if err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, req)
}
