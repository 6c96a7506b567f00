package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/node"
	"github.com/parley-im/parley/storage"
)

// fillTx is how many messages one storage transaction of a fill adds:
// many, as a restore or a sync would, well within Badger's limit on a
// transaction's size.
const fillTx = 500

// filledHome is an initialized home (local profile) whose database holds
// count messages of one conversation with a friend. history fills it step
// by step; burst starts a daemon on it.
type filledHome struct {
	home   node.Home
	self   string // the home's own peer ID
	friend string // the conversation: a friend's peer ID
	count  int
	next   time.Time // sent time of the next message
	fill   time.Duration
}

// newFilledHome initializes a home and stores a friend in it.
func (e *env) newFilledHome(prefix string) (*filledHome, error) {
	dir, err := e.tempDir(prefix)
	if err != nil {
		return nil, err
	}
	home := node.Home{Dir: dir}
	res, err := node.Init(home, node.ProfileLocal, nil)
	if err != nil {
		return nil, fmt.Errorf("init %s: %w", dir, err)
	}
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		return nil, err
	}
	id, err := peer.IDFromPrivateKey(key)
	if err != nil {
		return nil, err
	}
	f := &filledHome{home: home, self: res.PeerID, friend: id.String(), next: time.Now().Add(-24 * time.Hour)}
	db, err := storage.Open(home.DBPath(), storage.Options{GCInterval: -1})
	if err != nil {
		return nil, err
	}
	err = db.Update(func(tx *storage.Tx) error {
		return tx.PutContact(storage.ContactInfo{UserID: f.friend, Friend: true, AddedAt: f.next})
	})
	return f, errors.Join(err, db.Close())
}

// fillTo adds messages until the conversation holds n, half of them
// sent and half received, in transactions of fillTx messages, and returns
// how long the writes took (opening and closing the database excluded).
func (f *filledHome) fillTo(n int, progress func(done int)) (time.Duration, error) {
	if n <= f.count {
		return 0, nil
	}
	db, err := storage.Open(f.home.DBPath(), storage.Options{GCInterval: -1})
	if err != nil {
		return 0, err
	}
	self := f.self
	t0 := time.Now()
	for f.count < n {
		k := min(fillTx, n-f.count)
		first, start := f.count, f.next
		err := db.Update(func(tx *storage.Tx) error {
			at := start
			for i := range k {
				seq := first + i
				at = at.Add(time.Millisecond)
				m := storage.Message{
					ID: randomID(), ConversationID: f.friend, Type: storage.TypeText,
					Content: text(seq, dmSize), SentAt: at, Status: storage.StatusRead,
				}
				if seq%2 == 0 {
					m.Sender, m.Recipient, m.Outgoing = self, f.friend, true
				} else {
					m.Sender, m.Recipient, m.ReceivedAt = f.friend, self, at
				}
				if _, err := tx.AddMessage(m); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return 0, errors.Join(fmt.Errorf("fill: %w", err), db.Close())
		}
		f.count += k
		f.next = start.Add(time.Duration(k) * time.Millisecond)
		if progress != nil && f.count%(100*fillTx) == 0 {
			progress(f.count)
		}
	}
	took := time.Since(t0)
	f.fill += took
	if err := db.Close(); err != nil {
		return 0, err
	}
	return took, nil
}

// millionHome returns a home holding 1M messages, filled once per run
// and shared by the scenarios that need one (history fills it itself on
// its way to 1M and leaves it here).
func (e *env) millionHome(progress func(done int)) (*filledHome, error) {
	e.mu.Lock()
	f := e.million
	e.mu.Unlock()
	if f != nil {
		return f, nil
	}
	f, err := e.newFilledHome("million")
	if err != nil {
		return nil, err
	}
	if _, err := f.fillTo(1_000_000, progress); err != nil {
		return nil, err
	}
	e.keepMillion(f)
	return f, nil
}

func (e *env) keepMillion(f *filledHome) {
	e.mu.Lock()
	e.million = f
	e.mu.Unlock()
}
