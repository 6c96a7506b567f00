// panels.js holds the views besides the conversation: requests, groups
// and one group's settings, contacts and whois, the profile, the node.
import { h, fill, short, avatar, field } from './dom.js';
import { call, enc, signOut } from './api.js';
import { state, nameOf, presenceOf } from './state.js';
import { loadAll, renderList, renderMe } from './app.js';
import { openConversation } from './chat.js';
import { qrCanvas } from './qr.js';

let shown = null; // {view, arg, refresh}

const main = () => document.getElementById('main');

/** showPanel renders one panel into the main pane. */
export function showPanel(view, arg) {
  const make = PANELS[view];
  if (!make) return;
  state.open = null;
  const tab = view === 'group' ? 'groups' : view;
  for (const b of document.querySelectorAll('.tabs button')) b.setAttribute('aria-pressed', String(b.dataset.view === tab));
  const body = h('div', { class: 'panel' });
  const status = h('div', { class: 'error', role: 'alert' });
  // unchanged reports whether a list's data is what it drew last, so that
  // a feed event does not redraw (and take a button from under a click).
  const drawn = {};
  const unchanged = (key, data) => { const j = JSON.stringify(data); if (drawn[key] === j) return true; drawn[key] = j; return false; };
  const ctx = { arg, body, status, unchanged, run: (f) => run(status, f) };
  const p = make(ctx);
  shown = { view, arg, refresh: p.refresh };
  fill(main(), h('header', {},
    h('button', { class: 'back', 'aria-label': 'Back', onclick: () => document.querySelector('.app').classList.remove('open') }, '←'),
    h('h2', { tabindex: '-1', id: 'panel-title' }, p.title)), status, body);
  p.refresh();
  renderList();
  document.getElementById('panel-title').focus();
}

/** panelEvent refreshes the shown panel's lists after a feed event. */
export function panelEvent(ev) {
  if (!shown || state.open) return;
  const wants = { requests: ['friend_request', 'group'], groups: ['group'], group: ['group', 'contact'],
    contacts: ['contact', 'presence', 'profile'], profile: ['profile', 'presence'], node: ['node', 'peer_connected', 'peer_disconnected'] };
  if ((wants[shown.view] || []).includes(ev.type)) shown.refresh();
}

// run calls f and shows its error, if any, in the panel's alert line.
async function run(status, f) {
  status.textContent = '';
  try { await f(); } catch (e) { status.textContent = e.message; }
}

function friends() {
  return [...state.contacts.values()].filter((c) => c.friend && !c.blocked);
}

const PANELS = { requests: requestsPanel, groups: groupsPanel, group: groupPanel, contacts: contactsPanel, profile: profilePanel, node: nodePanel };

