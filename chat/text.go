package chat

import (
	"unicode"
	"unicode/utf8"
)

// blank reports whether text shows nothing: empty, or only white space
// and invisible format characters (zero-width space, BOM, ...). Such a
// message is refused at both ends, as an empty one is.
func blank(text []byte) bool {
	for len(text) > 0 {
		r, n := utf8.DecodeRune(text)
		if !unicode.IsSpace(r) && !unicode.Is(unicode.Cf, r) && r != '\u3164' && r != '\u115F' && r != '\u1160' && r != '\uFFA0' {
			return false
		}
		text = text[n:]
	}
	return true
}
