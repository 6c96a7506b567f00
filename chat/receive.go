package chat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/proto"

	"github.com/parley-im/parley/chat/pb"
	"github.com/parley-im/parley/storage"
)

const (
	// MaxContentSize caps the content of one message.
	MaxContentSize = 64 << 10
	// MaxRequestMessage caps the note of a friend request, in bytes.
	MaxRequestMessage = 1 << 10
	// maxPendingRequests caps the incoming requests awaiting an answer, so
	// that strangers cannot fill the disk; a new one makes room by dropping
	// the one that arrived first (friends_recv.go).
	maxPendingRequests = 1000
	// requestBurst and requestEvery are the rate of friend requests from
	// one stranger: requestBurst at once, then one per requestEvery.
	requestBurst = 3
	requestEvery = 5 * time.Minute
	// recvBatch and recvBatchBytes bound the frames stored in one
	// transaction: 256 messages of 60 KB would be 15 MB in memory at once.
	recvBatch      = 256
	recvBatchBytes = 4 << 20
	// maxClockSkew is how far in the future a sender's clock may be before
	// its timestamp is replaced by the time of receipt.
	maxClockSkew = 5 * time.Minute
)

// errViolation marks frames no honest peer sends.
var errViolation = errors.New("protocol violation")

// handleStream serves one inbound DM stream: it reads frames in batches,
// stores each batch in one transaction, and acks every frame after the
// commit, so that an ack always means "stored".
func (s *Service) handleStream(st network.Stream) {
	remote := st.Conn().RemotePeer()
	if s.abuse.banned(remote) || !s.track() {
		st.Reset()
		return
	}
	defer s.wg.Done()
	stop := context.AfterFunc(s.ctx, func() { st.Reset() })
	defer stop()

	fr := newFrameReader(st)
	fw := newFrameWriter(st)
	var busy busyState
	for {
		if err := st.SetReadDeadline(time.Now().Add(s.cfg.IdleTimeout + s.cfg.AckTimeout)); err != nil {
			st.Reset()
			return
		}
		frames, err := readBatch(fr)
		if errors.Is(err, io.EOF) {
			st.Close()
			return
		}
		if err != nil {
			s.refuse(st, remote, err)
			return
		}
		res, err := s.receiveOn(&busy, remote, frames)
		if err != nil {
			s.refuse(st, remote, err)
			return
		}
		if err := st.SetWriteDeadline(time.Now().Add(s.cfg.AckTimeout)); err != nil {
			st.Reset()
			return
		}
		for _, a := range res.acks {
			if err := fw.Write(&pb.Frame{Body: &pb.Frame_Ack{Ack: a}}); err != nil {
				st.Reset()
				return
			}
		}
		if err := fw.Flush(); err != nil {
			st.Reset()
			return
		}
		res.announce(s, remote)
	}
}

// track registers a stream handler with the service's WaitGroup unless
// the service is closing.
func (s *Service) track() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	return true
}

// refuse ends a stream after an error. Decoding errors and frames no
// honest peer sends are strikes against the peer; enough of them and the
// peer is disconnected and refused for a while.
func (s *Service) refuse(st network.Stream, remote peer.ID, err error) {
	st.Reset()
	if errors.Is(err, errBlockedPeer) {
		return
	}
	if !errors.Is(err, ErrFrameTooLarge) && !errors.Is(err, ErrBadFrame) && !errors.Is(err, errViolation) {
		s.log.Debug("dm: stream ended", "peer", remote, "err", err)
		return
	}
	s.log.Info("dm: peer broke the protocol", "peer", remote, "err", err)
	if until := s.abuse.strike(remote); !until.IsZero() {
		s.log.Warn("dm: disconnecting abusive peer", "peer", remote, "for", banTime)
		if err := s.host.Network().ClosePeer(remote); err != nil {
			s.log.Debug("dm: close abusive peer", "peer", remote, "err", err)
		}
		s.storeBan(remote, until)
	}
}

var errBlockedPeer = errors.New("blocked peer")

