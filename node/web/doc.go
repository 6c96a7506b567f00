// Package web holds the messenger page that the daemon serves on its API
// address: plain HTML, CSS and ES modules, embedded in the binary, with no
// build step and nothing loaded from elsewhere.
package web

import "embed"

// Files are the page's files: index.html, the style sheet and the
// modules, all at the top of the FS.
//
//go:embed index.html *.css *.js
var Files embed.FS

// MaxPayload caps the page's whole payload (every file it may load), as
// issue 16 asks; size_test.go holds the page to it.
const MaxPayload = 150 << 10
