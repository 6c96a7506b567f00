package chat

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/proto"

	"github.com/parley-im/parley/chat/pb"
	"github.com/parley-im/parley/storage"
)

// MaxEnvelopeSize caps a message on a group topic.
const MaxEnvelopeSize = MaxFrameSize

// topicSet holds the joined group topics.
type topicSet struct {
	mu     sync.Mutex
	joined map[string]*groupTopic
}

func newTopicSet() *topicSet { return &topicSet{joined: make(map[string]*groupTopic)} }

// groupTopic is one joined topic with its reading goroutine.
type groupTopic struct {
	topic  *pubsub.Topic
	sub    *pubsub.Subscription
	cancel context.CancelFunc
	done   chan struct{}
}

// groupTopicScore scores peers on a group topic: above all, frames that
// fail validation (non-members, wrong keys, bad signatures) cost a lot.
func groupTopicScore() *pubsub.TopicScoreParams {
	return &pubsub.TopicScoreParams{
		TopicWeight:                    1,
		TimeInMeshWeight:               0.01,
		TimeInMeshQuantum:              time.Second,
		TimeInMeshCap:                  100,
		FirstMessageDeliveriesWeight:   1,
		FirstMessageDeliveriesDecay:    pubsub.ScoreParameterDecay(10 * time.Minute),
		FirstMessageDeliveriesCap:      100,
		InvalidMessageDeliveriesWeight: -100,
		InvalidMessageDeliveriesDecay:  pubsub.ScoreParameterDecay(time.Hour),
	}
}

// joinTopic joins a group's topic with its validator and starts reading.
func (s *Service) joinTopic(gid string) error {
	ps := s.cfg.PubSub
	if ps == nil {
		return ErrNoGroups
	}
	s.topics.mu.Lock()
	defer s.topics.mu.Unlock()
	if _, ok := s.topics.joined[gid]; ok {
		return nil
	}
	name := GroupTopic(gid)
	// Inline: the check is CPU work on the in-memory view (one XChaCha20
	// open, one Ed25519 verify, ~60 µs) that never blocks, so it runs in
	// GossipSub's validation workers rather than in a goroutine started
	// per message, one hand-off fewer before a frame is forwarded and
	// delivered.
	if err := ps.RegisterTopicValidator(name, s.validateGroupMessage(gid), pubsub.WithValidatorInline(true)); err != nil {
		return fmt.Errorf("group topic validator: %w", err)
	}
	topic, err := ps.Join(name)
	if err != nil {
		return errors.Join(fmt.Errorf("join group topic: %w", err), ps.UnregisterTopicValidator(name))
	}
	if err := topic.SetScoreParams(groupTopicScore()); err != nil {
		s.log.Warn("group topic score", "group", gid, "err", err)
	}
	sub, err := topic.Subscribe()
	if err != nil {
		return errors.Join(fmt.Errorf("subscribe to group topic: %w", err), topic.Close(), ps.UnregisterTopicValidator(name))
	}
	ctx, cancel := context.WithCancel(s.ctx)
	gt := &groupTopic{topic: topic, sub: sub, cancel: cancel, done: make(chan struct{})}
	s.topics.joined[gid] = gt
	s.wg.Go(func() {
		defer close(gt.done)
		s.readGroup(ctx, gid, sub)
	})
	return nil
}

// leaveTopic stops reading a group's topic and leaves it.
func (s *Service) leaveTopic(gid string) {
	s.topics.mu.Lock()
	gt, ok := s.topics.joined[gid]
	delete(s.topics.joined, gid)
	s.topics.mu.Unlock()
	if !ok {
		return
	}
	s.closeTopic(gid, gt)
}

// leaveTopicSoon leaves a group's topic from a goroutine of its own, for
// callers that may run on the topic's reader (leaveTopic waits for it).
// While the service closes, closeTopics leaves every topic instead.
func (s *Service) leaveTopicSoon(gid string) {
	if !s.track() {
		return
	}
	go func() {
		defer s.wg.Done()
		s.leaveTopic(gid)
	}()
}

func (s *Service) closeTopic(gid string, gt *groupTopic) {
	gt.cancel()
	gt.sub.Cancel()
	<-gt.done
	if err := gt.topic.Close(); err != nil {
		s.log.Debug("close group topic", "group", gid, "err", err)
	}
	if err := s.cfg.PubSub.UnregisterTopicValidator(GroupTopic(gid)); err != nil {
		s.log.Debug("unregister group validator", "group", gid, "err", err)
	}
}

