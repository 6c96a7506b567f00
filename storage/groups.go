package storage

import (
	"encoding/binary"
	"fmt"
	"slices"
	"time"
)

// GroupRole is a member's role in a group.
type GroupRole string

// Group roles.
const (
	RoleOwner  GroupRole = "owner"
	RoleAdmin  GroupRole = "admin"
	RoleMember GroupRole = "member"
)

// GroupStatus is this node's standing in a group.
type GroupStatus string

// Group statuses.
const (
	GroupActive  GroupStatus = "active"  // a member
	GroupInvited GroupStatus = "invited" // invited, not yet accepted
	GroupLeft    GroupStatus = "left"    // left; history kept
	GroupRemoved GroupStatus = "removed" // removed by an admin; history kept
)

// GroupInfo describes a group.
type GroupInfo struct {
	GroupID     string    `json:"group_id"`
	GroupName   string    `json:"group_name"`
	OwnerUserID string    `json:"owner_user_id"`
	CreatedAt   time.Time `json:"created_at"`
	Epoch       uint64    `json:"epoch"`
	Version     uint64    `json:"version"`
	Topic       string    `json:"topic"`
}

// GroupMember is one member of a group.
type GroupMember struct {
	UserID    string    `json:"user_id"`
	GroupID   string    `json:"group_id"`
	Role      GroupRole `json:"role"`
	JoinTime  time.Time `json:"join_time"`
	JoinEpoch uint64    `json:"join_epoch"`
}

// Group is what this node keeps about a group: its info and members as of
// the latest signed state (State, opaque to storage), and its own status.
type Group struct {
	Info      GroupInfo     `json:"info"`
	Members   []GroupMember `json:"members"`
	Status    GroupStatus   `json:"status"`
	InvitedBy string        `json:"invited_by,omitempty"`
	State     []byte        `json:"state"`
}

// Member returns the member entry of user, if any.
func (g Group) Member(user string) (GroupMember, bool) {
	i := slices.IndexFunc(g.Members, func(m GroupMember) bool { return m.UserID == user })
	if i < 0 {
		return GroupMember{}, false
	}
	return g.Members[i], true
}

const (
	prefixGroup      = "g/"
	prefixGroupKey   = "gk/"
	prefixGroupState = "gs/"
	// prefixPendingKey holds keys that came with a state the node cannot
	// judge yet (it skips versions): gq/<group>/<version:8><state hash>.
	prefixPendingKey = "gq/"
	prefixProof      = "mp/"
)

func groupKey(id string) []byte { return join([]byte(prefixGroup), []byte(id)) }

func groupEpochKey(id string, epoch uint64) []byte {
	return join([]byte(prefixGroupKey), []byte(id), []byte("/"), be64(epoch))
}

func pendingKeyPrefix(id string) []byte {
	return join([]byte(prefixPendingKey), []byte(id), []byte("/"))
}

func groupStatePrefix(id string) []byte {
	return join([]byte(prefixGroupState), []byte(id), []byte("/"))
}

func proofKey(conv, id string) []byte {
	return join([]byte(prefixProof), []byte(conv), []byte("/"), []byte(id))
}

// Group returns the group with id, or ErrNotFound.
func (tx *Tx) Group(id string) (Group, error) {
	var g Group
	if err := getJSON(tx.txn, groupKey(id), &g); err != nil {
		return Group{}, err
	}
	return g, nil
}

// PutGroup stores g under its ID.
func (tx *Tx) PutGroup(g Group) error {
	if g.Info.GroupID == "" {
		return fmt.Errorf("put group: empty id")
	}
	return setJSON(tx.txn, groupKey(g.Info.GroupID), g)
}

