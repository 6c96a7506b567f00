// state.js holds what the page knows, and the names it shows for peers.
import { short } from './dom.js';

/** state is the page's one store; views read it and re-render. */
export const state = {
  me: null,          // GET /v1/profile
  node: null,        // GET /v1/node
  contacts: new Map(), // user_id → contact view
  convs: [],         // GET /v1/conversations
  groups: new Map(), // group_id → group view
  requests: [],      // pending friend requests, both directions
  invites: [],       // group invitations
  view: 'chats',     // the sidebar tab
  open: null,        // {kind: 'dm'|'group', id} of the open conversation
};

/** nameOf is the name to show for a peer: remark, nickname or short ID. */
export function nameOf(id) {
  if (state.node && id === state.node.peer_id) return 'You';
  const c = state.contacts.get(id);
  return (c && (c.remark_name || (c.profile && c.profile.nickname))) || short(id);
}

/** presenceOf is a peer's status: online, away, busy or offline. */
export function presenceOf(id) {
  const c = state.contacts.get(id);
  const p = c && c.presence;
  if (!p || !p.status || p.expired) return 'offline';
  return p.status;
}

/** groupOfConv returns the group ID of a "group:<id>" conversation. */
export function groupOfConv(convID) {
  return convID.startsWith('group:') ? convID.slice(6) : '';
}
