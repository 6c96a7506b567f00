package chat

import (
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/proto"

	"github.com/parley-im/parley/chat/pb"
)

// Every frame a peer sends costs its size plus frameCost bytes, spent from
// two buckets of that peer: a rate (Config.PeerRate bytes a second,
// PeerBurst at once; defaults below) that bounds how fast one peer makes
// this node write, and a quota (PeerQuota a day) that bounds how much of
// the disk one peer fills, and with it the node's memory: Badger maps its
// value log, so what a peer stored counts in the RSS as file pages. A
// frame over either is answered BUSY with the time to wait: the sender
// keeps it in its outbox and offers it again then, so nothing is lost.
// Honest use stays far below: 20,000 messages of 256 bytes at once fit in
// the burst.
const (
	frameCost = 64
	// DefaultPeerRate, DefaultPeerBurst and DefaultPeerQuota are the
	// defaults of Config.PeerRate, PeerBurst and PeerQuota.
	DefaultPeerRate  = 4 << 20
	DefaultPeerBurst = 32 << 20
	DefaultPeerQuota = 128 << 20
	// minBusyWait is the least a BUSY answer asks the sender to wait, so
	// that it comes back with a window's worth of frames the buckets can
	// take rather than one.
	minBusyWait = time.Second
)

// floodLimits are the per-peer buckets of what peers send.
type floodLimits struct {
	rate, quota *peerLimiter
	rateMiB     float64
	quotaMiB    float64
}

func newFloodLimits(c Config) *floodLimits {
	day := (24 * time.Hour).Seconds()
	return &floodLimits{
		rate:     newPeerLimiter(float64(c.PeerRate), float64(c.PeerBurst), maxLimitedPeers),
		quota:    newPeerLimiter(float64(c.PeerQuota)/day, float64(c.PeerQuota), maxLimitedPeers),
		rateMiB:  float64(c.PeerRate) / (1 << 20),
		quotaMiB: float64(c.PeerQuota) / (1 << 20),
	}
}

// admit spends f's cost from p's buckets; when either lacks it, nothing is
// spent and admit returns how long p should wait, and why.
func (fl *floodLimits) admit(p peer.ID, f *pb.Frame) (bool, time.Duration, string) {
	cost := float64(proto.Size(f) + frameCost)
	ok, wait := fl.rate.take(p, cost)
	if !ok {
		return false, max(wait, minBusyWait), fmt.Sprintf("over %.3g MiB/s", fl.rateMiB)
	}
	if ok, wait := fl.quota.take(p, cost); !ok {
		fl.rate.refund(p, cost)
		return false, max(wait, minBusyWait), fmt.Sprintf("over %.3g MiB a day", fl.quotaMiB)
	}
	return true, 0, ""
}

// busyState is what a stream's receiver answered BUSY for: once one frame
// is, every later frame of the stream is too, so that the sender offers
// them again in their order rather than have later ones overtake it.
type busyState struct {
	wait time.Duration
	why  string
}

// admit decides whether frame f of the batch is handled. A message is
// charged later (inbound.message), once it is known to be new: a
// redelivery of a stored one gets its OK even over the quota.
func (r *received) admit(s *Service, remote peer.ID, f *pb.Frame) bool {
	if r.held.wait > 0 {
		r.busy(f.GetId(), r.held.wait, r.held.why)
		return false
	}
	if _, isMsg := f.GetBody().(*pb.Frame_Message); isMsg {
		return true
	}
	if ok, wait, why := s.floods.admit(remote, f); !ok {
		r.busy(f.GetId(), wait, why)
		return false
	}
	return true
}

// busy answers a frame over a rate or quota: the sender keeps it and
// offers it again after wait. Later frames of the stream get the same.
func (r *received) busy(id []byte, wait time.Duration, reason string) {
	ms := uint32(min(max(wait, time.Millisecond), time.Hour) / time.Millisecond)
	r.acks = append(r.acks, &pb.Ack{Id: id, Result: pb.Ack_BUSY, Reason: reason, RetryAfterMs: ms})
	if r.held.wait < wait {
		r.held = busyState{wait: wait, why: reason}
	}
}
