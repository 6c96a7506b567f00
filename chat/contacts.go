package chat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/parley-im/parley/storage"
)

// Contacts lists contacts (friends and blocked peers), optionally only
// those with label.
func (s *Service) Contacts(label string) ([]storage.ContactInfo, error) {
	var all []storage.ContactInfo
	if err := s.store.View(func(tx *storage.Tx) (err error) { all, err = tx.Contacts(); return }); err != nil {
		return nil, err
	}
	if label == "" {
		return all, nil
	}
	return slices.DeleteFunc(all, func(c storage.ContactInfo) bool { return !c.HasLabel(label) }), nil
}

// ContactUpdate changes a contact; nil fields are left alone.
type ContactUpdate struct {
	RemarkName *string   `json:"remark_name,omitempty"`
	Labels     *[]string `json:"labels,omitempty"`
}

// UpdateContact sets a friend's remark name and labels. Remark names are
// unique among contacts, so that they can name a peer.
func (s *Service) UpdateContact(p peer.ID, u ContactUpdate) (storage.ContactInfo, error) {
	if u.RemarkName != nil {
		if err := checkRemark(*u.RemarkName); err != nil {
			return storage.ContactInfo{}, err
		}
	}
	if u.Labels != nil {
		for _, l := range *u.Labels {
			if l == "" || len(l) > 64 || strings.ContainsAny(l, ",\n\t") {
				return storage.ContactInfo{}, fmt.Errorf("%w: label %q: 1 to 64 bytes, no commas or tabs", ErrInvalid, l)
			}
		}
		if len(*u.Labels) > 32 {
			return storage.ContactInfo{}, fmt.Errorf("%w: at most 32 labels", ErrInvalid)
		}
	}
	var c storage.ContactInfo
	err := s.store.Update(func(tx *storage.Tx) error {
		var err error
		c, err = tx.Contact(p.String())
		if errors.Is(err, storage.ErrNotFound) || (err == nil && !c.Friend) {
			return fmt.Errorf("%w: %s is not a contact", ErrNotFound, p)
		}
		if err != nil {
			return err
		}
		if u.RemarkName != nil && *u.RemarkName != "" {
			all, err := tx.Contacts()
			if err != nil {
				return err
			}
			for _, o := range all {
				if o.UserID != c.UserID && strings.EqualFold(o.RemarkName, *u.RemarkName) {
					return fmt.Errorf("%w: %q already names %s", ErrConflict, *u.RemarkName, o.UserID)
				}
			}
			c.RemarkName = *u.RemarkName
		} else if u.RemarkName != nil {
			c.RemarkName = ""
		}
		if u.Labels != nil {
			c.Labels = slices.Compact(slices.Sorted(slices.Values(*u.Labels)))
		}
		return tx.PutContact(c)
	})
	if err != nil {
		return storage.ContactInfo{}, err
	}
	s.publish(EventContact, ContactEvent{Action: ContactUpdated, Contact: c})
	return c, nil
}

// RemoveContact ends a friendship on both sides: the peer is told (an
// UNFRIEND response through the outbox), and messages still queued for it
// fail ("no longer friends"). A blocked peer stays blocked. Befriending
// again takes a new request that the other user accepts.
func (s *Service) RemoveContact(p peer.ID) error {
	var (
		c      storage.ContactInfo
		failed []ReceiptEvent
	)
	err := s.store.Update(func(tx *storage.Tx) error {
		var err error
		c, err = tx.Contact(p.String())
		if errors.Is(err, storage.ErrNotFound) || (err == nil && !c.Friend) {
			return fmt.Errorf("%w: %s is not a contact", ErrNotFound, p)
		}
		if err != nil {
			return err
		}
		if failed, err = failQueuedMessages(tx, p.String()); err != nil {
			return err
		}
		if err := s.queueUnfriend(tx, p.String()); err != nil {
			return err
		}
		c.Friend = false
		if c.Blocked {
			return tx.PutContact(c)
		}
		return tx.DeleteContact(p.String())
	})
	if err != nil {
		return err
	}
	s.host.ConnManager().Unprotect(p, friendTag)
	s.publish(EventContact, ContactEvent{Action: ContactRemoved, Contact: c})
	for _, ev := range failed {
		s.publish(EventReceipt, ev)
	}
	s.wake(p)
	return nil
}

// Block refuses everything from p and closes its connections: while the
// block lasts, the node's connection gater refuses p both ways (so nothing
// dials it, and it cannot dial in), and what p says it sent meanwhile is
// refused also after the block ends (its outbox would offer it again).
// Friendship is kept, so that Unblock restores it.
func (s *Service) Block(p peer.ID) (storage.ContactInfo, error) {
	if p == s.host.ID() {
		return storage.ContactInfo{}, ErrSelf
	}
	// Refused before the commit, so that no connection slips in between.
	was := s.blocked.has(p)
	s.blocked.set(p, true)
	c, action, err := s.setBlocked(p, true)
	if err != nil {
		s.blocked.set(p, was)
		return c, err
	}
	s.host.ConnManager().Unprotect(p, friendTag)
	s.cutOff(p)
	s.publish(EventContact, ContactEvent{Action: action, Contact: c})
	return c, nil
}

// Unblock lifts a block: connections are allowed again and what is queued
// for p goes out.
func (s *Service) Unblock(p peer.ID) (storage.ContactInfo, error) {
	c, action, err := s.setBlocked(p, false)
	if err != nil {
		return c, err
	}
	s.blocked.set(p, false)
	s.publish(EventContact, ContactEvent{Action: action, Contact: c})
	// Both sides' outboxes may hold items that waited for the block to end.
	if p, ok := s.friendAddrs(c); ok && s.track() {
		go func() {
			defer s.wg.Done()
			s.dialFriend(p)
		}()
	}
	s.poke(p)
	return c, nil
}

