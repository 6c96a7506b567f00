package main

import (
	"context"
	"strings"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/node/api"
)

// peerNames shows peers the way people know them: a contact's remark
// name, else the nickname it published, with the short ID for the curious
// (bob (…nr3V8f)); a peer without a name shows its short ID.
type peerNames struct {
	self  string
	names map[string]string
}

// loadPeerNames reads the names of the contacts and of the extra peers (from
// the profile cache, no network lookup). Names are a courtesy: when they
// cannot be read, peers show their short IDs.
func loadPeerNames(ctx context.Context, client *api.Client, extra ...string) peerNames {
	n := peerNames{names: make(map[string]string)}
	if info, err := client.Node(ctx); err == nil {
		n.self = info.PeerID
	}
	if contacts, err := client.ContactViews(ctx, ""); err == nil {
		for _, ct := range contacts {
			switch {
			case ct.RemarkName != "":
				n.names[ct.UserID] = ct.RemarkName
			case ct.Profile != nil && ct.Profile.Nickname != "":
				n.names[ct.UserID] = ct.Profile.Nickname
			}
		}
	}
	for _, id := range extra {
		if _, ok := n.names[id]; ok || id == n.self {
			continue
		}
		if v, err := client.Whois(ctx, id, chat.WhoisOptions{CacheOnly: true}); err == nil && v.Profile != nil {
			n.names[id] = v.Profile.Nickname
		}
	}
	return n
}

// show renders a peer: name (…short id), you (…short id), or the short ID.
func (n peerNames) show(id string) string {
	short := shortPeer(id)
	switch name := n.names[id]; {
	case id == n.self && id != "":
		return "you (" + short + ")"
	case name != "":
		return oneLine(name, 32) + " (" + short + ")"
	}
	return short
}

// name is the peer's name alone, or "" when it has none.
func (n peerNames) name(id string) string { return n.names[id] }

// shortPeer abbreviates a peer ID as …abcdef, the form (with a unique
// prefix) that every command takes back.
func shortPeer(id string) string {
	if len(id) > 12 {
		return "…" + id[len(id)-chat.MinPeerPrefix:]
	}
	return id
}

// groupNames maps conversation IDs of groups to their names.
func groupNames(ctx context.Context, client *api.Client) map[string]string {
	out := make(map[string]string)
	gs, err := client.Groups(ctx)
	if err != nil {
		return out
	}
	for _, g := range gs {
		out[chat.GroupConversationID(g.GroupID)] = g.GroupName
	}
	return out
}

// shortID abbreviates a request, message or group ID to what a prefix
// needs in practice.
func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// isGroupConv reports whether a conversation ID is a group's.
func isGroupConv(id string) bool { return strings.HasPrefix(id, chat.GroupConversationID("")) }
