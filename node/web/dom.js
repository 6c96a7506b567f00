// dom.js builds elements. Children and attribute values are set as text
// (Node.append of a string makes a text node), never parsed as HTML, so
// text from peers can go anywhere here.

/** h makes an element: h('button', {class: 'x', onclick: f}, 'text', child). */
export function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k === 'value') e.value = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

/** clear removes every child of e and appends the new ones. */
export function fill(e, ...children) {
  e.replaceChildren();
  for (const c of children.flat(Infinity)) if (c != null && c !== false) e.append(c instanceof Node ? c : String(c));
  return e;
}

/** short shortens a peer ID for display. */
export function short(id) {
  return id && id.length > 16 ? id.slice(0, 8) + '…' + id.slice(-6) : id || '';
}

/** when formats a time for a message list. */
export function when(t) {
  const d = new Date(t);
  if (isNaN(d)) return '';
  const now = new Date();
  const same = d.toDateString() === now.toDateString();
  return same ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString([], { month: 'short', day: 'numeric' }) + ' ' + d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** avatar shows a user's picture or the first letter of their name. */
export function avatar(name, prof) {
  if (prof && prof.avatar && /^image\/(png|jpeg|gif|webp)$/.test(prof.avatar_type || '')) {
    return h('img', { class: 'avatar', alt: '', src: `data:${prof.avatar_type};base64,${prof.avatar}` });
  }
  return h('span', { class: 'initial', 'aria-hidden': 'true' }, (name || '?').trim().charAt(0).toUpperCase() || '?');
}

/** field makes a labelled input. */
export function field(label, input) {
  return h('label', {}, label, input);
}
