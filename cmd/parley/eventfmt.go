package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/node/api"
	"github.com/parley-im/parley/storage"
)

// describeEvent is one line for people about an event: who, what.
func describeEvent(ev api.Event, names peerNames, groups map[string]string) string {
	var what string
	switch ev.Type {
	case chat.EventPeerConnected, chat.EventPeerDisconnected:
		var p chat.PeerEvent
		if decode(ev, &p) {
			what = fmt.Sprintf("%s %s", names.show(p.PeerID), strings.TrimPrefix(string(ev.Type), "peer_"))
			if p.Addr != "" {
				what += " (" + p.Addr + ")"
			}
		}
	case chat.EventMessage:
		var m storage.Message
		if decode(ev, &m) {
			what = describeMessage(m, names, groups)
		}
	case chat.EventReceipt:
		var r chat.ReceiptEvent
		if decode(ev, &r) {
			who, mine := conversationName(r.ConversationID, names, groups), "your message to"
			if !r.Outgoing {
				mine = "you marked a message from"
			}
			what = fmt.Sprintf("%s %s %s", statusMark(r.Status), mine, who)
			if r.Error != "" {
				what += ": " + oneLine(r.Error, 80)
			}
		}
	case chat.EventFriendRequest:
		var r storage.FriendRequest
		if decode(ev, &r) {
			dir := "from"
			if r.Outgoing {
				dir = "to"
			}
			what = fmt.Sprintf("friend request %s %s %s: %s", shortID(r.ID), dir, names.show(r.OtherPeer()), r.Status)
			if r.ReqMessage != "" {
				what += fmt.Sprintf(" (%q)", oneLine(r.ReqMessage, 60))
			}
		}
	case chat.EventContact:
		var c chat.ContactEvent
		if decode(ev, &c) {
			what = fmt.Sprintf("contact %s %s", names.show(c.Contact.UserID), c.Action)
			if c.Contact.Blocked {
				what += " (blocked)"
			}
		}
	case chat.EventGroup:
		var g chat.GroupEvent
		if decode(ev, &g) {
			what = fmt.Sprintf("group %s %s", oneLine(g.Group.GroupName, 40), g.Action)
		}
	case chat.EventProfile:
		var p chat.ProfileEvent
		if decode(ev, &p) {
			what = fmt.Sprintf("%s is now called %s", names.show(p.UserID), oneLine(p.Profile.Nickname, 40))
		}
	case chat.EventPresence:
		var p chat.PresenceEvent
		if decode(ev, &p) {
			what = fmt.Sprintf("%s is %s", names.show(p.UserID), p.Presence.Status)
			if p.Presence.Note != "" {
				what += " (" + oneLine(p.Presence.Note, 60) + ")"
			}
		}
	case chat.EventReset:
		what = "some events were missed (the daemon restarted or the reader fell behind): read the state again"
	}
	if what == "" {
		what = oneLine(string(ev.Data), 120)
	}
	return fmt.Sprintf("%s  %-17s %s", ev.Time.Local().Format("15:04:05"), ev.Type, what)
}

func decode(ev api.Event, v any) bool { return json.Unmarshal(ev.Data, v) == nil }

// describeMessage is a message on one line: with whom, and its text.
func describeMessage(m storage.Message, names peerNames, groups map[string]string) string {
	where := conversationName(m.ConversationID, names, groups)
	switch {
	case isGroupConv(m.ConversationID) && m.Outgoing:
		return fmt.Sprintf("you in %s: %s", where, oneLine(m.Content, 80))
	case isGroupConv(m.ConversationID):
		return fmt.Sprintf("%s in %s: %s", names.show(m.Sender), where, oneLine(m.Content, 80))
	case m.Outgoing:
		return fmt.Sprintf("you to %s: %s", where, oneLine(m.Content, 80))
	}
	return fmt.Sprintf("%s: %s", where, oneLine(m.Content, 80))
}

// conversationName is a conversation as people know it: a peer by name, a
// group by its name.
func conversationName(conv string, names peerNames, groups map[string]string) string {
	if isGroupConv(conv) {
		if name := groups[conv]; name != "" {
			return oneLine(name, 40)
		}
		return "a group"
	}
	return names.show(conv)
}
