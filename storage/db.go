package storage

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// SchemaVersion is the version of the key layout and value encoding that
// this package writes. Open refuses databases with a higher version.
//
// Version 2 added status records next to messages (status.go); a version 1
// database is read as it is and marked version 2 on open, since version 1
// programs would take the records for messages.
const SchemaVersion = 2

// Options configure Open. The zero value is a usable personal-node setup.
type Options struct {
	// Logger receives Badger's warnings and errors. Default: discard.
	Logger *slog.Logger
	// GCInterval is how often value-log garbage collection runs.
	// Default 10 minutes; negative disables it.
	GCInterval time.Duration
	// InMemory keeps everything in RAM (tests and benchmarks); dir is ignored.
	InMemory bool
	// SyncWrites fsyncs every commit. Off by default: a commit survives a
	// crash of the process (kill -9), not a power cut.
	SyncWrites bool

	// memTableSize, when not 0, replaces the memtable size (tests that
	// need many flushes).
	memTableSize int64
}

// DB is an open Parley database.
type DB struct {
	db     *badger.DB
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{} // closed when the GC loop has stopped
	once   sync.Once

	writes     chan writeReq // unbuffered: a send is a hand-off to the writer
	pokes      chan struct{} // cap 1: something was written (compact.go)
	committed  *committed    // the writer's own
	closing    chan struct{}
	writerDone chan struct{}
	// compactorDone is closed when the compactor has stopped.
	compactorDone chan struct{}
}

// Open opens (or creates) the database in dir. It fails with ErrLocked when
// another process has it open.
func Open(dir string, opts Options) (*DB, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bo := tunedOptions(dir, opts, log)
	bdb, err := badger.Open(bo)
	if err != nil {
		if strings.Contains(err.Error(), "Cannot acquire directory lock") {
			return nil, fmt.Errorf("open database %s: %w", dir, ErrLocked)
		}
		return nil, fmt.Errorf("open database %s: %w", dir, err)
	}
	if err := checkSchema(bdb); err != nil {
		return nil, errors.Join(fmt.Errorf("open database %s: %w", dir, err), bdb.Close())
	}
	if err := indexRequests(bdb); err != nil {
		return nil, errors.Join(fmt.Errorf("open database %s: %w", dir, err), bdb.Close())
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &DB{
		db: bdb, log: log, cancel: cancel, done: make(chan struct{}),
		writes: make(chan writeReq), committed: newCommitted(), closing: make(chan struct{}), writerDone: make(chan struct{}),
		pokes: make(chan struct{}, 1), compactorDone: make(chan struct{}),
	}
	go d.writer()
	go d.compactor(ctx)
	interval := opts.GCInterval
	if interval == 0 {
		interval = 10 * time.Minute
	}
	if interval > 0 && !opts.InMemory {
		go d.gcLoop(ctx, interval)
	} else {
		close(d.done)
	}
	return d, nil
}

// tunedOptions sizes Badger for a personal node: Badger's defaults (64 MiB
// memtables ×5, a 256 MiB block cache) reach ~770 MiB RSS after 200k writes;
// these keep a node within tens of MiB while a burst still fits a memtable.
func tunedOptions(dir string, opts Options, log *slog.Logger) badger.Options {
	bo := badger.DefaultOptions(dir)
	if opts.InMemory {
		bo = badger.DefaultOptions("").WithInMemory(true)
	}
	bo.MemTableSize = 8 << 20
	if opts.memTableSize > 0 {
		bo.MemTableSize = opts.memTableSize
	}
	bo.NumMemtables = 2
	bo.NumLevelZeroTables = 2
	bo.NumLevelZeroTablesStall = 8
	bo.BaseTableSize = 2 << 20
	bo.BaseLevelSize = 8 << 20
	bo.BlockCacheSize = 8 << 20
	bo.IndexCacheSize = 4 << 20
	// No compactor of Badger's own: they wake 40 times a second while
	// idle; storage compacts after writes instead (compact.go).
	bo.NumCompactors = 0
	bo.NumGoroutines = 2
	bo.ValueThreshold = 128
	bo.ValueLogFileSize = 64 << 20
	bo.Compression = options.Snappy
	bo.MetricsEnabled = false
	// Every write goes through the one writer goroutine (tx.go), so no two
	// write transactions overlap and none can conflict: tracking the keys
	// they read and write for conflict checks is work for nothing.
	bo.DetectConflicts = false
	bo.SyncWrites = opts.SyncWrites
	bo.Logger = badgerLogger{log}
	return bo
}

// BadgerOptions are the options Open gives Badger for dir, for a raw
// baseline that is to run Badger as storage does (cmd/parley-bench).
func BadgerOptions(dir string) badger.Options {
	return tunedOptions(dir, Options{}, slog.New(slog.DiscardHandler))
}

var schemaKey = []byte("s/schema")

func checkSchema(bdb *badger.DB) error {
	return bdb.Update(func(txn *badger.Txn) error {
		item, err := txn.Get(schemaKey)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return txn.Set(schemaKey, binary.BigEndian.AppendUint32(nil, SchemaVersion))
		}
		if err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		var v uint32
		if err := item.Value(func(b []byte) error {
			if len(b) != 4 {
				return fmt.Errorf("schema version: %d bytes, want 4", len(b))
			}
			v = binary.BigEndian.Uint32(b)
			return nil
		}); err != nil {
			return err
		}
		if v > SchemaVersion {
			return fmt.Errorf("%w: version %d, this program knows %d", ErrSchemaTooNew, v, SchemaVersion)
		}
		if v < SchemaVersion {
			return txn.Set(schemaKey, binary.BigEndian.AppendUint32(nil, SchemaVersion))
		}
		return nil
	})
}

