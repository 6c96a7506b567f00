package chat

import (
	"errors"
	"strings"
	"testing"
)

// An ID prefix that fits several lists them, with the error of its kind:
// a group's ambiguity talks about groups, a request's about IDs.
func TestResolveIDPrefix(t *testing.T) {
	ids := []string{"504b3fd3aa", "504b3fd3bb", "77aa0011"}
	same := func(s string) string { return s }
	if got, err := resolveID("friend request", "77aa", ids, same); err != nil || got != "77aa0011" {
		t.Errorf("unique prefix: %q, %v", got, err)
	}
	if got, err := resolveID("friend request", "504b3fd3bb", ids, same); err != nil || got != "504b3fd3bb" {
		t.Errorf("whole id: %q, %v", got, err)
	}
	if _, err := resolveID("friend request", "77a", ids, same); !errors.Is(err, ErrNotFound) {
		t.Errorf("a prefix under %d characters: %v, want ErrNotFound", MinIDPrefix, err)
	}
	_, err := resolveID("group", "504b", ids, same)
	if !errors.Is(err, ErrAmbiguousGroup) || !strings.Contains(err.Error(), "504b3fd3aa, 504b3fd3bb") || strings.Contains(err.Error(), "peer") {
		t.Errorf("ambiguous group prefix: %v; want ErrAmbiguousGroup listing both, not talking of peers", err)
	}
	if _, err := resolveID("friend request", "504b", ids, same); !errors.Is(err, ErrAmbiguousID) {
		t.Errorf("ambiguous request prefix: %v, want ErrAmbiguousID", err)
	}
}

// A peer ID prefix needs six characters after 12D3KooW; a suffix needs
// six after the ellipsis.
func TestPeerIDMatcher(t *testing.T) {
	k := knownPeer{id: "12D3KooWPDDegm63JkTESNwiBARWTcWv9cSd9N1oGgydttPqfY86"}
	for name, want := range map[string]bool{
		"12D3KooWPDDegm": true, "12D3KooWPDDeg": false, "…PqfY86": true, "...PqfY86": true,
		"…qfY86": false, "12D3KooWPDDegx": false, "PDDegm63": false,
	} {
		m := peerIDMatcher(name)
		if got := m != nil && m(k); got != want {
			t.Errorf("%q matches %v, want %v", name, got, want)
		}
	}
}
