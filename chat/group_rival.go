package chat

import (
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/chat/pb"
)

// A rival is a second state of the version a node holds: two admins (or
// the owner and an admin) changed the group at the same moment, each from
// the same state before. Every member must keep the same one of the two,
// whichever came first, so the order depends only on the two states and
// their common predecessor prev:
//
//  1. a state whose signer the other one removes or demotes (from its
//     role in prev) loses: a kicked or demoted admin cannot undo its kick
//     by signing a rival of it from the state where it was still admin;
//  2. else a state signed by the owner of prev beats one signed by an
//     admin;
//  3. else (the same rank, or each removes the other's signer) the lower
//     hash wins.

// signedBy is one of two rival states with its signer.
type signedBy struct {
	ss     *pb.SignedState
	st     *pb.GroupState
	signer peer.ID
}

// rivalWins reports whether b takes the place of a, two states of the
// same version that both follow prev (the order above).
func rivalWins(prev *pb.GroupState, a, b signedBy) bool {
	aCut, bCut := cuts(b.st, prev, a.signer), cuts(a.st, prev, b.signer)
	if aCut != bCut {
		return aCut
	}
	if ra, rb := rank(prev, a.signer), rank(prev, b.signer); ra != rb {
		return rb > ra
	}
	return stateHash(b.ss) < stateHash(a.ss)
}

// cuts reports whether st removes p or gives it a lower role than it had
// in prev.
func cuts(st, prev *pb.GroupState, p peer.ID) bool {
	return rank(st, p) < rank(prev, p)
}

// rank orders p's role in st: owner 2, admin 1, member 0, absent -1.
func rank(st *pb.GroupState, p peer.ID) int {
	r, ok := roleIn(st, p)
	if !ok {
		return -1
	}
	switch r {
	case pb.GroupState_OWNER:
		return 2
	case pb.GroupState_ADMIN:
		return 1
	}
	return 0
}