function requestsPanel(ctx) {
  const list = h('div');
  const peer = h('input', { id: 'req-peer', required: true, placeholder: '12D3KooW…', size: '40', autocomplete: 'off' });
  const msg = h('input', { id: 'req-msg', placeholder: 'Hi, it’s me', size: '30' });
  const form = h('form', { class: 'form', onsubmit: (e) => { e.preventDefault(); ctx.run(async () => {
    await call('POST', '/v1/friend-requests', { peer: peer.value.trim(), message: msg.value });
    peer.value = ''; msg.value = '';
    await refresh();
  }); } }, field('Peer ID', peer), field('Message (optional)', msg), h('button', { class: 'primary', type: 'submit' }, 'Send request'));
  fill(ctx.body, h('section', {}, h('h3', {}, 'Add a friend'), form), list);
  async function refresh() {
    state.requests = await call('GET', '/v1/friend-requests?status=pending');
    state.invites = await call('GET', '/v1/group-invites');
    if (ctx.unchanged('requests', [state.requests, state.invites])) return;
    const act = (r, a) => () => ctx.run(async () => { await call('POST', `/v1/friend-requests/${enc(r.id)}/${a}`, undefined); await loadAll(); await refresh(); renderList(); });
    const incoming = state.requests.filter((r) => !r.outgoing);
    const outgoing = state.requests.filter((r) => r.outgoing);
    fill(list,
      h('section', {}, h('h3', {}, 'Incoming'), h('ul', { class: 'rows', id: 'req-in' }, incoming.length ? incoming.map((r) => h('li', { dataset: { peer: r.req_user_id } },
        h('span', { class: 'grow' }, h('span', { class: 'mono' }, r.req_user_id), r.req_message ? h('div', {}, '“', r.req_message, '”') : null),
        h('button', { class: 'primary', onclick: act(r, 'accept') }, 'Accept'),
        h('button', { onclick: act(r, 'reject') }, 'Reject'))) : h('li', { class: 'muted' }, 'None.'))),
      h('section', {}, h('h3', {}, 'Sent'), h('ul', { class: 'rows', id: 'req-out' }, outgoing.length ? outgoing.map((r) => h('li', { dataset: { peer: r.user_id } },
        h('span', { class: 'grow mono' }, r.user_id), h('span', { class: 'muted' }, 'waiting'),
        h('button', { onclick: act(r, 'cancel') }, 'Cancel'))) : h('li', { class: 'muted' }, 'None.'))),
      h('section', {}, h('h3', {}, 'Group invitations'), h('ul', { class: 'rows' }, state.invites.length ? state.invites.map((g) => h('li', {},
        h('span', { class: 'grow' }, g.group_name, ' ', h('span', { class: 'muted' }, 'from ', nameOf(g.invited_by))),
        h('button', { class: 'primary', onclick: () => ctx.run(async () => { await call('POST', `/v1/group-invites/${enc(g.group_id)}/accept`); await refresh(); }) }, 'Join'),
        h('button', { onclick: () => ctx.run(async () => { await call('POST', `/v1/group-invites/${enc(g.group_id)}/decline`); await refresh(); }) }, 'Decline'))) : h('li', { class: 'muted' }, 'None.'))));
  }
  return { title: 'Friend requests', refresh: () => ctx.run(refresh) };
}

function memberChecks(name) {
  const fs = friends();
  return h('fieldset', {}, h('legend', {}, 'Members'), fs.length ? fs.map((c) => h('label', {},
    h('input', { type: 'checkbox', name, value: c.user_id }), ' ', nameOf(c.user_id))) : h('span', { class: 'muted' }, 'No friends yet.'));
}

function groupsPanel(ctx) {
  const list = h('ul', { class: 'rows' });
  const name = h('input', { id: 'group-name', required: true, maxlength: '64' });
  const checks = memberChecks('member');
  const form = h('form', { class: 'form', onsubmit: (e) => { e.preventDefault(); ctx.run(async () => {
    const members = [...checks.querySelectorAll('input:checked')].map((i) => i.value);
    const g = await call('POST', '/v1/groups', { name: name.value.trim(), members });
    state.groups.set(g.group_id, g);
    openConversation({ kind: 'group', id: g.group_id });
  }); } }, field('Name', name), checks, h('button', { class: 'primary', type: 'submit' }, 'Create group'));
  fill(ctx.body, h('section', {}, h('h3', {}, 'New group'), form), h('section', {}, h('h3', {}, 'Your groups'), list));
  async function refresh() {
    const gs = await call('GET', '/v1/groups');
    state.groups = new Map(gs.map((g) => [g.group_id, g]));
    if (ctx.unchanged('groups', gs)) return;
    fill(list, gs.length ? gs.map((g) => h('li', {},
      h('span', { class: 'grow' }, g.group_name, ' ', h('span', { class: 'muted' }, `${g.status}, ${g.members.length} members, you: ${g.role || '-'}`)),
      h('button', { onclick: () => openConversation({ kind: 'group', id: g.group_id }) }, 'Open'),
      h('button', { onclick: () => showPanel('group', g.group_id) }, 'Settings'))) : h('li', { class: 'muted' }, 'No groups yet.'));
  }
  return { title: 'Groups', refresh: () => ctx.run(refresh) };
}

