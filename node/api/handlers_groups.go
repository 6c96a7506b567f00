package api

import (
	"net/http"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/chat"
)

// CreateGroupBody is the body of POST /v1/groups.
type CreateGroupBody struct {
	Name string `json:"name"`
	// Members are friends to invite, by peer ID or remark name.
	Members []string `json:"members,omitempty"`
}

// RenameGroupBody is the body of PATCH /v1/groups/{group}.
type RenameGroupBody struct {
	Name string `json:"name"`
}

// GroupMemberBody is the body of POST /v1/groups/{group}/members.
type GroupMemberBody struct {
	// Peer is a friend's peer ID or remark name.
	Peer string `json:"peer"`
}

// GroupMessageBody is the body of POST /v1/groups/{group}/messages.
type GroupMessageBody struct {
	Content string `json:"content"`
}

// resolveGroupParam replaces the {group} path value, a group ID, a
// unique prefix of one or a unique name, by the group's ID; on failure it
// answers with the error and returns false.
func (s *Server) resolveGroupParam(w http.ResponseWriter, r *http.Request) bool {
	id, err := s.node.Chat().ResolveGroup(r.PathValue("group"))
	if err != nil {
		s.fail(w, err)
		return false
	}
	r.SetPathValue("group", id)
	return true
}

// groupResult answers with a group or the error.
func (s *Server) groupResult(w http.ResponseWriter, g chat.GroupView, err error) {
	if err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, g)
}

func (s *Server) getGroups(w http.ResponseWriter, r *http.Request) {
	gs, err := s.node.Chat().Groups()
	if err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, nonNil(gs))
}

func (s *Server) postGroup(w http.ResponseWriter, r *http.Request) {
	var body CreateGroupBody
	if err := decodeBody(r, &body); err != nil {
		s.fail(w, err)
		return
	}
	members := make([]peer.ID, 0, len(body.Members))
	for _, m := range body.Members {
		p, err := s.node.Chat().ResolvePeer(m)
		if err != nil {
			s.fail(w, err)
			return
		}
		members = append(members, p)
	}
	if err := s.node.Chat().CheckGroupNameFree(body.Name, ""); err != nil {
		s.fail(w, err)
		return
	}
	g, err := s.node.Chat().CreateGroup(body.Name, members)
	s.groupResult(w, g, err)
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request) {
	if !s.resolveGroupParam(w, r) {
		return
	}
	g, err := s.node.Chat().Group(r.PathValue("group"))
	s.groupResult(w, g, err)
}

func (s *Server) getGroupMembers(w http.ResponseWriter, r *http.Request) {
	if !s.resolveGroupParam(w, r) {
		return
	}
	g, err := s.node.Chat().Group(r.PathValue("group"))
	if err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, nonNil(g.Members))
}

func (s *Server) patchGroup(w http.ResponseWriter, r *http.Request) {
	if !s.resolveGroupParam(w, r) {
		return
	}
	var body RenameGroupBody
	if err := decodeBody(r, &body); err != nil {
		s.fail(w, err)
		return
	}
	if err := s.node.Chat().CheckGroupNameFree(body.Name, r.PathValue("group")); err != nil {
		s.fail(w, err)
		return
	}
	g, err := s.node.Chat().RenameGroup(r.PathValue("group"), body.Name)
	s.groupResult(w, g, err)
}

func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request) {
	if !s.resolveGroupParam(w, r) {
		return
	}
	if err := s.node.Chat().DeleteGroup(r.PathValue("group")); err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, nil)
}

func (s *Server) postGroupLeave(w http.ResponseWriter, r *http.Request) {
	if !s.resolveGroupParam(w, r) {
		return
	}
	g, err := s.node.Chat().LeaveGroup(r.PathValue("group"))
	s.groupResult(w, g, err)
}

func (s *Server) postGroupMember(w http.ResponseWriter, r *http.Request) {
	if !s.resolveGroupParam(w, r) {
		return
	}
	var body GroupMemberBody
	if err := decodeBody(r, &body); err != nil {
		s.fail(w, err)
		return
	}
	p, err := s.node.Chat().ResolvePeer(body.Peer)
	if err != nil {
		s.fail(w, err)
		return
	}
	g, err := s.node.Chat().InviteToGroup(r.PathValue("group"), p)
	s.groupResult(w, g, err)
}

func (s *Server) deleteGroupMember(w http.ResponseWriter, r *http.Request) {
	if !s.resolveGroupParam(w, r) {
		return
	}
	p, err := s.peerParam(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	g, err := s.node.Chat().KickFromGroup(r.PathValue("group"), p)
	s.groupResult(w, g, err)
}

func (s *Server) putGroupAdmin(w http.ResponseWriter, r *http.Request) { s.setGroupAdmin(w, r, true) }
func (s *Server) deleteGroupAdmin(w http.ResponseWriter, r *http.Request) {
	s.setGroupAdmin(w, r, false)
}

func (s *Server) setGroupAdmin(w http.ResponseWriter, r *http.Request, admin bool) {
	if !s.resolveGroupParam(w, r) {
		return
	}
	p, err := s.peerParam(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	g, err := s.node.Chat().SetGroupRole(r.PathValue("group"), p, admin)
	s.groupResult(w, g, err)
}

func (s *Server) postGroupMessage(w http.ResponseWriter, r *http.Request) {
	if !s.resolveGroupParam(w, r) {
		return
	}
	var body GroupMessageBody
	if err := decodeBody(r, &body); err != nil {
		s.fail(w, err)
		return
	}
	m, err := s.node.Chat().SendGroup(r.PathValue("group"), body.Content)
	if err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, m)
}

func (s *Server) getGroupMessages(w http.ResponseWriter, r *http.Request) {
	if !s.resolveGroupParam(w, r) {
		return
	}
	limit, err := pageLimit(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	page, err := s.node.Chat().GroupHistory(r.PathValue("group"), r.URL.Query().Get("before"), limit)
	if err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, page)
}

func (s *Server) getGroupInvites(w http.ResponseWriter, r *http.Request) {
	gs, err := s.node.Chat().GroupInvites()
	if err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, nonNil(gs))
}

func (s *Server) postGroupInviteAction(w http.ResponseWriter, r *http.Request) {
	c := s.node.Chat()
	actions := map[string]func(string) (chat.GroupView, error){
		"accept":  c.AcceptInvite,
		"decline": c.DeclineInvite,
	}
	act, ok := actions[r.PathValue("action")]
	if !ok {
		s.fail(w, errorf(http.StatusNotFound, CodeNotFound, `no action "`+r.PathValue("action")+`" on a group invitation: use accept or decline`))
		return
	}
	if !s.resolveGroupParam(w, r) {
		return
	}
	g, err := act(r.PathValue("group"))
	s.groupResult(w, g, err)
}

// getGroupNotices answers with the group's changes signed within
// ?from&to (RFC 3339 times; either may be left out), oldest first.
func (s *Server) getGroupNotices(w http.ResponseWriter, r *http.Request) {
	if !s.resolveGroupParam(w, r) {
		return
	}
	from, err := timeParam(r, "from")
	if err != nil {
		s.fail(w, err)
		return
	}
	to, err := timeParam(r, "to")
	if err != nil {
		s.fail(w, err)
		return
	}
	ns, err := s.node.Chat().GroupNotices(r.PathValue("group"), from, to)
	if err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, nonNil(ns))
}

// timeParam reads an optional RFC 3339 time from the query; absent is
// the zero time.
func timeParam(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, errorf(http.StatusBadRequest, CodeBadRequest, name+" must be an RFC 3339 time")
	}
	return t, nil
}
