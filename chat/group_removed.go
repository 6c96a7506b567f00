package chat

import (
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/chat/pb"
	"github.com/parley-im/parley/storage"
)

// dropRemovedPosts runs where a state st that follows the held record cur
// is stored: for each member that st removes (other than this node), it
// deletes from history, with their proofs, the member's messages dated
// after st's updated_at. A member that was offline while another was
// removed may have stored such posts meanwhile (from the removed member,
// still a member in its stale state); they are not served on by sync
// (mayHaveWritten), and now not shown either. Posts the removed member
// backdated before its removal cannot be told from real ones and stay.
func dropRemovedPosts(tx *storage.Tx, cur storage.Group, st *pb.GroupState, self peer.ID) error {
	if len(cur.State) == 0 {
		return nil
	}
	_, held, err := decodeStored(cur.State)
	if err != nil {
		return err
	}
	at := time.Unix(0, st.GetUpdatedAt()).UTC()
	conv := GroupConversationID(cur.Info.GroupID)
	for _, m := range held.GetMembers() {
		p := peer.ID(m.GetPeer())
		if p == self || memberIndex(st, p) >= 0 {
			continue
		}
		if _, err := tx.DropMessagesFrom(conv, p.String(), at); err != nil {
			return err
		}
	}
	return nil
}
