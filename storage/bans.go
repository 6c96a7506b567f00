package storage

import (
	"fmt"
	"strings"
	"time"
)

// prefixBan keys the bans of peers that broke the protocol.
const prefixBan = "bn/"

func banKey(peer string) []byte { return join([]byte(prefixBan), []byte(peer)) }

// Ban is a peer cut off for breaking the protocol, until Until. It is kept
// so that a ban outlasts a restart of the node.
type Ban struct {
	Peer  string    `json:"peer"`
	Until time.Time `json:"until"`
}

// PutBan stores (or extends, or shortens) the ban of b.Peer.
func (tx *Tx) PutBan(b Ban) error {
	if b.Peer == "" || strings.Contains(b.Peer, "/") {
		return fmt.Errorf("put ban: bad peer %q", b.Peer)
	}
	if err := setJSON(tx.txn, banKey(b.Peer), b); err != nil {
		return fmt.Errorf("ban of %s: %w", b.Peer, err)
	}
	return nil
}

// Bans returns every stored ban, expired ones included, in peer order.
func (tx *Tx) Bans() ([]Ban, error) {
	var out []Ban
	err := scanJSON(tx, []byte(prefixBan), func(b Ban) (bool, error) {
		out = append(out, b)
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read bans: %w", err)
	}
	return out, nil
}

// DeleteBan removes peer's ban; removing a ban that is not there is no
// error.
func (tx *Tx) DeleteBan(peer string) error {
	if err := tx.txn.Delete(banKey(peer)); err != nil {
		return fmt.Errorf("delete ban of %s: %w", peer, err)
	}
	return nil
}
