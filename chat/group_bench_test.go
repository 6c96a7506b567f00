package chat

import (
	"testing"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
)

// BenchmarkCheckEnvelope measures what the topic validator costs each
// member per group message: decode, XChaCha20 open, Ed25519 verify.
func BenchmarkCheckEnvelope(b *testing.B) {
	f := newEnvelopeFixture(b)
	data := f.message(b, f.member, 2)
	b.ReportAllocs()
	for b.Loop() {
		if _, v := f.view.checkEnvelope(data, f.memberID); v != pubsub.ValidationAccept {
			b.Fatal(v)
		}
	}
}