function groupPanel(ctx) {
  const gid = ctx.arg;
  const base = `/v1/groups/${enc(gid)}`;
  const top = h('div');
  const members = h('ul', { class: 'rows', id: 'group-members' });
  fill(ctx.body, top, h('section', {}, h('h3', {}, 'Members'), members));
  async function refresh() {
    const g = await call('GET', base);
    state.groups.set(gid, g);
    if (ctx.unchanged('group', [g, friends().map((c) => c.user_id)])) return;
    const admin = g.role === 'owner' || g.role === 'admin';
    const rename = h('input', { id: 'group-rename', value: g.group_name, maxlength: '64' });
    const invite = h('select', { id: 'group-invite' }, friends().filter((c) => !g.members.some((m) => m.user_id === c.user_id))
      .map((c) => h('option', { value: c.user_id }, nameOf(c.user_id))));
    const act = (f) => () => ctx.run(async () => { await f(); await refresh(); });
    fill(top,
      h('p', {}, h('button', { onclick: () => openConversation({ kind: 'group', id: gid }) }, 'Open conversation'), ' ',
        h('span', { class: 'muted' }, `You are ${g.role || 'not a member'} (${g.status}).`)),
      admin ? h('section', {}, h('h3', {}, 'Rename'), h('form', { class: 'form', onsubmit: (e) => { e.preventDefault(); act(() => call('PATCH', base, { name: rename.value.trim() }))(); } },
        field('Name', rename), h('button', { id: 'group-rename-go', type: 'submit' }, 'Rename'))) : null,
      admin && invite.options.length ? h('section', {}, h('h3', {}, 'Invite'), h('form', { class: 'form', onsubmit: (e) => { e.preventDefault(); if (invite.value) act(() => call('POST', base + '/members', { peer: invite.value }))(); } },
        field('Friend', invite), h('button', { type: 'submit' }, 'Invite'))) : null,
      h('section', {}, g.status === 'active'
        ? h('button', { class: 'danger', onclick: act(() => call('POST', base + '/leave')) }, 'Leave group')
        : h('button', { class: 'danger', onclick: () => ctx.run(async () => { await call('DELETE', base); await loadAll(); showPanel('groups'); }) }, 'Forget group')));
    fill(members, g.members.map((m) => h('li', { dataset: { peer: m.user_id } },
      h('span', { class: 'grow' }, nameOf(m.user_id), ' ', h('span', { class: 'muted' }, m.role)),
      g.role === 'owner' && m.role === 'member' ? h('button', { onclick: act(() => call('PUT', `${base}/admins/${enc(m.user_id)}`)) }, 'Promote') : null,
      g.role === 'owner' && m.role === 'admin' ? h('button', { onclick: act(() => call('DELETE', `${base}/admins/${enc(m.user_id)}`)) }, 'Demote') : null,
      admin && m.role !== 'owner' && m.user_id !== state.node.peer_id ? h('button', { class: 'danger', dataset: { act: 'remove' }, onclick: act(() => call('DELETE', `${base}/members/${enc(m.user_id)}`)) }, 'Remove') : null)));
  }
  const g = state.groups.get(gid);
  return { title: g ? g.group_name : 'Group', refresh: () => ctx.run(refresh) };
}