// Groups lists every group this node knows, in ID order.
func (tx *Tx) Groups() ([]Group, error) {
	var out []Group
	err := scanJSON(tx, []byte(prefixGroup), func(g Group) (bool, error) {
		out = append(out, g)
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	return out, nil
}

// PutGroupKey stores the key of an epoch.
func (tx *Tx) PutGroupKey(id string, epoch uint64, key []byte) error {
	if err := tx.txn.Set(groupEpochKey(id, epoch), slices.Clone(key)); err != nil {
		return fmt.Errorf("store key of group %s epoch %d: %w", id, epoch, err)
	}
	return nil
}

// GroupKey returns the key of an epoch, or ErrNotFound.
func (tx *Tx) GroupKey(id string, epoch uint64) ([]byte, error) {
	item, err := tx.txn.Get(groupEpochKey(id, epoch))
	if isNotFound(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("key of group %s epoch %d: %w", id, epoch, err)
	}
	return item.ValueCopy(nil)
}

// PutPendingGroupKey keeps the key that came with the state of version
// and hash stateHash, until the chain reaches that state.
func (tx *Tx) PutPendingGroupKey(id string, version uint64, stateHash string, key []byte) error {
	if err := tx.txn.Set(join(pendingKeyPrefix(id), be64(version), []byte(stateHash)), slices.Clone(key)); err != nil {
		return fmt.Errorf("store pending key of group %s: %w", id, err)
	}
	return nil
}

// PendingGroupKey returns the key kept for the state of version and
// stateHash, or ErrNotFound.
func (tx *Tx) PendingGroupKey(id string, version uint64, stateHash string) ([]byte, error) {
	item, err := tx.txn.Get(join(pendingKeyPrefix(id), be64(version), []byte(stateHash)))
	if isNotFound(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("pending key of group %s: %w", id, err)
	}
	return item.ValueCopy(nil)
}

// PendingGroupKeys counts the pending keys of a group.
func (tx *Tx) PendingGroupKeys(id string) (int, error) {
	n := 0
	err := tx.scan(pendingKeyPrefix(id), nil, false, func(_, _ []byte) (bool, error) {
		n++
		return true, nil
	})
	if err != nil {
		return 0, fmt.Errorf("pending keys of group %s: %w", id, err)
	}
	return n, nil
}

// DropPendingGroupKeys deletes the pending keys of states below version:
// the chain is past them, so they can never be used.
func (tx *Tx) DropPendingGroupKeys(id string, below uint64) error {
	prefix := pendingKeyPrefix(id)
	var keys [][]byte
	err := tx.scan(prefix, nil, false, func(k, _ []byte) (bool, error) {
		if len(k) < len(prefix)+8 || binary.BigEndian.Uint64(k[len(prefix):]) >= below {
			return false, nil
		}
		keys = append(keys, slices.Clone(k))
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("pending keys of group %s: %w", id, err)
	}
	for _, k := range keys {
		if err := tx.txn.Delete(k); err != nil {
			return fmt.Errorf("drop pending key of group %s: %w", id, err)
		}
	}
	return nil
}

// PutGroupState appends a signed state to the group's chain.
func (tx *Tx) PutGroupState(id string, version uint64, signed []byte) error {
	if err := tx.txn.Set(join(groupStatePrefix(id), be64(version)), slices.Clone(signed)); err != nil {
		return fmt.Errorf("store state %d of group %s: %w", version, id, err)
	}
	return nil
}

// GroupStatesAfter returns the signed states with a version above after,
// oldest first, at most limit.
func (tx *Tx) GroupStatesAfter(id string, after uint64, limit int) ([][]byte, error) {
	prefix := groupStatePrefix(id)
	var out [][]byte
	err := tx.scan(prefix, join(prefix, be64(after+1)), false, func(_, v []byte) (bool, error) {
		out = append(out, slices.Clone(v))
		return len(out) < limit, nil
	})
	if err != nil {
		return nil, fmt.Errorf("states of group %s: %w", id, err)
	}
	return out, nil
}

// DeleteGroup forgets a group: its record, keys, pending keys and state chain. Its
// messages are a conversation, deleted with DB.DeleteConversation.
func (tx *Tx) DeleteGroup(id string) error {
	for _, prefix := range [][]byte{join([]byte(prefixGroupKey), []byte(id), []byte("/")), groupStatePrefix(id), pendingKeyPrefix(id)} {
		var keys [][]byte
		if err := tx.scan(prefix, nil, false, func(k, _ []byte) (bool, error) {
			keys = append(keys, slices.Clone(k))
			return true, nil
		}); err != nil {
			return err
		}
		for _, k := range keys {
			if err := tx.txn.Delete(k); err != nil {
				return fmt.Errorf("delete group %s: %w", id, err)
			}
		}
	}
	if err := tx.txn.Delete(groupKey(id)); err != nil {
		return fmt.Errorf("delete group %s: %w", id, err)
	}
	return nil
}

// PutProof stores the signed form of a message, which history sync hands
// to other members so that they can check its author.
func (tx *Tx) PutProof(conv, id string, signed []byte) error {
	if err := tx.txn.Set(proofKey(conv, id), slices.Clone(signed)); err != nil {
		return fmt.Errorf("store proof of %s: %w", id, err)
	}
	return nil
}

// Proof returns the signed form of a message, or ErrNotFound.
func (tx *Tx) Proof(conv, id string) ([]byte, error) {
	item, err := tx.txn.Get(proofKey(conv, id))
	if isNotFound(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("proof of %s: %w", id, err)
	}
	return item.ValueCopy(nil)
}

// MessagesAfter returns up to limit messages of conv that sort after the
// (sentAt, id) position, oldest first: the pages of history sync.
func (tx *Tx) MessagesAfter(conv string, sentAt time.Time, id string, limit int) ([]Message, error) {
	prefix := messagePrefix(conv)
	var start []byte
	if !sentAt.IsZero() {
		start = join(prefix, be64(uint64(sentAt.UnixNano())), []byte(id))
	}
	var out []Message
	err := tx.scanMessages(prefix, start, false, func(k []byte, m Message) (bool, error) {
		if start != nil && string(k) == string(start) {
			return true, nil
		}
		out = append(out, m)
		return len(out) < limit, nil
	})
	if err != nil {
		return nil, fmt.Errorf("messages of %s: %w", conv, err)
	}
	return out, nil
}

// Newest returns the newest message of conv, or ErrNotFound.
func (tx *Tx) Newest(conv string) (Message, error) {
	page, _, err := tx.History(conv, "", 1)
	if err != nil {
		return Message{}, err
	}
	if len(page) == 0 {
		return Message{}, ErrNotFound
	}
	return page[0], nil
}
