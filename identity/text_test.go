package identity

import (
	"errors"
	"testing"
)

// Invisible characters (zero-width space, word joiner, BOM, fillers) are
// refused in nicknames and notes like control characters; a zero-width
// joiner inside an emoji sequence is not.
func TestTextRefusesInvisibleCharacters(t *testing.T) {
	for _, n := range []string{"👩‍💻 dev", "🏳️‍🌈", "👨‍👩‍👧 family", "👍🏽‍x"[:len("👍🏽")], "Zoë"} {
		if err := ValidateNickname(n); err != nil {
			t.Errorf("ValidateNickname(%q) = %v", n, err)
		}
	}
	for _, n := range []string{
		"a\u200Bb", "\u200B", "ali\u200Cce", "a\u200Db", "\u200Dalice", "a\u2060b", "\uFEFFalice",
		"a\u00ADb", "\u3164", "a\u115Fb", "a\u034Fb", "a\U000E0041b", "a\u180Eb",
	} {
		err := ValidateNickname(n)
		if !errors.Is(err, ErrInvalidNickname) {
			t.Errorf("ValidateNickname(%q) = %v, want ErrInvalidNickname", n, err)
		}
		if err := checkText(n, 100); err == nil {
			t.Errorf("checkText(%q) (presence notes) accepted it", n)
		}
	}
}