// closeTopics leaves every topic; Close calls it after the goroutines
// stopped.
func (s *Service) closeTopics() {
	s.topics.mu.Lock()
	joined := s.topics.joined
	s.topics.joined = make(map[string]*groupTopic)
	s.topics.mu.Unlock()
	for gid, gt := range joined {
		s.closeTopic(gid, gt)
	}
}

// topicPayload is what a validator hands to the reader: the opened
// payload and its verified author or signer.
type topicPayload struct {
	payload *pb.GroupPayload
	message *pb.GroupMessage
	from    peer.ID
}

// validateGroupMessage returns the topic validator of a group: it checks
// each frame with checkEnvelope against the group's current view, and
// GossipSub scores down the senders of rejected frames.
//
// Our own publishes (GossipSub validates them too, in Publish) are
// accepted unchecked: this node sealed and signed them from the same view
// a moment ago, and has already stored or applied what they carry, so
// they leave without a decryption and a signature check on the way and
// readGroup, finding no payload on them, does not store them a second
// time.
func (s *Service) validateGroupMessage(gid string) pubsub.ValidatorEx {
	return func(_ context.Context, _ peer.ID, msg *pubsub.Message) pubsub.ValidationResult {
		if msg.ReceivedFrom == s.host.ID() {
			return pubsub.ValidationAccept
		}
		v, ok := s.groups.get(gid)
		if !ok {
			return pubsub.ValidationIgnore
		}
		res, verdict := v.checkEnvelope(msg.GetData(), msg.GetFrom())
		if verdict == pubsub.ValidationAccept {
			msg.ValidatorData = res
		} else {
			s.log.Debug("group: frame dropped", "group", gid, "from", msg.GetFrom(), "verdict", verdict, "epoch", v.state.GetEpoch(), "members", len(v.state.GetMembers()))
		}
		return verdict
	}
}

// checkEnvelope decodes and checks one frame published on the group's
// topic by publisher. It rejects frames that are oversized, do not decode,
// belong to another group, do not open with the key of their epoch, are not
// signed by their publisher, or whose author was not a member. Frames of an
// epoch whose key has not arrived yet are ignored without penalty; history
// sync fetches them later.
func (v *groupView) checkEnvelope(data []byte, publisher peer.ID) (*topicPayload, pubsub.ValidationResult) {
	if len(data) > MaxEnvelopeSize {
		return nil, pubsub.ValidationReject
	}
	env := new(pb.GroupEnvelope)
	if err := proto.Unmarshal(data, env); err != nil || hex.EncodeToString(env.GetGroupId()) != v.id {
		return nil, pubsub.ValidationReject
	}
	key, ok := v.keys[env.GetEpoch()]
	if !ok {
		if env.GetEpoch() > v.state.GetEpoch() {
			return nil, pubsub.ValidationIgnore // our key is on its way
		}
		return nil, pubsub.ValidationReject
	}
	p, err := open(key, env)
	if err != nil {
		return nil, pubsub.ValidationReject
	}
	res := &topicPayload{payload: p}
	switch body := p.GetBody().(type) {
	case *pb.GroupPayload_Message:
		m, author, err := openMessage(body.Message)
		if err != nil || author != publisher || m.GetEpoch() != env.GetEpoch() || hex.EncodeToString(m.GetGroupId()) != v.id {
			return nil, pubsub.ValidationReject
		}
		if !v.memberAt(author, m.GetEpoch()) {
			return nil, pubsub.ValidationReject
		}
		res.message, res.from = m, author
	case *pb.GroupPayload_State:
		_, signer, err := openState(body.State)
		if err != nil || signer != publisher {
			return nil, pubsub.ValidationReject
		}
		res.from = signer
	default:
		return nil, pubsub.ValidationReject
	}
	return res, pubsub.ValidationAccept
}

// memberAt reports whether p may write in epoch: it was a member then and,
// unless that is the current epoch, still is (a removed member keeps the
// old key but can no longer write with it).
func (v *groupView) memberAt(p peer.ID, epoch uint64) bool {
	if !v.epochMembers[epoch][p] {
		return false
	}
	return epoch == v.state.GetEpoch() || memberIndex(v.state, p) >= 0
}

// mayHaveWritten applies memberAt to a stored message, so that sync never
// hands on what the asker would refuse (a message stored before this rule
// held, say).
func (v *groupView) mayHaveWritten(m storage.Message) bool {
	author, err := peer.Decode(m.Sender)
	return err == nil && v.memberAt(author, m.Epoch)
}

