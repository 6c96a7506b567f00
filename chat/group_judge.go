package chat

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/proto"

	"github.com/parley-im/parley/chat/pb"
	"github.com/parley-im/parley/storage"
)

// Every state, key and invite that arrives for a group this node holds is
// judged against the chain it holds, never against the state the frame
// carries: that state is only as good as its place in the chain.

// errRefusedState marks a state the held chain refuses: a forgery, a
// change its signer may not make, or a rival it loses to.
var errRefusedState = errors.New("state refused by the held chain")

// maxPendingKeys bounds the keys a group keeps for states it has not
// reached yet.
const maxPendingKeys = 16

// stateVerdict is what the held chain says of a signed state.
type stateVerdict int

const (
	// stateOld: older than the held state and not in the held chain (or
	// below its start): nothing to do.
	stateOld stateVerdict = iota + 1
	// stateHeld: this very state is in the held chain.
	stateHeld
	// stateNext: a valid successor of the held state, or a valid rival of
	// it that wins the tie: to be stored.
	stateNext
	// stateAhead: it skips versions the node has not seen; only the chain
	// in between (history sync) can tell whether it is valid.
	stateAhead
)

// judgeState decides a signed state against the chain tx holds for the
// group g. A refusal wraps errRefusedState; other errors are storage's.
func judgeState(tx *storage.Tx, g storage.Group, ss *pb.SignedState, st *pb.GroupState, signer peer.ID) (stateVerdict, error) {
	curSS, cur, err := decodeStored(g.State)
	if err != nil {
		return 0, err
	}
	if !bytes.Equal(st.GetGroupId(), cur.GetGroupId()) {
		return 0, fmt.Errorf("%w: state of another group", errRefusedState)
	}
	gid, version := g.Info.GroupID, st.GetVersion()
	switch {
	case version < cur.GetVersion():
		held, _, err := storedStateAt(tx, gid, version)
		if errors.Is(err, ErrNotFound) {
			return stateOld, nil
		}
		if err != nil {
			return 0, err
		}
		if stateHash(held) == stateHash(ss) {
			return stateHeld, nil
		}
		return stateOld, nil
	case version == cur.GetVersion():
		if stateHash(ss) == stateHash(curSS) {
			return stateHeld, nil
		}
		return judgeRival(tx, gid, signedBy{curSS, cur, ""}, signedBy{ss, st, signer})
	case version == cur.GetVersion()+1:
		if err := checkTransition(cur, st, signer); err != nil {
			return 0, fmt.Errorf("%w: %w", errRefusedState, err)
		}
		return stateNext, nil
	}
	if err := checkState(st); err != nil {
		return 0, fmt.Errorf("%w: %w", errRefusedState, err)
	}
	return stateAhead, nil
}

// judgeRival decides a rival of the held state held, of the same version
// (the order of rivalWins, against the held state before them both): the
// loser is stateOld, a winner that is a valid change of that state
// stateNext.
func judgeRival(tx *storage.Tx, gid string, held, rival signedBy) (stateVerdict, error) {
	version := rival.st.GetVersion()
	prev, err := stateAt(tx, gid, version-1)
	if errors.Is(err, ErrNotFound) {
		if stateHash(rival.ss) > stateHash(held.ss) {
			return stateOld, nil
		}
		return 0, fmt.Errorf("%w: a rival of version %d, with no state before it to judge it by", errRefusedState, version)
	}
	if err != nil {
		return 0, err
	}
	if _, held.signer, err = openState(held.ss); err != nil {
		return 0, fmt.Errorf("held group state: %w", err)
	}
	if !rivalWins(prev, held, rival) {
		return stateOld, nil // the loser of a tie
	}
	if err := checkTransition(prev, rival.st, rival.signer); err != nil {
		return 0, fmt.Errorf("%w: %w", errRefusedState, err)
	}
	return stateNext, nil
}