func (s *Service) setBlocked(p peer.ID, blocked bool) (storage.ContactInfo, string, error) {
	var (
		c      storage.ContactInfo
		action string
	)
	err := s.store.Update(func(tx *storage.Tx) error {
		var err error
		action = ContactUpdated
		c, err = tx.Contact(p.String())
		if errors.Is(err, storage.ErrNotFound) {
			if !blocked {
				return fmt.Errorf("%w: %s is not blocked", ErrNotFound, p)
			}
			action = ContactAdded
			c = storage.ContactInfo{UserID: p.String(), AddedAt: time.Now().UTC()}
		} else if err != nil {
			return err
		}
		if err := recordBlockWindow(tx, p.String(), c.Blocked, blocked); err != nil {
			return err
		}
		c.Blocked = blocked
		if !c.Blocked && !c.Friend {
			action = ContactRemoved
			return tx.DeleteContact(p.String())
		}
		return tx.PutContact(c)
	})
	return c, action, err
}

// recordBlockWindow opens a block window when a block starts and closes it
// when the block ends.
func recordBlockWindow(tx *storage.Tx, peerID string, was, blocked bool) error {
	now := time.Now().UTC()
	switch {
	case blocked && !was:
		return tx.PutBlockWindow(peerID, storage.BlockWindow{From: now})
	case !blocked && was:
		w, err := tx.BlockWindow(peerID)
		if err != nil {
			return err
		}
		if w.From.IsZero() {
			w.From = time.Unix(1, 0).UTC() // blocked before windows were recorded: all of it
		}
		w.Until = now
		return tx.PutBlockWindow(peerID, w)
	}
	return nil
}

// rememberAddrs stores where a friend was reached, for redialing after a
// restart.
func (s *Service) rememberAddrs(p peer.ID) {
	var addrs []string
	for _, c := range s.host.Network().ConnsToPeer(p) {
		// An inbound connection's remote address is an ephemeral port;
		// identify's listen addresses in the peerstore cover that side.
		if st := c.Stat(); !st.Limited && st.Direction == network.DirOutbound {
			addrs = append(addrs, c.RemoteMultiaddr().String())
		}
	}
	for _, a := range s.host.Peerstore().Addrs(p) {
		addrs = append(addrs, a.String())
	}
	if len(addrs) == 0 {
		return
	}
	slices.Sort(addrs)
	addrs = slices.Compact(addrs)
	if len(addrs) > 16 {
		addrs = addrs[:16]
	}
	// Most peers are not friends, or their addresses are stored already;
	// a read settles that without queueing behind the writer, so that the
	// event loop calling this (which identify waits on) stays quick.
	var stale bool
	err := s.store.View(func(tx *storage.Tx) error {
		c, err := tx.Contact(p.String())
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		stale = err == nil && c.Friend && !slices.Equal(c.Addrs, addrs)
		return err
	})
	if err != nil || !stale {
		if err != nil {
			s.log.Warn("remember friend addresses", "peer", p, "err", err)
		}
		return
	}
	err = s.store.Update(func(tx *storage.Tx) error {
		c, err := tx.Contact(p.String())
		if errors.Is(err, storage.ErrNotFound) || (err == nil && (!c.Friend || slices.Equal(c.Addrs, addrs))) {
			return nil
		}
		if err != nil {
			return err
		}
		c.Addrs = addrs
		return tx.PutContact(c)
	})
	if err != nil {
		s.log.Warn("remember friend addresses", "peer", p, "err", err)
	}
}

// dialFriends connects to every friend at its remembered addresses, a few
// at a time, so that both sides' outboxes flow after a restart.
func (s *Service) dialFriends() {
	friends, err := s.Contacts("")
	if err != nil {
		s.log.Error("dial friends: list contacts", "err", err)
		return
	}
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for _, c := range friends {
		p, ok := s.friendAddrs(c)
		if !ok {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-s.ctx.Done():
			wg.Wait()
			return
		}
		wg.Go(func() {
			defer func() { <-sem }()
			s.dialFriend(p)
		})
	}
	wg.Wait()
}

// friendAddrs protects a friend's connections and puts its remembered
// addresses in the peerstore; it reports whether there is one to dial.
func (s *Service) friendAddrs(c storage.ContactInfo) (peer.ID, bool) {
	if !c.Friend || c.Blocked {
		return "", false
	}
	p, err := peer.Decode(c.UserID)
	if err != nil {
		return "", false
	}
	s.host.ConnManager().Protect(p, friendTag)
	var addrs []ma.Multiaddr
	for _, a := range c.Addrs {
		if m, err := ma.NewMultiaddr(a); err == nil {
			addrs = append(addrs, m)
		}
	}
	if len(addrs) == 0 {
		return "", false
	}
	s.host.Peerstore().AddAddrs(p, addrs, peerstore.RecentlyConnectedAddrTTL)
	return p, true
}

// dialFriend connects to p, within the dial timeout.
func (s *Service) dialFriend(p peer.ID) {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.DialTimeout)
	defer cancel()
	if err := s.host.Connect(ctx, peer.AddrInfo{ID: p}); err != nil {
		s.log.Debug("dial friend", "peer", p, "err", err)
	}
}

// Contact returns the contact record of p, or ErrNotFound.
func (s *Service) Contact(p peer.ID) (storage.ContactInfo, error) {
	var c storage.ContactInfo
	err := s.store.View(func(tx *storage.Tx) (err error) { c, err = tx.Contact(p.String()); return })
	if errors.Is(err, storage.ErrNotFound) {
		return c, fmt.Errorf("%w: %s is not a contact", ErrNotFound, p)
	}
	return c, err
}
