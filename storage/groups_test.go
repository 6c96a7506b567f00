package storage

import (
	"bytes"
	"errors"
	"testing"
)

// Pending keys are found by version and state hash, dropped below a
// version (and no further), and go with their group.
func TestPendingGroupKeys(t *testing.T) {
	db, _ := openTemp(t)
	const gid = "00112233445566778899aabbccddeeff"
	err := db.Update(func(tx *Tx) error {
		if err := tx.PutGroup(Group{Info: GroupInfo{GroupID: gid}}); err != nil {
			return err
		}
		for _, v := range []uint64{3, 5, 300} {
			if err := tx.PutPendingGroupKey(gid, v, "hash", []byte{byte(v)}); err != nil {
				return err
			}
		}
		return tx.PutPendingGroupKey(gid, 5, "other", []byte{55})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *Tx) error {
		if k, err := tx.PendingGroupKey(gid, 5, "other"); err != nil || !bytes.Equal(k, []byte{55}) {
			t.Errorf("pending key of version 5, other = %v, %v", k, err)
		}
		if _, err := tx.PendingGroupKey(gid, 4, "hash"); !errors.Is(err, ErrNotFound) {
			t.Errorf("pending key of version 4: %v, want ErrNotFound", err)
		}
		if err := tx.DropPendingGroupKeys(gid, 5); err != nil {
			return err
		}
		if n, err := tx.PendingGroupKeys(gid); err != nil || n != 3 {
			t.Errorf("after dropping below 5: %d pending, %v; want 3", n, err)
		}
		if _, err := tx.PendingGroupKey(gid, 3, "hash"); !errors.Is(err, ErrNotFound) {
			t.Errorf("pending key of version 3 survived the drop: %v", err)
		}
		if err := tx.DeleteGroup(gid); err != nil {
			return err
		}
		if n, err := tx.PendingGroupKeys(gid); err != nil || n != 0 {
			t.Errorf("after deleting the group: %d pending, %v", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
