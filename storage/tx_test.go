package storage

import (
	"errors"
	"fmt"
	"sync"
	"testing"
)

// Concurrent Updates share commits; each caller still gets its own result,
// and a failing function leaves no trace while the others land.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	db, _ := openTemp(t)
	const writers = 200
	errBoom := errors.New("boom")
	var wg sync.WaitGroup
	results := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			results[i] = db.Update(func(tx *Tx) error {
				if err := tx.PutContact(ContactInfo{UserID: fmt.Sprintf("peer%03d", i), Friend: true}); err != nil {
					return err
				}
				if i%10 == 0 {
					return errBoom
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i, err := range results {
		if (i%10 == 0) != errors.Is(err, errBoom) {
			t.Fatalf("writer %d: err = %v", i, err)
		}
	}
	var contacts []ContactInfo
	if err := db.View(func(tx *Tx) (err error) { contacts, err = tx.Contacts(); return }); err != nil {
		t.Fatal(err)
	}
	if len(contacts) != writers-writers/10 {
		t.Fatalf("%d contacts stored, want %d", len(contacts), writers-writers/10)
	}
	for _, c := range contacts {
		var i int
		fmt.Sscanf(c.UserID, "peer%03d", &i)
		if i%10 == 0 {
			t.Fatalf("failed writer %d left contact %s", i, c.UserID)
		}
	}
}

func TestUpdateAfterCloseFails(t *testing.T) {
	db, _ := openTemp(t)
	db.Close()
	if err := db.Update(func(*Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("err = %v, want ErrClosed", err)
	}
}

func TestOutboxOrderAndPeers(t *testing.T) {
	db, _ := openTemp(t)
	err := db.Update(func(tx *Tx) error {
		for i := range 5 {
			for _, p := range []string{"bob", "al", "carol"} {
				if _, err := tx.AddOutbox(OutboxItem{Peer: p, Kind: "msg", RefID: fmt.Sprint(i)}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *Tx) error {
		peers, err := tx.OutboxPeers()
		if err != nil {
			return err
		}
		if fmt.Sprint(peers) != "[al bob carol]" {
			return fmt.Errorf("peers = %v", peers)
		}
		items, err := tx.Outbox("bob", 0, 3)
		if err != nil {
			return err
		}
		if len(items) != 3 || items[0].RefID != "0" || items[2].RefID != "2" {
			return fmt.Errorf("first page = %+v", items)
		}
		rest, err := tx.Outbox("bob", items[2].Seq, 10)
		if err != nil {
			return err
		}
		if len(rest) != 2 || rest[0].RefID != "3" {
			return fmt.Errorf("second page = %+v", rest)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *Tx) error {
		items, err := tx.Outbox("al", 0, 100)
		if err != nil {
			return err
		}
		for _, it := range items {
			if err := tx.DeleteOutbox("al", it.Seq); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var peers []string
	db.View(func(tx *Tx) (err error) { peers, err = tx.OutboxPeers(); return })
	if fmt.Sprint(peers) != "[bob carol]" {
		t.Fatalf("peers after draining al = %v", peers)
	}
}
