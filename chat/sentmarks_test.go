package chat

import (
	"testing"
	"time"

	"github.com/parley-im/parley/storage"
)

func TestSentMarksTakeOnlyWhatWaitedLongEnough(t *testing.T) {
	var m sentMarks
	if _, ok := m.due(); ok {
		t.Fatal("empty marks are due")
	}
	t0 := time.Unix(1_700_000_000, 0)
	item := func(id string, kind string) storage.OutboxItem {
		return storage.OutboxItem{RefID: id, Kind: kind}
	}
	m.add(t0, []storage.OutboxItem{item("a", kindMessage), item("r", kindReceipt)})
	m.add(t0.Add(5*time.Millisecond), []storage.OutboxItem{item("b", kindMessage)})
	m.add(t0.Add(6*time.Millisecond), []storage.OutboxItem{item("q", kindRequest)}) // nothing to mark

	if at, ok := m.due(); !ok || !at.Equal(t0.Add(sentDelay)) {
		t.Fatalf("due = %v, %v; want %v", at, ok, t0.Add(sentDelay))
	}
	got := m.take(t0.Add(time.Millisecond))
	if len(got) != 1 || got[0].RefID != "a" {
		t.Fatalf("take at t0+1ms = %v, want only message a", got)
	}
	if at, ok := m.due(); !ok || !at.Equal(t0.Add(5*time.Millisecond+sentDelay)) {
		t.Fatalf("due = %v, %v; want b's", at, ok)
	}
	if got := m.take(t0.Add(time.Millisecond)); len(got) != 0 {
		t.Fatalf("b taken before it was written: %v", got)
	}
	if got := m.take(time.Time{}); len(got) != 1 || got[0].RefID != "b" {
		t.Fatalf("take all = %v, want b", got)
	}
	if _, ok := m.due(); ok {
		t.Fatal("marks still due after taking all")
	}
}