// Schema returns the schema version stored in the database.
func (d *DB) Schema() (uint32, error) {
	var v uint32
	err := d.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(schemaKey)
		if err != nil {
			return err
		}
		return item.Value(func(b []byte) error {
			if len(b) == 4 {
				v = binary.BigEndian.Uint32(b)
			}
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

func (d *DB) gcLoop(ctx context.Context, interval time.Duration) {
	defer close(d.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			d.collectGarbage(ctx)
		}
	}
}

// collectGarbage rewrites value-log files until Badger finds nothing worth
// rewriting, as Badger's documentation recommends.
func (d *DB) collectGarbage(ctx context.Context) {
	for ctx.Err() == nil {
		err := d.db.RunValueLogGC(0.5)
		if err == nil {
			continue
		}
		if !errors.Is(err, badger.ErrNoRewrite) && !errors.Is(err, badger.ErrRejected) {
			d.log.Warn("value log gc", "err", err)
		}
		return
	}
}

// Close stops background work and closes the database. It is safe to call
// more than once.
func (d *DB) Close() error {
	var err error
	d.once.Do(func() {
		close(d.closing)
		<-d.writerDone
		d.cancel()
		<-d.done
		<-d.compactorDone
		if cerr := d.db.Close(); cerr != nil {
			err = fmt.Errorf("close database: %w", cerr)
		}
	})
	return err
}

// badgerLogger forwards Badger's log lines to slog. Badger's info lines are
// chatty (compactions, replay), so they go to debug. A line is formatted
// only when its level is enabled: Badger logs at debug level on every
// commit.
type badgerLogger struct{ log *slog.Logger }

func (l badgerLogger) Errorf(f string, a ...any)   { l.emit(slog.LevelError, f, a) }
func (l badgerLogger) Warningf(f string, a ...any) { l.emit(slog.LevelWarn, f, a) }
func (l badgerLogger) Infof(f string, a ...any)    { l.emit(slog.LevelDebug, f, a) }
func (l badgerLogger) Debugf(f string, a ...any)   { l.emit(slog.LevelDebug, f, a) }

func (l badgerLogger) emit(level slog.Level, f string, a []any) {
	if l.log.Enabled(context.Background(), level) {
		l.log.Log(context.Background(), level, trimLine(f, a))
	}
}

func trimLine(f string, a []any) string {
	return "badger: " + strings.TrimSpace(fmt.Sprintf(f, a...))
}
