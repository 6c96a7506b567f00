package identity

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ValidateNickname checks a nickname: 1 to MaxNicknameLength code points of
// valid UTF-8, no control, bidirectional-override or invisible characters
// (which can make one name look like another, or look like no name), and no
// leading or trailing space. Its
// errors wrap ErrInvalidNickname and say what to fix.
func ValidateNickname(nickname string) error {
	if nickname == "" {
		return fmt.Errorf("%w: empty", ErrInvalidNickname)
	}
	if err := checkText(nickname, MaxNicknameLength); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidNickname, err)
	}
	if strings.TrimSpace(nickname) != nickname {
		return fmt.Errorf("%w: leading or trailing space", ErrInvalidNickname)
	}
	return nil
}

// avatarTypes are the MIME types an avatar may have: raster images that
// browsers render inertly. SVG is out because it can carry scripts.
var avatarTypes = map[string]bool{
	"image/png":  true,
	"image/jpeg": true,
	"image/gif":  true,
	"image/webp": true,
}

// ValidateAvatar checks an inline avatar: at most MaxAvatarSize bytes, a
// MIME type of image/png, image/jpeg, image/gif or image/webp, and content
// that sniffs (net/http.DetectContentType) as that type, so that an API
// serving it never serves something else. No avatar means no type either.
// Its errors wrap ErrInvalidAvatar.
func ValidateAvatar(avatar []byte, mimeType string) error {
	if len(avatar) == 0 {
		if mimeType != "" {
			return fmt.Errorf("%w: type %q without an image", ErrInvalidAvatar, mimeType)
		}
		return nil
	}
	if len(avatar) > MaxAvatarSize {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrInvalidAvatar, len(avatar), MaxAvatarSize)
	}
	if !avatarTypes[mimeType] {
		return fmt.Errorf("%w: type %q, want image/png, image/jpeg, image/gif or image/webp", ErrInvalidAvatar, mimeType)
	}
	if got := http.DetectContentType(avatar); got != mimeType {
		return fmt.Errorf("%w: content is %s, not %s", ErrInvalidAvatar, got, mimeType)
	}
	return nil
}

// checkText checks user-visible text: valid UTF-8, at most maxLen code
// points, no control characters, line or paragraph separators,
// bidirectional controls, or invisible characters (zero-width space and
// the other format characters, fillers that render as nothing), which can
// hide text or make one name look like another. A zero-width joiner is
// allowed inside an emoji sequence (👩‍💻), where it is what it is for.
func checkText(s string, maxLen int) error {
	if !utf8.ValidString(s) {
		return errors.New("not valid UTF-8")
	}
	n := 0
	prev := rune(-1)
	for i, r := range s {
		n++
		switch {
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || isBidiControl(r):
			return fmt.Errorf("contains control character %U", r)
		case r == zeroWidthJoiner && joinsEmoji(prev, s[i+utf8.RuneLen(r):]):
		case isInvisible(r):
			return fmt.Errorf("contains invisible character %U", r)
		}
		prev = r
	}
	if n > maxLen {
		return fmt.Errorf("%d characters, limit %d", n, maxLen)
	}
	return nil
}

const zeroWidthJoiner = '\u200D'

// isInvisible reports characters that render as nothing: the format
// characters (Cf: zero-width space and joiners, word joiner, BOM, soft
// hyphen, tags, ...), the combining grapheme joiner and the Hangul fillers.
func isInvisible(r rune) bool {
	switch r {
	case '\u034F', '\u115F', '\u1160', '\u3164', '\uFFA0':
		return true
	}
	return unicode.Is(unicode.Cf, r)
}

// joinsEmoji reports whether a zero-width joiner after prev and before
// rest sits between two emoji (prev may be the emoji's variation selector
// or skin-tone modifier).
func joinsEmoji(prev rune, rest string) bool {
	next, _ := utf8.DecodeRuneInString(rest)
	isEmoji := func(r rune) bool { return unicode.Is(unicode.So, r) }
	before := isEmoji(prev) || prev == '\uFE0F' || (prev >= 0x1F3FB && prev <= 0x1F3FF)
	return before && isEmoji(next)
}

// isBidiControl reports the explicit bidirectional formatting characters
// (marks, embeddings, overrides and isolates) used in spoofing.
func isBidiControl(r rune) bool {
	switch {
	case r == '\u061C', r == '\u200E', r == '\u200F':
		return true
	case r >= '\u202A' && r <= '\u202E':
		return true
	case r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}
