// Package storage is the only package of Parley that talks to Badger. It
// opens the node's database with options sized for a personal node, keeps a
// schema version, runs value-log garbage collection in the background, and
// offers typed stores (contacts, friend requests, messages, groups, outbox,
// profile cache) over an ordered key layout.
//
// Keys are byte prefixes followed by big-endian numbers and fixed-width IDs,
// so that Badger's ordered iteration serves pages directly (see keys.go).
// Values are JSON documents (small, debuggable, versioned together with the
// schema), except where volume matters: messages, their status records,
// outbox items and conversation summaries have compact binary forms
// (message_codec.go, status.go, outbox_codec.go, conversation_codec.go),
// and the JSON that schema version 1 wrote for them is still read.
package storage
