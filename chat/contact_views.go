package chat

import (
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/storage"
)

// ContactViews lists contacts (optionally only those with label) with the
// profile and presence cached for each, without any network lookup.
func (s *Service) ContactViews(label string) ([]ContactView, error) {
	contacts, err := s.Contacts(label)
	if err != nil {
		return nil, err
	}
	out := make([]ContactView, 0, len(contacts))
	err = s.store.View(func(tx *storage.Tx) error {
		for _, c := range contacts {
			v, err := contactView(tx, c, time.Now())
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("contact views: %w", err)
	}
	return out, nil
}

// ContactView returns the contact p with its cached profile and presence,
// or ErrNotFound.
func (s *Service) ContactView(p peer.ID) (ContactView, error) {
	c, err := s.Contact(p)
	if err != nil {
		return ContactView{}, err
	}
	var v ContactView
	err = s.store.View(func(tx *storage.Tx) (err error) { v, err = contactView(tx, c, time.Now()); return })
	return v, err
}

// contactView adds the cached records to a contact.
func contactView(tx *storage.Tx, c storage.ContactInfo, now time.Time) (ContactView, error) {
	v := ContactView{ContactInfo: c}
	p, err := peer.Decode(c.UserID)
	if err != nil {
		return v, nil // not a peer ID: nothing cached under it
	}
	prof, err := openCachedProfile(tx, p)
	if err != nil {
		return v, err
	}
	pres, err := openCachedPresence(tx, p)
	if err != nil {
		return v, err
	}
	v.Profile = prof.view("", now)
	v.Presence = pres.view(p, "", now)
	return v, nil
}
