// chat.js is the open conversation: history paged as you scroll up, live
// messages and status marks from the feed, the composer, read marking.
import { h, fill, when } from './dom.js';
import { call, enc } from './api.js';
import { state, nameOf, presenceOf } from './state.js';
import { renderList, touchConv, selectChats } from './app.js';
import { showPanel } from './panels.js';

const PAGE = 50;
const RANK = { pending: 1, sent: 2, delivered: 3, read: 4, failed: 5 };
const MARK = { pending: '…', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '!' };
const LABEL = { pending: 'sending', sent: 'sent', delivered: 'delivered', read: 'read', failed: 'failed' };

let cur = null; // the open conversation

function convID(t) { return t.kind === 'group' ? 'group:' + t.id : t.id; }

/** openConversation shows a DM ({kind: 'dm', id: peer}) or a group. */
export async function openConversation(target) {
  selectChats();
  state.open = target;
  document.querySelector('.app').classList.add('open');
  const group = target.kind === 'group' ? state.groups.get(target.id) : null;
  const title = group ? group.group_name : nameOf(target.id);
  const list = h('div', { class: 'messages', role: 'log', 'aria-label': `Messages with ${title}`, tabindex: '0' });
  const input = h('textarea', { id: 'composer', rows: '1', placeholder: 'Message', 'aria-label': `Message to ${title}`, maxlength: '65536' });
  const err = h('div', { class: 'error', role: 'alert' });
  const send = h('button', { class: 'primary', type: 'submit' }, 'Send');
  const form = h('form', { class: 'composer', onsubmit: (e) => { e.preventDefault(); submit(); } }, input, send);
  cur = { target, id: convID(target), list, input, err, ids: new Map(), next: '', done: false, loading: false, group };
  const c = cur;
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
  });
  list.addEventListener('scroll', () => { if (list.scrollTop < 150) loadOlder(c); });
  const pres = group ? `${group.members.length} members` : presenceOf(target.id);
  fill(document.getElementById('main'),
    h('header', {},
      h('button', { class: 'back', 'aria-label': 'Back to conversations', onclick: closeConversation }, '←'),
      h('h2', { id: 'conv-title' }, title),
      h('span', { class: 'muted', id: 'conv-presence' }, group ? null : h('span', { class: `dot ${pres}` }), pres),
      group ? h('button', { onclick: () => showPanel('group', target.id) }, 'Group settings') : null),
    list, err, form);
  renderList();
  await loadOlder(c);
  list.scrollTop = list.scrollHeight;
  // Fill the view: a short first page leaves nothing to scroll up with.
  while (c === cur && !c.done && list.scrollHeight <= list.clientHeight) await loadOlder(c);
  if (c === cur) { input.focus(); markRead(); }
}

function closeConversation() {
  state.open = null; cur = null;
  document.querySelector('.app').classList.remove('open');
  renderList();
  const b = document.querySelector(`[data-conv]`);
  if (b) b.focus();
}

async function loadOlder(c) {
  if (c.loading || c.done) return;
  c.loading = true;
  try {
    const base = c.target.kind === 'group' ? `/v1/groups/${enc(c.target.id)}/messages` : `/v1/conversations/${enc(c.target.id)}/messages`;
    const q = `?limit=${PAGE}` + (c.next ? `&before=${enc(c.next)}` : '');
    let page;
    try {
      page = await call('GET', base + q);
    } catch (e) {
      if (e.status === 404) { c.done = true; return; } // no history yet
      throw e;
    }
    if (c !== cur) return;
    const keep = c.list.scrollHeight - c.list.scrollTop;
    const frag = document.createDocumentFragment();
    for (const m of page.messages.slice().reverse()) if (!c.ids.has(m.id)) frag.append(msgEl(c, m));
    c.list.prepend(frag);
    c.list.scrollTop = c.list.scrollHeight - keep;
    c.next = page.next || '';
    c.done = !page.next;
  } catch (e) {
    c.err.textContent = e.message;
  } finally {
    c.loading = false;
  }
}

function msgEl(c, m) {
  let e;
  if (m.type === 'system') {
    e = h('div', { class: 'notice', dataset: { id: m.id } }, m.content);
  } else {
    e = h('div', { class: 'msg' + (m.outgoing ? ' mine' : ''), dataset: { id: m.id, status: m.status } },
      c.target.kind === 'group' && !m.outgoing ? h('div', { class: 'from' }, nameOf(m.sender)) : null,
      h('div', { class: 'text' }, m.content),
      h('div', { class: 'meta' }, h('time', { datetime: m.sent_at }, when(m.sent_at)),
        m.outgoing ? [' ', markEl(m.status, m.error)] : null));
  }
  c.ids.set(m.id, e);
  return e;
}

function markEl(status, error) {
  return h('span', { class: 'mark', dataset: { status }, title: error ? `${LABEL[status]}: ${error}` : LABEL[status], 'aria-label': LABEL[status] || status }, MARK[status] || status);
}