// readGroup stores what the topic delivers until ctx ends. Our own
// publishes carry no payload (the validator did not open them): SendGroup
// and changeGroup stored or applied them already.
func (s *Service) readGroup(ctx context.Context, gid string, sub *pubsub.Subscription) {
	for {
		msg, err := sub.Next(ctx)
		if err != nil {
			return
		}
		tp, ok := msg.ValidatorData.(*topicPayload)
		if !ok {
			continue
		}
		switch body := tp.payload.GetBody().(type) {
		case *pb.GroupPayload_Message:
			_, err := s.storeGroupMessage(gid, tp.message, body.Message, tp.from)
			switch {
			case errors.Is(err, errBlockedAuthor):
				s.log.Debug("group: message of a blocked author", "group", gid, "author", tp.from)
			case err != nil:
				s.log.Warn("group: store message", "group", gid, "err", err)
			}
		case *pb.GroupPayload_State:
			if _, err := s.applyState(body.State, tp.from); err != nil {
				s.log.Debug("group: state from topic", "group", gid, "err", err)
			}
		}
	}
}

// storeGroupMessage stores a verified group message once, with its
// signed form for history sync, and returns it as stored. A message by a
// blocked author (blockCheck) is not stored: errBlockedAuthor.
func (s *Service) storeGroupMessage(gid string, m *pb.GroupMessage, sm *pb.SignedMessage, author peer.ID) (storage.Message, error) {
	id, ok := idString(m.GetId())
	if !ok {
		return storage.Message{}, fmt.Errorf("%w: message id", ErrInvalid)
	}
	if err := checkContent(storage.MessageType(m.GetType()), m.GetContent()); err != nil {
		return storage.Message{}, err
	}
	now := time.Now().UTC()
	sentAt, ok := senderTime(m.GetSentAt(), now)
	if !ok {
		return storage.Message{}, fmt.Errorf("%w: sent_at", ErrInvalid)
	}
	proof, err := proto.Marshal(sm)
	if err != nil {
		return storage.Message{}, fmt.Errorf("encode proof: %w", err)
	}
	self := author == s.host.ID()
	msg := storage.Message{
		ID:             id,
		ConversationID: GroupConversationID(gid),
		Sender:         author.String(),
		Type:           storage.MessageType(m.GetType()),
		Content:        string(m.GetContent()),
		SentAt:         sentAt,
		ReceivedAt:     now,
		Status:         storage.StatusDelivered,
		Outgoing:       self,
		GroupID:        gid,
		Epoch:          m.GetEpoch(),
	}
	if self {
		msg.Status = storage.StatusSent
	}
	var added bool
	err = s.store.Update(func(tx *storage.Tx) error {
		if !self {
			refused, err := newBlockCheck(tx).refuses(msg.Sender, sentAt)
			if err != nil {
				return err
			}
			if refused {
				return errBlockedAuthor
			}
		}
		var err error
		if added, err = tx.AddMessage(msg); err != nil || !added {
			return err
		}
		return tx.PutProof(msg.ConversationID, id, proof)
	})
	if err != nil {
		return storage.Message{}, err
	}
	if added {
		s.publish(EventMessage, msg)
	}
	return msg, nil
}

// publishState announces a new state on the group's topic, sealed with
// the key of its epoch.
func (s *Service) publishState(gid string, ss *pb.SignedState) {
	if err := s.publishPayload(gid, &pb.GroupPayload{Body: &pb.GroupPayload_State{State: ss}}); err != nil {
		// Members that miss it get the state by DM (keys) or history sync.
		s.log.Debug("group: publish state", "group", gid, "err", err)
	}
}

// publishPayload seals and publishes a payload with the current key.
func (s *Service) publishPayload(gid string, p *pb.GroupPayload) error {
	v, ok := s.groups.get(gid)
	if !ok {
		return fmt.Errorf("%w: group %s", ErrNotFound, gid)
	}
	key := v.keys[v.state.GetEpoch()]
	if key == nil {
		return fmt.Errorf("%w: no key for the current epoch yet", ErrConflict)
	}
	env, err := seal(key, v.state.GetGroupId(), v.state.GetEpoch(), p)
	if err != nil {
		return err
	}
	data, err := proto.Marshal(env)
	if err != nil {
		return fmt.Errorf("encode envelope: %w", err)
	}
	s.topics.mu.Lock()
	gt := s.topics.joined[gid]
	s.topics.mu.Unlock()
	if gt == nil {
		return fmt.Errorf("%w: not subscribed to group %s", ErrConflict, gid)
	}
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	if err := gt.topic.Publish(ctx, data); err != nil {
		return fmt.Errorf("publish to group %s: %w", gid, err)
	}
	return nil
}
