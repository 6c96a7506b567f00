package chat

import (
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"

	"github.com/parley-im/parley/identity"
	"github.com/parley-im/parley/storage"
)

// Me is the owner's own profile and presence, as the node publishes them.
type Me struct {
	// UserInfo is the profile; Nickname is empty until the owner sets one,
	// and no profile is published before that.
	identity.UserInfo
	Presence  MyPresence   `json:"presence"`
	Published PublishState `json:"published"`
}

// Me returns the owner's profile, presence and publishing state.
func (s *Service) Me() (Me, error) {
	sp, err := s.store.OwnProfile()
	if err != nil {
		return Me{}, err
	}
	pres, err := s.myPresence()
	if err != nil {
		return Me{}, err
	}
	s.records.mu.Lock()
	state := s.records.state
	s.records.mu.Unlock()
	return Me{UserInfo: s.userInfo(sp), Presence: pres, Published: state}, nil
}

// SetNickname changes the owner's nickname and publishes the profile. A
// bad nickname is an error wrapping identity.ErrInvalidNickname that says
// what to fix.
func (s *Service) SetNickname(nickname string) (Me, error) {
	if err := identity.ValidateNickname(nickname); err != nil {
		return Me{}, err
	}
	return s.updateProfile(func(p *storage.Profile) { p.Nickname = nickname })
}

// SetAvatar makes an uploaded image the owner's avatar: it is checked,
// stripped of metadata, downscaled until it fits identity.MaxAvatarSize
// (see PrepareAvatar), stored and published. contentType is what the
// uploader declared.
func (s *Service) SetAvatar(data []byte, contentType string) (Me, error) {
	img, typ, err := PrepareAvatar(data, contentType)
	if err != nil {
		return Me{}, err
	}
	return s.updateProfile(func(p *storage.Profile) { p.Avatar, p.AvatarType = img, typ })
}

// RemoveAvatar removes the owner's avatar and publishes the profile.
func (s *Service) RemoveAvatar() (Me, error) {
	return s.updateProfile(func(p *storage.Profile) { p.Avatar, p.AvatarType = nil, "" })
}

// updateProfile applies change to the stored profile, makes sure the
// result signs, and has it published.
func (s *Service) updateProfile(change func(*storage.Profile)) (Me, error) {
	_, err := s.store.UpdateOwnProfile(func(p *storage.Profile) error {
		next := *p
		change(&next)
		if next.Nickname != "" {
			// The record must sign before anything is written: a profile
			// that cannot be published is refused whole.
			u := s.userInfo(next)
			u.Seq, u.UpdatedAt = max(p.Seq+1, 1), time.Now()
			if _, err := identity.SignProfile(s.signingKey(), u); err != nil {
				return fmt.Errorf("%w: %v", ErrInvalid, err)
			}
		}
		*p = next
		return nil
	})
	if err != nil {
		return Me{}, err
	}
	kickRecord(s.records.profile)
	return s.Me()
}

// userInfo turns the stored profile into the public one.
func (s *Service) userInfo(p storage.Profile) identity.UserInfo {
	return identity.UserInfo{
		UserID:     s.host.ID(),
		Nickname:   p.Nickname,
		Avatar:     p.Avatar,
		AvatarType: p.AvatarType,
		Seq:        p.Seq,
		UpdatedAt:  p.UpdatedAt,
	}
}

// signingKey is the key records are signed with; without one (a service
// started without a key), a throwaway key still lets updateProfile check
// that a profile signs.
func (s *Service) signingKey() crypto.PrivKey {
	if s.cfg.Key != nil {
		return s.cfg.Key
	}
	key, _ := noteCheckKey()
	return key
}

// profileRecord signs the owner's profile; nil when no nickname is set.
func (s *Service) profileRecord() ([]byte, identity.UserInfo, error) {
	sp, err := s.store.OwnProfile()
	if err != nil {
		return nil, identity.UserInfo{}, err
	}
	if sp.Nickname == "" {
		return nil, identity.UserInfo{}, nil
	}
	u := s.userInfo(sp)
	rec, err := identity.SignProfile(s.cfg.Key, u)
	if err != nil {
		return nil, identity.UserInfo{}, err
	}
	return rec, u, nil
}

// selfView is Whois of the owner: the stored profile and the chosen
// presence, with source "local".
func (s *Service) selfView() (UserView, error) {
	me, err := s.Me()
	if err != nil {
		return UserView{}, err
	}
	now := time.Now()
	v := UserView{UserID: s.host.ID()}
	if me.Nickname != "" {
		v.Profile = &ProfileView{UserInfo: me.UserInfo, Source: SourceLocal, FetchedAt: now}
	}
	v.Presence = PresenceView{Presence: identity.Presence{
		UserID: s.host.ID(), Status: me.Presence.Status, Note: me.Presence.Note, UpdatedAt: me.Presence.UpdatedAt,
	}, Source: SourceLocal, FetchedAt: now}
	if pub := me.Presence.Published; pub != nil {
		v.Presence.Seq, v.Presence.UpdatedAt, v.Presence.ExpiresAt = pub.Seq, pub.UpdatedAt, pub.ExpiresAt
	}
	return v, nil
}
