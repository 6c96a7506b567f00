package storage

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// An open database runs none of Badger's compactors, which wake every 50
// ms while idle (issue 18). Failed before compact.go: two runCompactor
// goroutines.
func TestIdleDatabaseRunsNoBadgerCompactor(t *testing.T) {
	openTemp(t)
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	// runCompactor is inlined into the goroutine startCompact starts.
	if n := strings.Count(stacks, "created by github.com/dgraph-io/badger/v4.(*levelsController).startCompact"); n > 0 {
		t.Fatalf("%d Badger compactor goroutines run on an open database", n)
	}
}

// Writes that flush many memtables are compacted: they never wait forever
// at Badger's stall (NumLevelZeroTablesStall level-0 tables, where flushes
// and then writes wait for a compaction; fast writes into these small
// memtables may reach it for a moment), and soon after the last write no
// level is over its target.
func TestWritesAreCompacted(t *testing.T) {
	// Small memtables: a dozen flushes in 8 MiB of writes.
	o := Options{memTableSize: 512 << 10}
	db, err := Open(t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	stalled := true
	t.Cleanup(func() {
		if !stalled { // else Close would wait for the stalled commit
			db.Close()
		}
	})
	opts := tunedOptions("", o, nil)
	// Small values stay in the tree (ValueThreshold), so memtables fill.
	val := make([]byte, opts.ValueThreshold-1)
	const perTx, txs = 300, 200 // ~8 MiB of entries; a commit must fit 15% of a memtable
	maxL0 := 0
	done := make(chan error, 1)
	go func() {
		for i := range txs {
			err := db.Update(func(tx *Tx) error {
				for j := range perTx {
					if err := tx.txn.Set(fmt.Appendf(nil, "t/%08d/%04d", i, j), val); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	deadline := time.After(time.Minute)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for wrote := false; !wrote; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			wrote, stalled = true, false
		case <-tick.C:
			maxL0 = max(maxL0, db.db.Levels()[0].NumTables)
		case <-deadline:
			t.Fatalf("writes stalled: levels\n%s", db.db.LevelsToString())
		}
	}
	for !t.Failed() && needsCompaction(db.db.Levels()) {
		select {
		case <-deadline:
			t.Fatalf("still over target after the writes: levels\n%s", db.db.LevelsToString())
		case <-tick.C:
		}
	}
	// Only a compaction moves tables below level 0.
	var below int
	for _, l := range db.db.Levels()[1:] {
		below += l.NumTables
	}
	if below == 0 {
		t.Fatalf("no table below level 0 (level 0 held up to %d): nothing was compacted", maxL0)
	}
}