// storeState stores a state judged stateNext as the group's current one
// and returns the new record. A key that waited for this state is taken
// into the chain now.
func storeState(tx *storage.Tx, g storage.Group, ss *pb.SignedState, st *pb.GroupState, self peer.ID) (storage.Group, error) {
	signed, err := proto.Marshal(ss)
	if err != nil {
		return storage.Group{}, fmt.Errorf("encode group state: %w", err)
	}
	status := g.Status
	if memberIndex(st, self) < 0 && (status == storage.GroupActive || status == storage.GroupInvited) {
		status = storage.GroupRemoved
	}
	rec := groupRecord(st, signed, status, g.InvitedBy)
	gid := rec.Info.GroupID
	if err := tx.PutGroup(rec); err != nil {
		return storage.Group{}, err
	}
	if err := tx.PutGroupState(gid, st.GetVersion(), signed); err != nil {
		return storage.Group{}, err
	}
	key, err := tx.PendingGroupKey(gid, st.GetVersion(), stateHash(ss))
	switch {
	case err == nil:
		if _, err := keepEpochKey(tx, gid, st, key); err != nil {
			return storage.Group{}, err
		}
	case !errors.Is(err, storage.ErrNotFound):
		return storage.Group{}, err
	}
	return rec, tx.DropPendingGroupKeys(gid, st.GetVersion())
}

// keepEpochKey stores key as the key of st's epoch, st being a state of
// the held chain whose signer sent the key. It is kept when the node has
// no key for that epoch yet, or when st is the state that started the
// epoch (its signer made the key; a rival that won a tie replaces the
// loser's). It reports whether the key was stored.
func keepEpochKey(tx *storage.Tx, gid string, st *pb.GroupState, key []byte) (bool, error) {
	epoch := st.GetEpoch()
	old, err := tx.GroupKey(gid, epoch)
	switch {
	case errors.Is(err, storage.ErrNotFound):
	case err != nil:
		return false, err
	case bytes.Equal(old, key):
		return false, nil
	default:
		prev, err := stateAt(tx, gid, st.GetVersion()-1)
		if errors.Is(err, ErrNotFound) {
			return false, nil // the chain starts here: whether it started the epoch is unknown
		}
		if err != nil {
			return false, err
		}
		if prev.GetEpoch() >= epoch {
			return false, nil
		}
	}
	return true, tx.PutGroupKey(gid, epoch, key)
}

// keepPendingKey keeps the key that came with a state ahead of the held
// chain, until the chain reaches that very state. Only an admin of the
// held state can leave one, and a group keeps a few at most.
func keepPendingKey(tx *storage.Tx, g storage.Group, ss *pb.SignedState, st *pb.GroupState, signer peer.ID, key []byte) error {
	_, cur, err := decodeStored(g.State)
	if err != nil {
		return err
	}
	if !isAdmin(cur, signer) {
		return fmt.Errorf("%w: a key ahead of the chain from %s, who is no admin of the held state", errRefusedState, signer)
	}
	n, err := tx.PendingGroupKeys(g.Info.GroupID)
	if err != nil {
		return err
	}
	if n >= maxPendingKeys {
		return fmt.Errorf("%w: %d keys already wait for their states", errRefusedState, n)
	}
	return tx.PutPendingGroupKey(g.Info.GroupID, st.GetVersion(), stateHash(ss), key)
}

// storedStateAt returns the signed state of a version from the stored
// chain, and its decoding, or ErrNotFound.
func storedStateAt(tx *storage.Tx, gid string, version uint64) (*pb.SignedState, *pb.GroupState, error) {
	if version == 0 {
		return nil, nil, fmt.Errorf("%w: state 0 of group %s", ErrNotFound, gid)
	}
	chain, err := tx.GroupStatesAfter(gid, version-1, 1)
	if err != nil {
		return nil, nil, err
	}
	if len(chain) == 0 {
		return nil, nil, fmt.Errorf("%w: state %d of group %s", ErrNotFound, version, gid)
	}
	ss, st, err := decodeStored(chain[0])
	if err != nil {
		return nil, nil, err
	}
	if st.GetVersion() != version {
		return nil, nil, fmt.Errorf("%w: state %d of group %s", ErrNotFound, version, gid)
	}
	return ss, st, nil
}