// readBatch blocks for one frame, then takes whatever else is already
// buffered, up to recvBatch frames or recvBatchBytes.
func readBatch(fr *frameReader) ([]*pb.Frame, error) {
	var frames []*pb.Frame
	size := 0
	for len(frames) == 0 || (fr.Buffered() && len(frames) < recvBatch && size < recvBatchBytes) {
		f, err := fr.Read()
		if err != nil {
			if len(frames) > 0 && errors.Is(err, io.EOF) {
				return frames, nil
			}
			return nil, err
		}
		frames = append(frames, f)
		size += proto.Size(f)
	}
	return frames, nil
}

// received is what a batch produced: acks to send, events to publish once
// committed, and whether the outbox got new items for the sender.
type received struct {
	acks    []*pb.Ack
	events  []Event
	queued  bool
	protect bool
	// unprotect: the sender ended our friendship (unfriend.go).
	unprotect bool
	// presenceSeen: the sender pushed its presence (presence_push.go).
	presenceSeen bool
	// held: a frame of this stream was answered BUSY (flood.go).
	held busyState

	// Group work for after the commit (group_apply.go).
	refresh    []string    // groups whose cached view is stale
	left       []string    // groups whose topic to leave
	syncs      []string    // groups to sync
	departures []departure // members to remove (this node owns the group)
}

func (r *received) ack(id []byte, result pb.Ack_Result, reason string) {
	r.acks = append(r.acks, &pb.Ack{Id: id, Result: result, Reason: reason})
}

func (r *received) event(typ EventType, data any) {
	r.events = append(r.events, Event{Type: typ, Data: data})
}

// announce publishes the batch's events and starts delivery of what it
// queued.
func (r *received) announce(s *Service, remote peer.ID) {
	r.refreshGroups(s) // before the events, so that who reacts to one sees the group as it is
	for _, ev := range r.events {
		s.publish(ev.Type, ev.Data)
	}
	if r.protect {
		s.host.ConnManager().Protect(remote, friendTag)
		s.rememberAddrs(remote)
	}
	if r.unprotect {
		s.host.ConnManager().Unprotect(remote, friendTag)
	}
	if r.queued {
		s.wake(remote)
	}
	r.settleGroups(s)
	r.settlePresence(s, remote)
}

// receive stores a batch of frames from remote in one transaction.
func (s *Service) receive(remote peer.ID, frames []*pb.Frame) (*received, error) {
	return s.receiveOn(nil, remote, frames)
}