function contactsPanel(ctx) {
  const list = h('ul', { class: 'rows', id: 'contacts' });
  const who = h('input', { id: 'whois-peer', required: true, placeholder: 'peer ID or remark', size: '40' });
  const out = h('div', { id: 'whois-out', 'aria-live': 'polite' });
  const whois = h('form', { class: 'form', onsubmit: (e) => { e.preventDefault(); ctx.run(async () => {
    const u = await call('GET', `/v1/users/${enc(who.value.trim())}`);
    const p = u.profile;
    fill(out, h('p', {}, avatar(p && p.nickname, p), ' ', h('strong', {}, p ? p.nickname : '(no profile found)'), ' ',
      h('span', { class: 'mono' }, u.user_id)),
    h('p', { class: 'muted' }, `presence: ${u.presence.status || 'offline'}`, u.presence.note ? ` — ${u.presence.note}` : '',
      p ? `; profile from ${p.source}` : ''),
    (u.warnings || []).map((w) => h('p', { class: 'muted' }, w)));
  }); } }, field('Whois', who), h('button', { id: 'whois-go', type: 'submit' }, 'Look up'));
  fill(ctx.body, h('section', {}, h('h3', {}, 'Contacts'), list), h('section', {}, h('h3', {}, 'Look up a user'), whois, out));
  async function refresh() {
    const cs = await call('GET', '/v1/contacts');
    state.contacts = new Map(cs.map((c) => [c.user_id, c]));
    if (ctx.unchanged('contacts', cs)) return;
    fill(list, cs.length ? cs.map((c) => {
      const remark = h('input', { value: c.remark_name || '', 'aria-label': `Remark for ${nameOf(c.user_id)}`, size: '12', placeholder: 'remark' });
      const labels = h('input', { value: (c.labels || []).join(', '), 'aria-label': `Labels for ${nameOf(c.user_id)}`, size: '14', placeholder: 'labels' });
      const act = (f) => () => ctx.run(async () => { await f(); await refresh(); renderList(); });
      const pres = presenceOf(c.user_id);
      return h('li', { dataset: { peer: c.user_id } },
        avatar(nameOf(c.user_id), c.profile),
        h('span', { class: 'grow' }, h('span', { class: `dot ${pres}`, title: pres }), nameOf(c.user_id), ' ',
          h('span', { class: 'muted' }, c.blocked ? 'blocked' : c.friend ? pres : 'not a friend'),
          c.presence && c.presence.note ? h('div', { class: 'muted' }, c.presence.note) : null,
          h('div', { class: 'mono muted' }, short(c.user_id))),
        remark, labels,
        h('button', { onclick: act(() => call('PATCH', `/v1/contacts/${enc(c.user_id)}`, {
          remark_name: remark.value.trim(), labels: labels.value.split(',').map((s) => s.trim()).filter(Boolean) })) }, 'Save'),
        c.friend && !c.blocked ? h('button', { onclick: () => openConversation({ kind: 'dm', id: c.user_id }) }, 'Message') : null,
        h('button', { dataset: { act: 'block' }, onclick: act(() => call(c.blocked ? 'DELETE' : 'PUT', `/v1/blocks/${enc(c.user_id)}`)) }, c.blocked ? 'Unblock' : 'Block'),
        c.friend ? h('button', { class: 'danger', onclick: act(() => call('DELETE', `/v1/contacts/${enc(c.user_id)}`)) }, 'Unfriend') : null);
    }) : h('li', { class: 'muted' }, 'No contacts yet.'));
  }
  return { title: 'Contacts', refresh: () => ctx.run(refresh) };
}

function profilePanel(ctx) {
  const view = h('div');
  const nick = h('input', { id: 'nickname', maxlength: '64', required: true });
  const file = h('input', { id: 'avatar-file', type: 'file', accept: 'image/png,image/jpeg,image/gif,image/webp' });
  const preview = h('img', { class: 'preview', alt: 'Avatar preview', hidden: true });
  const upload = h('button', { id: 'avatar-upload', type: 'submit', disabled: true }, 'Upload avatar');
  file.addEventListener('change', () => {
    const f = file.files[0];
    if (preview.src.startsWith('blob:')) URL.revokeObjectURL(preview.src);
    if (f) { preview.src = URL.createObjectURL(f); preview.hidden = false; }
    upload.disabled = !f;
  });
  const status = h('select', { id: 'presence-status' }, ['online', 'away', 'busy', 'invisible', 'offline'].map((s) => h('option', { value: s }, s)));
  const note = h('input', { id: 'presence-note', maxlength: '140', size: '30' });
  const me = () => state.me || {};
  const save = (f) => ctx.run(async () => { await f(); state.me = await call('GET', '/v1/profile'); refresh(); renderMe(); });
  fill(ctx.body, view,
    h('section', {}, h('h3', {}, 'Nickname'), h('form', { class: 'form', onsubmit: (e) => { e.preventDefault(); save(() => call('PUT', '/v1/profile', { nickname: nick.value.trim() })); } },
      field('Nickname', nick), h('button', { class: 'primary', type: 'submit' }, 'Save'))),
    h('section', {}, h('h3', {}, 'Avatar'), h('form', { class: 'form', onsubmit: (e) => { e.preventDefault(); const f = file.files[0]; if (f) save(() => call('PUT', '/v1/profile/avatar', f, f.type || 'application/octet-stream')); } },
      field('Image (PNG, JPEG, GIF, WebP; up to 4 MiB)', file), preview, upload,
      h('button', { type: 'button', onclick: () => save(() => call('DELETE', '/v1/profile/avatar')) }, 'Remove avatar'))),
    h('section', {}, h('h3', {}, 'Presence'), h('form', { class: 'form', onsubmit: (e) => { e.preventDefault(); save(() => call('PUT', '/v1/presence', { status: status.value, note: note.value })); } },
      field('Status', status), field('Note', note), h('button', { id: 'presence-go', class: 'primary', type: 'submit' }, 'Set'))),
    h('section', {}, h('button', { id: 'sign-out', onclick: () => ctx.run(async () => { await signOut(); location.reload(); }) }, 'Sign out of this page')));
  let first = true;
  function refresh() {
    const m = me();
    if (first) { nick.value = m.nickname || ''; status.value = (m.presence && m.presence.status) || 'online'; note.value = (m.presence && m.presence.note) || ''; first = false; }
    fill(view, h('p', {}, avatar(m.nickname, m), ' ', h('strong', {}, m.nickname || 'No nickname yet'), ' ',
      h('span', { class: 'muted' }, m.presence ? m.presence.status : '')));
  }
  return { title: 'Your profile', refresh };
}

