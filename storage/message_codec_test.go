package storage

import (
	"reflect"
	"testing"
	"time"
)

func TestMessageCodecRoundTrip(t *testing.T) {
	at := time.Unix(1_700_000_000, 42).UTC()
	msgs := []Message{
		{ID: "0a", ConversationID: "peerA", Sender: "me", Recipient: "peerA", Type: TypeText, Content: "hi", SentAt: at, Status: StatusPending, Outgoing: true},
		{ID: "0b", ConversationID: "peerA", Sender: "peerA", Recipient: "me", Type: TypeText, Content: "héllo", SentAt: at, ReceivedAt: at.Add(time.Second), Status: StatusDelivered},
		{ID: "0c", ConversationID: "g00ff", Sender: "peerB", Type: TypeText, Content: "group", SentAt: at, Status: StatusFailed, Error: "why", GroupID: "00ff", Epoch: 7},
	}
	for _, m := range msgs {
		key := messageKey(m.ConversationID, m.SentAt.UnixNano(), m.ID)
		got, err := decodeMessage(key, encodeMessage(m))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, m)
		}
	}
	if _, err := decodeMessage(messageKey("peerA", 1, "x"), []byte{messageFormat, 0, 5}); err == nil {
		t.Fatal("truncated value decoded")
	}
}