// receiveOn is receive for a batch of the stream whose BUSY state is held
// by stream (nil: a batch on its own).
func (s *Service) receiveOn(stream *busyState, remote peer.ID, frames []*pb.Frame) (*received, error) {
	res := new(received)
	err := s.store.Update(func(tx *storage.Tx) error {
		*res = received{} // Update may run this more than once
		if stream != nil {
			res.held = *stream
		}
		from := remote.String()
		contact, err := tx.Contact(from)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		if contact.Blocked {
			return errBlockedPeer
		}
		window, err := tx.BlockWindow(from)
		if err != nil {
			return err
		}
		for _, f := range frames {
			if _, ok := idString(f.GetId()); !ok {
				return fmt.Errorf("%w: frame id of %d bytes", errViolation, len(f.GetId()))
			}
			if !res.admit(s, remote, f) {
				continue
			}
			in := inbound{svc: s, tx: tx, remote: remote, from: from, contact: &contact, window: window, res: res, frame: f}
			if err := in.handle(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if stream != nil {
		*stream = res.held
	}
	return res, nil
}

// inbound handles one frame inside receive's transaction.
type inbound struct {
	svc     *Service
	tx      *storage.Tx
	remote  peer.ID
	from    string // remote.String(), encoded once per batch
	contact *storage.ContactInfo
	// window is the sender's last block: what it sent within it is refused.
	window storage.BlockWindow
	res    *received
	frame  *pb.Frame
}

func (in *inbound) handle() error {
	f := in.frame
	switch body := f.GetBody().(type) {
	case *pb.Frame_Message:
		return in.message(body.Message)
	case *pb.Frame_Receipt:
		return in.receipt(body.Receipt)
	case *pb.Frame_FriendRequest:
		return in.friendRequest(body.FriendRequest)
	case *pb.Frame_FriendResponse:
		return in.friendResponse(body.FriendResponse)
	case *pb.Frame_Presence:
		return in.presence(body.Presence)
	case *pb.Frame_GroupInvite:
		return in.groupInvite(body.GroupInvite)
	case *pb.Frame_GroupKey:
		return in.groupKey(body.GroupKey)
	case *pb.Frame_GroupNotice:
		return in.groupNotice(body.GroupNotice)
	default:
		return fmt.Errorf("%w: unexpected %T on an inbound stream", errViolation, body)
	}
}

func (in *inbound) message(m *pb.ChatMessage) error {
	id, _ := idString(in.frame.Id)
	if !in.contact.Friend {
		in.res.ack(in.frame.Id, pb.Ack_NOT_FRIEND, "")
		return nil
	}
	if err := checkContent(storage.MessageType(m.GetType()), m.GetContent()); err != nil {
		in.res.ack(in.frame.Id, pb.Ack_INVALID, err.Error())
		return nil
	}
	now := time.Now().UTC()
	sentAt, ok := senderTime(m.GetSentAt(), now)
	if !ok {
		in.res.ack(in.frame.Id, pb.Ack_INVALID, "sent_at must be a positive Unix time")
		return nil
	}
	if in.window.Covers(sentAt) {
		in.res.ack(in.frame.Id, pb.Ack_REFUSED, "")
		return nil
	}
	if dup, err := in.tx.HasMessage(in.from, id); err != nil {
		return err
	} else if dup {
		in.res.ack(in.frame.Id, pb.Ack_OK, "") // a redelivery: its first ack was lost
		return nil
	}
	if ok, wait, why := in.svc.floods.admit(in.remote, in.frame); !ok {
		in.res.busy(in.frame.Id, wait, why)
		return nil
	}
	msg := storage.Message{
		ID:             id,
		ConversationID: in.from,
		Sender:         in.from,
		Recipient:      in.svc.self,
		Type:           storage.MessageType(m.GetType()),
		Content:        string(m.GetContent()),
		SentAt:         sentAt,
		ReceivedAt:     now,
		Status:         storage.StatusDelivered,
	}
	added, err := in.tx.AddMessage(msg)
	if err != nil {
		return err
	}
	if added {
		in.res.event(EventMessage, msg)
	}
	in.res.ack(in.frame.Id, pb.Ack_OK, "")
	return nil
}

// senderTime turns a sender's timestamp into a sent time: the sender's
// clock, unless it runs ahead of ours by more than maxClockSkew.
func senderTime(ns int64, now time.Time) (time.Time, bool) {
	if ns <= 0 {
		return time.Time{}, false
	}
	t := time.Unix(0, ns).UTC()
	if t.After(now.Add(maxClockSkew)) {
		return now, true
	}
	return t, true
}

// checkContent applies the rules for message content, on both ends.
func checkContent(typ storage.MessageType, content []byte) error {
	if typ != storage.TypeText {
		return fmt.Errorf("%w: message type %q is not supported yet (only text)", ErrInvalid, typ)
	}
	if blank(content) {
		return fmt.Errorf("%w: empty message (only blanks)", ErrInvalid)
	}
	if len(content) > MaxContentSize {
		return fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(content), MaxContentSize)
	}
	if !utf8.Valid(content) {
		return fmt.Errorf("%w: text is not valid UTF-8", ErrInvalid)
	}
	return nil
}

func (in *inbound) receipt(r *pb.Receipt) error {
	conv := in.from
	for _, raw := range r.GetMessageIds() {
		id, ok := idString(raw)
		if !ok {
			in.res.ack(in.frame.Id, pb.Ack_INVALID, "bad message id in receipt")
			return nil
		}
		m, err := in.tx.Message(conv, id)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if !m.Outgoing {
			continue // only our own messages can be read by the peer
		}
		ev, ok, err := setStatus(in.tx, storage.MessageRef{Conv: conv, ID: id}, storage.StatusRead, "")
		if err != nil {
			return err
		}
		if ok {
			in.res.event(EventReceipt, ev)
		}
	}
	in.res.ack(in.frame.Id, pb.Ack_OK, "")
	return nil
}
