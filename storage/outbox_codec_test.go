package storage

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestOutboxItemsRoundTrip(t *testing.T) {
	db, _ := openTemp(t)
	now := time.Unix(1_700_000_000, 123456789).UTC()
	items := []OutboxItem{
		{Peer: "peerA", Kind: "message", Conv: "peerA", RefID: "00ff", SentAt: now, CreatedAt: now},
		{Peer: "peerA", Kind: "message", Conv: "other", RefID: "01", CreatedAt: now},
		{Peer: "peerA", Kind: "receipt", RefID: "02", Frame: []byte{0, 1, 2, 255}, CreatedAt: now},
		{Peer: "peerA", Kind: "request", RefID: "03"},
	}
	err := db.Update(func(tx *Tx) error {
		for i := range items {
			var err error
			if items[i], err = tx.AddOutbox(items[i]); err != nil {
				return err
			}
		}
		// An item as schema version 1 wrote it.
		old := OutboxItem{Peer: "peerA", Seq: 100, Kind: "message", Conv: "peerA", RefID: "04", CreatedAt: now}
		b, err := json.Marshal(old)
		if err != nil {
			return err
		}
		items = append(items, old)
		return tx.txn.Set(outboxKey("peerA", 100), b)
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []OutboxItem
	if err := db.View(func(tx *Tx) (err error) { got, err = tx.Outbox("peerA", 0, 10); return }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, items) {
		t.Fatalf("outbox:\n got %+v\nwant %+v", got, items)
	}
}
