package api

import (
	"io"
	"net/http"
	"strconv"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/identity"
)

// maxAvatarBody caps an avatar upload; a larger body is a 413.
const maxAvatarBody = chat.MaxAvatarUpload

// ProfileBody is the body of PUT /v1/profile.
type ProfileBody struct {
	// Nickname is the new nickname: 1 to 64 characters, no control
	// characters, no leading or trailing space.
	Nickname *string `json:"nickname"`
}

// PresenceBody is the body of PUT /v1/presence.
type PresenceBody struct {
	// Status is online, away, busy, invisible or offline.
	Status string `json:"status"`
	// Note is an optional short text of at most 256 characters.
	Note string `json:"note,omitempty"`
}

// getProfile answers with the owner's chat.Me.
func (s *Server) getProfile(w http.ResponseWriter, r *http.Request) {
	me, err := s.node.Chat().Me()
	if err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, me)
}

func (s *Server) putProfile(w http.ResponseWriter, r *http.Request) {
	var body ProfileBody
	if err := decodeBody(r, &body); err != nil {
		s.fail(w, err)
		return
	}
	if body.Nickname == nil {
		s.fail(w, errorf(http.StatusBadRequest, CodeBadRequest, `"nickname" is required`))
		return
	}
	me, err := s.node.Chat().SetNickname(*body.Nickname)
	if err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, me)
}

// putAvatar takes the raw image as the body, with its Content-Type.
func (s *Server) putAvatar(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		s.fail(w, err) // a *http.MaxBytesError becomes a 413
		return
	}
	me, err := s.node.Chat().SetAvatar(data, r.Header.Get("Content-Type"))
	if err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, me)
}

func (s *Server) deleteAvatar(w http.ResponseWriter, r *http.Request) {
	me, err := s.node.Chat().RemoveAvatar()
	if err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, me)
}

func (s *Server) putPresence(w http.ResponseWriter, r *http.Request) {
	var body PresenceBody
	if err := decodeBody(r, &body); err != nil {
		s.fail(w, err)
		return
	}
	if body.Status == "" {
		s.fail(w, errorf(http.StatusBadRequest, CodeBadRequest, `"status" is required: online, away, busy, invisible or offline`))
		return
	}
	p, err := s.node.Chat().SetPresence(identity.PresenceStatus(body.Status), body.Note)
	if err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, p)
}

// getUser answers with a chat.UserView of {peer} (a peer ID or a remark
// name). ?refresh=true asks the DHT even when the cache is fresh;
// ?cached=true answers from the cache alone.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	p, err := s.peerParam(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	var opts chat.WhoisOptions
	for name, dst := range map[string]*bool{"refresh": &opts.Refresh, "cached": &opts.CacheOnly} {
		if v := r.URL.Query().Get(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				s.fail(w, errorf(http.StatusBadRequest, CodeBadRequest, name+" must be true or false"))
				return
			}
			*dst = b
		}
	}
	v, err := s.node.Chat().Whois(r.Context(), p, opts)
	if err != nil {
		s.fail(w, err)
		return
	}
	s.ok(w, v)
}
