// Package api is the node's local control API: an HTTP server on a
// loopback address with bearer-token auth, Host and Origin checks, JSON
// requests and ServerResponse envelopes, a Server-Sent Events feed, and
// the typed Go client that the CLI and the tests use.
//
// Every response body is a ServerResponse: {"code":0,"message":"ok",
// "data":…}. A non-zero code names what went wrong (see codes.go) and comes
// with the matching HTTP status; the message says what to fix.
package api
