// app.js starts the page: sign-in, the first load, the event feed, the
// sidebar and the conversation list.
import { h, fill, avatar, when } from './dom.js';
import { call, follow, redeemLink, signedIn, whenSignedOut } from './api.js';
import { state, nameOf, presenceOf, groupOfConv } from './state.js';
import { openConversation, chatEvent } from './chat.js';
import { showPanel, panelEvent } from './panels.js';

const $ = (id) => document.getElementById(id);
let feed = null;

async function main() {
  whenSignedOut(showSignIn);
  try {
    await redeemLink();
  } catch (e) {
    showSignIn(e.message);
    return;
  }
  if (!signedIn()) { showSignIn(); return; }
  $('signin').hidden = true;
  $('app').hidden = false;
  for (const b of document.querySelectorAll('.tabs button')) b.addEventListener('click', () => selectView(b.dataset.view));
  selectView('chats');
  // Escape goes back from a conversation or panel to the list (the only
  // way back on a narrow screen).
  document.addEventListener('keydown', (e) => {
    const app = document.querySelector('.app');
    if (e.key !== 'Escape' || !app.classList.contains('open')) return;
    app.classList.remove('open');
    const b = document.querySelector('#conv-list [aria-current="true"]') || document.querySelector('.tabs [aria-pressed="true"]');
    if (b) b.focus();
  });
  const t0 = performance.now();
  await loadAll();
  renderList();
  window.parleyFirstRender = performance.now() - t0;
  document.body.dataset.ready = 'true';
  startFeed();
}

function showSignIn(msg) {
  if (feed) { feed.abort(); feed = null; }
  $('app').hidden = true;
  $('signin').hidden = false;
  if (msg) $('signin-msg').textContent = msg;
}

/** loadAll fetches everything the sidebar shows. */
export async function loadAll() {
  const [me, node, contacts, convs, groups, reqs, invites] = await Promise.all([
    call('GET', '/v1/profile'), call('GET', '/v1/node'), call('GET', '/v1/contacts'),
    call('GET', '/v1/conversations'), call('GET', '/v1/groups'),
    call('GET', '/v1/friend-requests?status=pending'), call('GET', '/v1/group-invites'),
  ]);
  state.me = me; state.node = node; state.convs = convs;
  state.contacts = new Map(contacts.map((c) => [c.user_id, c]));
  state.groups = new Map(groups.map((g) => [g.group_id, g]));
  state.requests = reqs; state.invites = invites;
  renderMe();
}

/** renderMe draws the owner's name, avatar and the waiting-requests badge. */
export function renderMe() {
  const me = state.me;
  $('me-name').textContent = (me && me.nickname) || 'No nickname yet';
  const img = $('me-avatar');
  if (me && me.avatar) { img.src = `data:${me.avatar_type};base64,${me.avatar}`; img.hidden = false; } else img.hidden = true;
  const badge = $('req-badge');
  const incoming = state.requests.filter((r) => !r.outgoing).length + state.invites.length;
  badge.textContent = incoming; badge.hidden = incoming === 0;
  badge.setAttribute('aria-label', `${incoming} waiting`);
}

/** selectChats shows the conversation list without closing anything. */
export function selectChats() {
  state.view = 'chats';
  for (const b of document.querySelectorAll('.tabs button')) b.setAttribute('aria-pressed', String(b.dataset.view === 'chats'));
}

function selectView(view) {
  state.view = view;
  for (const b of document.querySelectorAll('.tabs button')) b.setAttribute('aria-pressed', String(b.dataset.view === view));
  if (view === 'chats') {
    // The list is always in the sidebar; on a narrow screen, show it.
    document.querySelector('.app').classList.remove('open');
    if (!state.open) showEmpty();
  } else {
    state.open = null;
    showPanel(view);
    document.querySelector('.app').classList.add('open');
  }
  renderList();
}

function showEmpty() {
  fill($('main'), h('div', { class: 'empty' }, 'Choose a conversation, or add a friend under Requests.'));
}

let drawnList = '';

/** renderList draws the conversation list (only when it changed, so that
 * a feed event does not take a button from under a click). */