function append(c, m) {
  if (c.ids.has(m.id)) return;
  const atBottom = c.list.scrollHeight - c.list.scrollTop - c.list.clientHeight < 80;
  c.list.append(msgEl(c, m));
  if (atBottom || m.outgoing) c.list.scrollTop = c.list.scrollHeight;
}

function setStatus(c, id, status, error) {
  const e = c.ids.get(id);
  if (!e || !e.dataset.status) return;
  if ((RANK[status] || 0) <= (RANK[e.dataset.status] || 0)) return;
  e.dataset.status = status;
  const old = e.querySelector('.mark');
  if (old) old.replaceWith(markEl(status, error));
}

async function submit() {
  const c = cur;
  if (!c) return;
  const text = c.input.value;
  if (!text.trim()) return;
  c.err.textContent = '';
  try {
    const m = c.target.kind === 'group'
      ? await call('POST', `/v1/groups/${enc(c.target.id)}/messages`, { content: text })
      : await call('POST', '/v1/messages', { to: c.target.id, content: text });
    c.input.value = '';
    if (c === cur) append(c, m);
    touchConv(m, 0);
  } catch (e) {
    c.err.textContent = e.message;
  }
}

let reading = false;
let readAgain = false;
// markRead marks the open conversation read when the tab is visible. A
// call while one is on its way runs again after it, so that a message
// that came in meanwhile is not left unread.
async function markRead() {
  const c = cur;
  if (!c || document.visibilityState !== 'visible') return;
  if (reading) { readAgain = true; return; }
  const conv = state.convs.find((x) => x.id === c.id);
  if (conv && conv.unread === 0 && !c.pendingRead) return;
  reading = true; readAgain = false; c.pendingRead = false;
  try {
    await call('POST', c.target.kind === 'group' ? `/v1/groups/${enc(c.target.id)}/read` : `/v1/conversations/${enc(c.target.id)}/read`);
    if (conv) conv.unread = 0;
    renderList();
  } catch (e) {
    if (e.status !== 404) c.err.textContent = e.message;
  } finally {
    reading = false;
    if (readAgain) markRead();
  }
}
document.addEventListener('visibilitychange', markRead);

/** chatEvent applies a feed event to the open conversation and the list. */
export function chatEvent(ev) {
  const d = ev.data || {};
  if (ev.type === 'message') {
    const open = cur && d.conversation_id === cur.id;
    if (open) append(cur, d);
    touchConv(d, !d.outgoing && !open ? 1 : 0);
    if (open && !d.outgoing) { cur.pendingRead = true; markRead(); }
  } else if (ev.type === 'receipt') {
    if (cur && d.conversation_id === cur.id) setStatus(cur, d.message_id, d.status, d.error);
    const conv = state.convs.find((x) => x.id === d.conversation_id);
    if (conv && conv.last && conv.last.id === d.message_id && (RANK[d.status] || 0) > (RANK[conv.last.status] || 0)) conv.last.status = d.status;
  } else if ((ev.type === 'presence' || ev.type === 'contact') && cur && cur.target.kind === 'dm') {
    const p = presenceOf(cur.target.id);
    const e = document.getElementById('conv-presence');
    if (e) fill(e, h('span', { class: `dot ${p}` }), p);
  } else if (ev.type === 'group' && cur && cur.target.kind === 'group' && d.group.group_id === cur.target.id) {
    groupNotices(cur, d.group);
  } else if (ev.type === 'reset' && cur) {
    openConversation(cur.target);
  }
}

// groupNotices adds a line to the open group for what changed in it:
// members in and out, roles, the name.
function groupNotices(c, g) {
  const old = c.group;
  c.group = g;
  if (!old) return;
  const notes = [];
  const self = state.node && state.node.peer_id;
  const is = (id) => (id === self ? 'are' : 'is');
  const before = new Map(old.members.map((m) => [m.user_id, m]));
  const after = new Map(g.members.map((m) => [m.user_id, m]));
  if (old.group_name !== g.group_name) notes.push(`The group is now called ${g.group_name}`);
  for (const [id, m] of after) {
    const o = before.get(id);
    if (!o) notes.push(`${nameOf(id)} joined`);
    else if (o.role !== m.role) notes.push(`${nameOf(id)} ${is(id)} now ${m.role}`);
  }
  for (const id of before.keys()) if (!after.has(id)) notes.push(`${nameOf(id)} left`);
  if (old.status !== g.status && g.status !== 'active') notes.push(`You ${g.status === 'left' ? 'left the group' : 'were removed'}`);
  for (const n of notes) {
    c.list.append(h('div', { class: 'notice', role: 'status' }, n));
  }
  if (notes.length) c.list.scrollTop = c.list.scrollHeight;
  const e = document.getElementById('conv-presence');
  if (e) e.textContent = `${g.members.length} members`;
}
