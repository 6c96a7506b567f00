package chat

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"

	"github.com/parley-im/parley/identity"
	"github.com/parley-im/parley/storage"
)

// MyPresence is the owner's presence: what they chose and what the node
// last signed for others to see.
type MyPresence struct {
	// Status is the status the owner chose (invisible included); online
	// until they choose one.
	Status identity.PresenceStatus `json:"status"`
	// Note is the owner's note.
	Note string `json:"note,omitempty"`
	// UpdatedAt is when the owner last changed the status.
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	// Published is the last record the node signed: what others see (an
	// invisible owner shows as offline), its seq and expiry. Nil before
	// the first.
	Published *identity.Presence `json:"published,omitempty"`
}

// SetPresence sets the owner's status (online, away, busy, invisible or
// offline) and note, and publishes them at once: pushed to the connected
// friends and put in the DHT. Invisible and offline are published as
// offline while the node keeps working; invisible hides the note.
func (s *Service) SetPresence(status identity.PresenceStatus, note string) (MyPresence, error) {
	if !status.Valid() {
		return MyPresence{}, fmt.Errorf("%w: status %q: want online, away, busy, invisible or offline", ErrInvalid, status)
	}
	if err := checkNote(note); err != nil {
		return MyPresence{}, err
	}
	if _, err := s.store.SetOwnPresence(string(status), note); err != nil {
		return MyPresence{}, err
	}
	s.records.mu.Lock()
	s.records.presenceDirty = true
	s.records.mu.Unlock()
	if s.cfg.Key != nil {
		// Sign now, so that the answer shows what others will see, and
		// push at once; the loop puts it in the DHT.
		rec, fresh, err := s.presenceRecord(time.Now())
		if err != nil {
			return MyPresence{}, err
		}
		if fresh {
			s.pushPresenceToFriends(rec)
		}
		kickRecord(s.records.presence)
	}
	return s.myPresence()
}

// checkNote applies the rules of a presence note: those of the signed
// record, checked by signing a trial record with a throwaway key.
func checkNote(note string) error {
	key, err := noteCheckKey()
	if err != nil {
		return fmt.Errorf("check note: %w", err)
	}
	now := time.Now()
	_, err = identity.SignPresence(key, identity.Presence{
		Status: identity.Online, Note: note, Seq: 1, UpdatedAt: now, ExpiresAt: now.Add(time.Minute),
	})
	if err != nil {
		return fmt.Errorf("%w: note refused (at most %d characters, no control characters): %v", ErrInvalid, identity.MaxPresenceNoteLength, err)
	}
	return nil
}

var noteCheckKey = sync.OnceValues(func() (crypto.PrivKey, error) {
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	return key, err
})

// myPresence reports the owner's presence.
func (s *Service) myPresence() (MyPresence, error) {
	own, err := s.store.OwnPresence()
	if err != nil {
		return MyPresence{}, err
	}
	m := MyPresence{Status: chosenStatus(own), Note: own.Note, UpdatedAt: own.UpdatedAt}
	s.records.mu.Lock()
	if s.records.presenceRec != nil {
		pub := s.records.presenceInfo
		m.Published = &pub
	}
	s.records.mu.Unlock()
	return m, nil
}

// chosenStatus is the owner's status, online when never set.
func chosenStatus(own storage.OwnPresence) identity.PresenceStatus {
	st := identity.PresenceStatus(own.Status)
	if !st.Valid() {
		return identity.Online
	}
	return st
}

// presenceRecord returns the presence record to publish: the last one, or
// a new one when the owner changed their status, the last one is past half
// its life, or the node is going offline. fresh reports a new record.
func (s *Service) presenceRecord(now time.Time) (rec []byte, fresh bool, err error) {
	r := s.records
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.presenceRec != nil && !r.presenceDirty && now.Before(r.presenceInfo.UpdatedAt.Add(s.cfg.PresenceTTL/2)) {
		return r.presenceRec, false, nil
	}
	own, err := s.store.OwnPresence()
	if err != nil {
		return nil, false, err
	}
	p := identity.Presence{
		UserID:    s.host.ID(),
		Status:    chosenStatus(own),
		Note:      own.Note,
		UpdatedAt: now.UTC(),
		ExpiresAt: now.Add(s.cfg.PresenceTTL).UTC(),
	}
	if r.offline && p.Status != identity.Offline {
		p.Status, p.Note = identity.Offline, ""
	}
	if p.Status == identity.Invisible {
		p.Status, p.Note = identity.Offline, "" // as SignPresence publishes it
	}
	if p.Seq, err = s.store.NextPresenceSeq(); err != nil {
		return nil, false, err
	}
	rec, err = identity.SignPresence(s.cfg.Key, p)
	if err != nil {
		return nil, false, err
	}
	r.presenceRec, r.presenceInfo, r.presenceDirty = rec, p, false
	return rec, true, nil
}

// offlineDialTimeout bounds each dial of the DHT put at shutdown.
const offlineDialTimeout = 500 * time.Millisecond

// PublishOffline announces that the node goes away: it signs an offline
// record, pushes it to the connected friends and puts it in the DHT, all
// within ctx, and from then on publishes only offline. The node calls it
// on a graceful shutdown, before Close; a node that dies instead shows as
// offline once its last record expires.
func (s *Service) PublishOffline(ctx context.Context) error {
	if s.cfg.Key == nil {
		return nil
	}
	s.records.mu.Lock()
	s.records.offline, s.records.presenceDirty = true, true
	s.records.mu.Unlock()
	rec, _, err := s.presenceRecord(time.Now())
	if err != nil {
		return fmt.Errorf("publish offline: %w", err)
	}
	var wg sync.WaitGroup
	for _, p := range s.connectedFriends() {
		wg.Go(func() { s.pushPresenceCtx(ctx, p, rec) })
	}
	var putErr error
	if s.cfg.Routing != nil {
		// A peer that cannot be dialed at once is skipped: peers that
		// left before us would otherwise hold up the shutdown for the
		// whole timeout (a dial to a closed QUIC port fails only after
		// its handshake timeout).
		dctx := network.WithDialPeerTimeout(ctx, offlineDialTimeout)
		putErr = s.putRecord(dctx, identity.PresenceKey(s.host.ID()), rec)
	}
	wg.Wait()
	if putErr != nil {
		return fmt.Errorf("publish offline: %w", putErr)
	}
	return nil
}