export function renderList() {
  const rows = state.convs.map((c) => {
    const gid = groupOfConv(c.id);
    const g = gid && state.groups.get(gid);
    const last = c.last || {};
    const current = !!state.open && state.open.id === (gid || c.id);
    const contact = state.contacts.get(c.id);
    return {
      id: c.id, gid, current, unread: current ? 0 : c.unread,
      title: gid ? (g ? g.group_name : 'Group') : nameOf(c.id),
      pres: gid ? null : presenceOf(c.id),
      who: gid && last.sender ? nameOf(last.sender) + ': ' : (last.outgoing ? 'You: ' : ''),
      text: last.content || '', at: last.sent_at, prof: contact && contact.profile ? contact.profile.seq : 0,
    };
  });
  const key = JSON.stringify(rows);
  if (key === drawnList) return;
  drawnList = key;
  const items = rows.map((r) => {
    const contact = state.contacts.get(r.id);
    return h('li', {},
      h('button', {
        'aria-current': String(r.current), dataset: { conv: r.id },
        'aria-label': `${r.title}${r.pres ? ', ' + r.pres : ''}${r.unread ? `, ${r.unread} unread` : ''}`,
        onclick: () => openConversation(r.gid ? { kind: 'group', id: r.gid } : { kind: 'dm', id: r.id }),
      },
      avatar(r.title, contact && contact.profile),
      h('span', { class: 'title' }, r.pres ? h('span', { class: `dot ${r.pres}`, title: r.pres }) : null, r.title),
      r.unread ? h('span', { class: 'badge unread' }, String(r.unread)) : h('span', { class: 'muted last' }, when(r.at)),
      h('span', { class: 'last' }, r.who + r.text),
      ));
  });
  fill(document.getElementById('conv-list'), items.length ? items : h('li', { class: 'empty' }, 'No conversations yet.'));
}

/** touchConv moves a conversation to the top with m as its last message. */
export function touchConv(m, unreadDelta) {
  let c = state.convs.find((x) => x.id === m.conversation_id);
  if (!c) { c = { id: m.conversation_id, unread: 0 }; state.convs.unshift(c); }
  c.last = m; c.updated_at = m.sent_at; c.unread = Math.max(0, (c.unread || 0) + unreadDelta);
  state.convs.sort((a, b) => new Date(b.updated_at) - new Date(a.updated_at));
  renderList();
}

function startFeed() {
  feed = new AbortController();
  follow({
    signal: feed.signal,
    onOpen: async (resumed) => {
      $('conn').textContent = 'connected';
      // A fresh stream starts at now: reload what may have changed before it.
      if (!resumed) { await loadAll(); renderList(); }
    },
    onDown: () => { $('conn').textContent = 'reconnecting…'; },
    onEvent: async (ev) => {
      if (ev.type === 'reset') { await loadAll(); renderList(); chatEvent(ev); return; }
      await applyEvent(ev);
    },
  });
}

async function applyEvent(ev) {
  const d = ev.data || {};
  switch (ev.type) {
    case 'contact':
      if (d.action === 'removed') state.contacts.delete(d.contact.user_id);
      else state.contacts.set(d.contact.user_id, { ...state.contacts.get(d.contact.user_id), ...d.contact });
      break;
    case 'profile': {
      const c = state.contacts.get(d.user_id);
      if (c) c.profile = d.profile;
      if (state.node && d.user_id === state.node.peer_id) state.me = await call('GET', '/v1/profile');
      break;
    }
    case 'presence': {
      const c = state.contacts.get(d.user_id);
      if (c) c.presence = d.presence;
      break;
    }
    case 'friend_request':
      state.requests = await call('GET', '/v1/friend-requests?status=pending');
      break;
    case 'group':
      if (d.action === 'deleted') state.groups.delete(d.group.group_id);
      else state.groups.set(d.group.group_id, d.group);
      state.invites = await call('GET', '/v1/group-invites');
      break;
  }
  chatEvent(ev);
  panelEvent(ev);
  renderMe();
  renderList();
}

main();