function nodePanel(ctx) {
  const view = h('div');
  fill(ctx.body, view);
  async function refresh() {
    const [n, peers, boot] = await Promise.all([call('GET', '/v1/node'), call('GET', '/v1/peers'), call('GET', '/v1/bootstrap')]);
    state.node = n;
    const copied = h('span', { class: 'muted', 'aria-live': 'polite' });
    const addrs = (title, xs) => h('section', {}, h('h3', {}, title), xs && xs.length ? h('ul', { class: 'rows' }, xs.map((a) => h('li', { class: 'mono' }, a))) : h('p', { class: 'muted' }, 'None.'));
    let qr;
    try { qr = qrCanvas(n.peer_id); qr.classList.add('qr'); qr.setAttribute('role', 'img'); qr.setAttribute('aria-label', 'QR code of your peer ID'); } catch (e) { qr = h('p', { class: 'error' }, e.message); }
    fill(view,
      h('section', {}, h('h3', {}, 'Peer ID'), h('p', { class: 'mono', id: 'peer-id' }, n.peer_id),
        h('button', { onclick: async () => { try { await navigator.clipboard.writeText(n.peer_id); copied.textContent = ' copied'; } catch { copied.textContent = ' copy failed: select the ID and copy it'; } } }, 'Copy'), copied,
        h('div', {}, qr)),
      h('p', {}, `Reachability: ${n.reachability}. Version ${n.version}, profile ${n.profile}, up ${Math.round(n.uptime_seconds / 60)} min.`),
      addrs('Listening on', n.listen_addrs), addrs('Announced', n.addrs), addrs('Relay addresses', n.relay_addrs),
      h('section', {}, h('h3', {}, `Peers (${peers.length})`), h('ul', { class: 'rows' }, peers.map((p) => h('li', {},
        h('span', { class: 'grow' }, nameOf(p.peer_id), ' ', h('span', { class: 'mono muted' }, p.addr)),
        h('span', { class: 'muted' }, `${p.direction}${p.relayed ? ', relayed' : ', direct'}${p.latency_ms ? `, ${Math.round(p.latency_ms)} ms` : ''}`))))),
      h('section', {}, h('h3', {}, 'Bootstrap peers'), (boot || []).length ? h('ul', { class: 'rows' }, boot.map((b) => h('li', {},
        h('span', { class: 'grow mono' }, b.peer_id), h('span', { class: b.connected ? '' : 'muted' }, b.connected ? 'connected' : (b.last_error || 'not connected'))))) : h('p', { class: 'muted' }, 'None.')));
  }
  return { title: 'Your node', refresh: () => ctx.run(refresh) };
}
