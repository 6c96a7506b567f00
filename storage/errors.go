package storage

import "errors"

var (
	// ErrLocked means another process holds the database directory.
	ErrLocked = errors.New("database is in use by another process")
	// ErrSchemaTooNew means the database was written by a newer Parley.
	ErrSchemaTooNew = errors.New("database schema is newer than this program")
	// ErrNotFound means the requested record does not exist.
	ErrNotFound = errors.New("not found")
	// ErrClosed means the database was closed.
	ErrClosed = errors.New("database closed")
)

// ErrBadCursor means a history cursor is malformed.
var ErrBadCursor = errors.New("bad cursor")
