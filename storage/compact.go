package storage

import (
	"context"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// Badger's own compactors (Options.NumCompactors, at least 2) each wake
// every 50 ms for as long as the database is open, written to or not: on
// an idle node those 40 wake-ups a second were nearly all of its CPU
// (issue 18: ~510 ms per minute, against ~30 for the network stack). So
// Badger runs with no compactor of its own, and the compactor below
// compacts only after writes: the writer pokes it after every commit; it
// then compacts while any level is over Badger's own threshold (a score of
// at least 1, which for level 0 means NumLevelZeroTables tables), and it
// looks once more compactorSettle after the last poke, for the tables that
// memtable flushes added since. An idle database wakes it never.

// compactorSettle is how long after the last write the compactor looks
// again at the levels.
const compactorSettle = time.Second

// compactionWorkers is how many goroutines one compaction uses (Badger's
// NumCompactors of the earlier tuning).
const compactionWorkers = 2

// poke tells the compactor that something was written. It never blocks.
func (d *DB) poke() {
	select {
	case d.pokes <- struct{}{}:
	default:
	}
}

// compactor runs until ctx ends; Close waits for it before closing Badger.
func (d *DB) compactor(ctx context.Context) {
	defer close(d.compactorDone)
	// A database left over its targets is compacted a moment after Open,
	// not during the start-up that opened it.
	settle := time.NewTimer(compactorSettle)
	defer settle.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.pokes:
			settle.Reset(compactorSettle)
		case <-settle.C:
		}
		d.compactWhileNeeded(ctx)
	}
}

// compactWhileNeeded compacts until no level is over its target. Flatten is
// Badger's one exported way to compact: it merges every level down into the
// lowest that holds data, which leaves the tree as compact as it gets. On a
// large tree of scattered keys that rewrites more than Badger's leveled
// compaction would; a personal node fills a memtable (8 MiB) only every few
// thousand messages, so it runs rarely, and the burst and history figures
// of cmd/parley-bench did not move (issue 18).
func (d *DB) compactWhileNeeded(ctx context.Context) {
	for ctx.Err() == nil && needsCompaction(d.db.Levels()) {
		if err := d.db.Flatten(compactionWorkers); err != nil {
			// Tried again after the next write.
			d.log.Warn("compaction", "err", err)
			return
		}
	}
}

// needsCompaction reports whether Badger's compactors would compact these
// levels: Levels reports a score only for the levels whose score is at
// least 1 (pickCompactLevels).
func needsCompaction(levels []badger.LevelInfo) bool {
	for _, l := range levels {
		if l.Score >= 1 {
			return true
		}
	}
	return false
}
