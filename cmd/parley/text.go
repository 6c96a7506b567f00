package main

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text that came from peers (messages, nicknames, group names, notes,
// request messages) is data: before it reaches a terminal every character
// that could move the cursor, clear the screen, change colours, reorder
// the line or hide itself is shown as an escape instead (\x1b, \u202e).

// visible returns s on one line with every control, format (zero-width,
// bidi) and line-separating character shown as a Go-style escape.
func visible(s string) string {
	var b strings.Builder
	for _, r := range s {
		writeVisible(&b, r)
	}
	return b.String()
}

func writeVisible(b *strings.Builder, r rune) {
	switch {
	case r == unicode.ReplacementChar:
		b.WriteRune(r)
	case r == '\n':
		b.WriteString(`\n`)
	case r == '\r':
		b.WriteString(`\r`)
	case r == '\t':
		b.WriteString(`\t`)
	case r < 0x20 || (r >= 0x7f && r < 0xa0):
		fmt.Fprintf(b, `\x%02x`, r)
	case unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' || !unicode.IsPrint(r) && !unicode.IsSpace(r):
		fmt.Fprintf(b, `\u%04x`, r)
	case unicode.IsSpace(r) && r != ' ':
		b.WriteByte(' ') // odd spaces (NBSP, ideographic) would misalign only
	default:
		b.WriteRune(r)
	}
}

// textBlock renders a message's text for a terminal: each of its lines
// made visible, the second and later ones starting on a new line after
// indent, so that a message can never print a line that looks like
// another entry of the history. Tabs become spaces.
func textBlock(s, indent string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(strings.Map(func(r rune) rune {
		if isLineBreak(r) {
			return '\n'
		}
		return r
	}, s), "\n")
	for i, l := range lines {
		lines[i] = visible(strings.ReplaceAll(l, "\t", "    "))
	}
	return strings.Join(lines, "\n"+indent)
}

// entry is a history line: prefix (time, direction or author) and the
// message's text, its continuation lines indented under the text.
func entry(prefix, text string) string {
	return prefix + textBlock(text, strings.Repeat(" ", utf8.RuneCountInString(prefix)))
}

// isLineBreak reports the characters a terminal or a reader takes as the
// end of a line.
func isLineBreak(r rune) bool {
	switch r {
	case '\n', '\r', '\v', '\f', '\u0085', '\u2028', '\u2029':
		return true
	}
	return false
}

// oneLine shortens s to at most n runes on one line, made visible.
func oneLine(s string, n int) string {
	s = visible(strings.Join(strings.Fields(s), " "))
	r := []rune(s)
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
