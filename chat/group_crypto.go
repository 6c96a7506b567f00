package chat

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"golang.org/x/crypto/chacha20poly1305"
	"google.golang.org/protobuf/proto"

	"github.com/parley-im/parley/chat/pb"
)

// Signature domains keep a signature made for one purpose from being
// replayed for another.
const (
	domainGroupState   = "parley-group-state:"
	domainGroupMessage = "parley-group-message:"
)

// ErrBadSignature means a group state or message is not signed by who it
// claims.
var ErrBadSignature = errors.New("bad signature")

// newGroupKey returns a fresh 32-byte group key.
func newGroupKey() []byte {
	k := make([]byte, chacha20poly1305.KeySize)
	_, _ = rand.Read(k) // crypto/rand.Read never fails (Go 1.24+)
	return k
}

// envelopeAD binds a ciphertext to its group and epoch.
func envelopeAD(groupID []byte, epoch uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte("parley-group:"), groupID...), epoch)
}

// seal encrypts a payload with an epoch's key.
func seal(key, groupID []byte, epoch uint64, payload *pb.GroupPayload) (*pb.GroupEnvelope, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("group key: %w", err)
	}
	plain, err := proto.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("encode group payload: %w", err)
	}
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce)
	return &pb.GroupEnvelope{
		GroupId:    groupID,
		Epoch:      epoch,
		Nonce:      nonce,
		Ciphertext: aead.Seal(nil, nonce, plain, envelopeAD(groupID, epoch)),
	}, nil
}

// open decrypts an envelope with its epoch's key.
func open(key []byte, env *pb.GroupEnvelope) (*pb.GroupPayload, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("group key: %w", err)
	}
	if len(env.GetNonce()) != aead.NonceSize() {
		return nil, fmt.Errorf("%w: nonce of %d bytes", ErrInvalid, len(env.GetNonce()))
	}
	plain, err := aead.Open(nil, env.GetNonce(), env.GetCiphertext(), envelopeAD(env.GetGroupId(), env.GetEpoch()))
	if err != nil {
		return nil, fmt.Errorf("%w: envelope does not open", ErrInvalid)
	}
	p := new(pb.GroupPayload)
	if err := proto.Unmarshal(plain, p); err != nil {
		return nil, fmt.Errorf("%w: group payload: %v", ErrInvalid, err)
	}
	return p, nil
}

// sign signs data under a domain.
func sign(key crypto.PrivKey, domain string, data []byte) ([]byte, error) {
	sig, err := key.Sign(append([]byte(domain), data...))
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return sig, nil
}

// verify checks that signer signed data under a domain. Peer IDs of
// Ed25519 keys embed the key, so the ID is all that is needed.
func verify(signer []byte, domain string, data, sig []byte) (peer.ID, error) {
	id, err := peer.IDFromBytes(signer)
	if err != nil {
		return "", fmt.Errorf("%w: signer: %v", ErrBadSignature, err)
	}
	pub, err := id.ExtractPublicKey()
	if err != nil {
		return "", fmt.Errorf("%w: signer %s has no embedded key: %v", ErrBadSignature, id, err)
	}
	ok, err := pub.Verify(append([]byte(domain), data...), sig)
	if err != nil || !ok {
		return "", fmt.Errorf("%w: by %s", ErrBadSignature, id)
	}
	return id, nil
}

// signState encodes and signs a group state.
func signState(key crypto.PrivKey, st *pb.GroupState) (*pb.SignedState, error) {
	raw, err := proto.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encode group state: %w", err)
	}
	signer, err := peer.IDFromPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("signer id: %w", err)
	}
	sig, err := sign(key, domainGroupState, raw)
	if err != nil {
		return nil, err
	}
	return &pb.SignedState{State: raw, Signer: []byte(signer), Signature: sig}, nil
}

// openState verifies a signed state and decodes it.
func openState(ss *pb.SignedState) (*pb.GroupState, peer.ID, error) {
	signer, err := verify(ss.GetSigner(), domainGroupState, ss.GetState(), ss.GetSignature())
	if err != nil {
		return nil, "", err
	}
	st := new(pb.GroupState)
	if err := proto.Unmarshal(ss.GetState(), st); err != nil {
		return nil, "", fmt.Errorf("%w: group state: %v", ErrInvalid, err)
	}
	return st, signer, nil
}

// signMessage encodes and signs a group message.
func signMessage(key crypto.PrivKey, m *pb.GroupMessage) (*pb.SignedMessage, error) {
	raw, err := proto.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode group message: %w", err)
	}
	sig, err := sign(key, domainGroupMessage, raw)
	if err != nil {
		return nil, err
	}
	return &pb.SignedMessage{Message: raw, Signature: sig}, nil
}

// openMessage decodes a signed group message and checks that its author
// signed it.
func openMessage(sm *pb.SignedMessage) (*pb.GroupMessage, peer.ID, error) {
	m := new(pb.GroupMessage)
	if err := proto.Unmarshal(sm.GetMessage(), m); err != nil {
		return nil, "", fmt.Errorf("%w: group message: %v", ErrInvalid, err)
	}
	author, err := verify(m.GetAuthor(), domainGroupMessage, sm.GetMessage(), sm.GetSignature())
	if err != nil {
		return nil, "", err
	}
	return m, author, nil
}
