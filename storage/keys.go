package storage

import "encoding/binary"

// Key layout. Every key starts with a short prefix that names its store;
// numbers are big-endian so that byte order is numeric order. Peer IDs are
// stored in their base58 text form and conversation IDs never contain '/',
// so '/' separates the parts unambiguously.
//
//	s/schema                          schema version (uint32)
//	s/profile                         the owner's Profile
//	s/outbox-seq                      last outbox sequence number (uint64)
//	s/presence                        the owner's chosen OwnPresence
//	s/presence-seq                    last presence record sequence number (uint64)
//	c/<peer>                          ContactInfo
//	r/<request id>                    FriendRequest
//	rp/<peer>/<request id>            index: requests exchanged with a peer
//	ri/<receivedAt ns:8><request id>  index: incoming requests awaiting an answer, oldest first
//	s/requests-indexed                marks that ri/ covers every stored request (requests_index.go)
//	m/<conv>/<sentAt ns:8><id>        Message, history order (binary, message_codec.go)
//	m/<conv>/<sentAt ns:8><id>\x00s   its status record, once its status changed (status.go)
//	x/<conv>/<id>                     index: message ID → its m/ key (dedupe)
//	v/<conv>                          Conversation summary
//	o/<peer>/<seq:8>                  OutboxItem, in send order per peer (binary, outbox_codec.go)
//	g/<group>                         Group
//	gk/<group>/<epoch:8>              group key of an epoch
//	gs/<group>/<version:8>            signed group state, the membership chain
//	gq/<group>/<version:8><hash>      key that came with a state the chain has not reached yet
//	mp/<conv>/<id>                    signed form of a group message (proof)
//	pc/<peer>                         CachedRecord: another user's signed profile
//	ps/<peer>                         CachedRecord: another user's signed presence
//	bw/<peer>                         BlockWindow: the peer's last block (blocks.go)
//	bn/<peer>                         Ban: the peer is refused until then (bans.go)
//	s/owner                           peer ID of the node that owns the database (owner.go)
const (
	prefixContact     = "c/"
	prefixRequest     = "r/"
	prefixRequestPeer = "rp/"
	// prefixPendingRequest indexes the incoming requests awaiting an
	// answer by arrival, so that counting them and finding the oldest
	// never reads the requests themselves.
	prefixPendingRequest = "ri/"
	prefixMessage        = "m/"
	prefixMessageIndex   = "x/"
	prefixConversation   = "v/"
	prefixOutbox         = "o/"
)

var outboxSeqKey = []byte("s/outbox-seq")

// join concatenates key parts into a new slice.
func join(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func contactKey(peer string) []byte { return join([]byte(prefixContact), []byte(peer)) }

func requestKey(id string) []byte { return join([]byte(prefixRequest), []byte(id)) }

func requestPeerKey(peer, id string) []byte {
	return join([]byte(prefixRequestPeer), []byte(peer), []byte("/"), []byte(id))
}

func pendingRequestKey(r FriendRequest) []byte {
	return join([]byte(prefixPendingRequest), be64(uint64(r.ReceivedAt.UnixNano())), []byte(r.ID))
}

func messagePrefix(conv string) []byte {
	return join([]byte(prefixMessage), []byte(conv), []byte("/"))
}

func messageKey(conv string, sentAtNanos int64, id string) []byte {
	return join(messagePrefix(conv), be64(uint64(sentAtNanos)), []byte(id))
}

func messageIndexKey(conv, id string) []byte {
	return join([]byte(prefixMessageIndex), []byte(conv), []byte("/"), []byte(id))
}

func conversationKey(conv string) []byte { return join([]byte(prefixConversation), []byte(conv)) }

func outboxPrefix(peer string) []byte { return join([]byte(prefixOutbox), []byte(peer), []byte("/")) }

func outboxKey(peer string, seq uint64) []byte { return join(outboxPrefix(peer), be64(seq)) }
