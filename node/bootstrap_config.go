package node

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/libp2p/go-libp2p/core/peer"
)

// AddBootstrapToConfig adds addrs (multiaddrs ending in /p2p/<id>) to
// network.bootstrap in the config file at path. Every address is checked
// first: a malformed one, or one without /p2p/, is an error that names it,
// and then nothing is written. Addresses already there are skipped. It
// returns the new list and the addresses it added.
func AddBootstrapToConfig(path string, addrs []string) (list, added []string, err error) {
	norm := make([]string, 0, len(addrs))
	for _, a := range addrs {
		ai, err := ParsePeerAddr(a)
		if err != nil {
			return nil, nil, err
		}
		full, err := peer.AddrInfoToP2pAddrs(ai)
		if err != nil || len(full) != 1 {
			return nil, nil, fmt.Errorf("%w %q: want one address ending in /p2p/<peer id>", ErrBadAddr, a)
		}
		norm = append(norm, full[0].String())
	}
	list, err = editBootstrapConfig(path, func(cur []string) ([]string, error) {
		for _, a := range norm {
			if !slices.ContainsFunc(cur, func(c string) bool { return sameAddr(c, a) }) {
				cur = append(cur, a)
				added = append(added, a)
			}
		}
		return cur, nil
	})
	return list, added, err
}

// RemoveBootstrapFromConfig removes from network.bootstrap in the config
// file at path every entry equal to one of targets, where a target is a
// multiaddr or a peer ID (which removes all of that peer's addresses). A
// target that matches nothing is an error that names it, and then nothing
// is written. It returns the new list and the entries it removed.
func RemoveBootstrapFromConfig(path string, targets []string) (list, removed []string, err error) {
	list, err = editBootstrapConfig(path, func(cur []string) ([]string, error) {
		for _, t := range targets {
			match := bootstrapMatcher(t)
			if match == nil {
				return nil, fmt.Errorf("%w %q: give a bootstrap multiaddr or a peer id", ErrBadAddr, t)
			}
			n := len(cur)
			cur = slices.DeleteFunc(cur, func(c string) bool {
				if match(c) {
					removed = append(removed, c)
					return true
				}
				return false
			})
			if len(cur) == n {
				return nil, fmt.Errorf("%w: %s is not in network.bootstrap of %s", ErrNotBootstrap, t, path)
			}
		}
		return cur, nil
	})
	return list, removed, err
}

// bootstrapMatcher returns a test for config entries that a target names:
// the same multiaddr, or any address of a peer ID. Nil when the target is
// neither.
func bootstrapMatcher(target string) func(string) bool {
	target = strings.TrimSpace(target)
	if strings.HasPrefix(target, "/") {
		return func(c string) bool { return sameAddr(c, target) }
	}
	p, err := peer.Decode(target)
	if err != nil {
		return nil
	}
	return func(c string) bool {
		ai, err := ParsePeerAddr(c)
		return err == nil && ai.ID == p
	}
}

// sameAddr compares two multiaddrs by their binary form, so that spelling
// differences (ipfs vs p2p, spaces) don't matter.
func sameAddr(a, b string) bool {
	ai, err1 := ParsePeerAddr(a)
	bi, err2 := ParsePeerAddr(b)
	if err1 != nil || err2 != nil {
		return strings.TrimSpace(a) == strings.TrimSpace(b)
	}
	af, _ := peer.AddrInfoToP2pAddrs(ai)
	bf, _ := peer.AddrInfoToP2pAddrs(bi)
	return len(af) == 1 && len(bf) == 1 && af[0].Equal(bf[0])
}

// editBootstrapConfig rewrites network.bootstrap of the config file at
// path with edit's result, keeping the rest of the file as it was
// (comments, order; setBootstrapText). Should the file hold the key in a
// shape that edit does not handle, only the keys the file had are written
// back, without its comments. The result is validated before it replaces
// the file, atomically and with mode 0600.
func editBootstrapConfig(path string, edit func(cur []string) ([]string, error)) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	recorded, err := Home{Dir: filepath.Dir(path)}.RecordedProfile()
	if err != nil {
		return nil, err
	}
	if recorded == "" {
		recorded = ProfileDefault // as the file was before homes kept a record
	}
	cfg, err := parseConfig(data, path, recorded)
	if err != nil {
		return nil, err
	}
	next, err := edit(slices.Clone(cfg.Network.Bootstrap))
	if err != nil {
		return nil, err
	}
	if next == nil {
		next = []string{}
	}
	if edited, ok := setBootstrapText(data, next); ok {
		if got, err := parseConfig(edited, path, recorded); err == nil && slices.Equal(got.Network.Bootstrap, next) {
			if err := writeFileAtomic(path, edited, 0o600); err != nil {
				return nil, fmt.Errorf("write config %s: %w", path, err)
			}
			return next, nil
		}
	}
	// A shape the text edit does not handle: write the file anew.
	raw := make(map[string]any)
	if _, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadConfig, path, err)
	}
	netw, ok := raw["network"].(map[string]any)
	if !ok {
		netw = make(map[string]any)
		raw["network"] = netw
	}
	netw["bootstrap"] = next
	var buf bytes.Buffer
	buf.WriteString(configHeader)
	if err := toml.NewEncoder(&buf).Encode(raw); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	if _, err := parseConfig(buf.Bytes(), path, recorded); err != nil {
		return nil, fmt.Errorf("config after edit: %w", err)
	}
	if err := writeFileAtomic(path, buf.Bytes(), 0o600); err != nil {
		return nil, fmt.Errorf("write config %s: %w", path, err)
	}
	return next, nil
}
