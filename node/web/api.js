// api.js talks to the node's API with the page's session token, which
// lives in sessionStorage (this tab only, kept across reloads) and goes in
// an Authorization header, never in a cookie.

const KEY = 'parley.session';
let onSignedOut = () => {};

/** ApiError is a failed API call: the envelope's code and message. */
export class ApiError extends Error {
  constructor(code, message, status) { super(message); this.code = code; this.status = status; }
}

/** whenSignedOut sets what happens when the session ends (401). */
export function whenSignedOut(f) { onSignedOut = f; }

/** signedIn reports whether this tab holds a session token. */
export function signedIn() { return !!sessionStorage.getItem(KEY); }

/**
 * redeemLink trades the one-time code in the URL fragment (#code=…) for a
 * session, and removes the code from the address bar and history.
 */
export async function redeemLink() {
  const m = /(?:^#|&)code=([A-Za-z0-9_-]+)/.exec(location.hash);
  if (!m) return false;
  history.replaceState(null, '', location.pathname);
  const r = await fetch('/v1/ui/sessions', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: m[1] }),
  });
  const env = await r.json();
  if (env.code !== 0) throw new ApiError(env.code, env.message, r.status);
  sessionStorage.setItem(KEY, env.data.token);
  return true;
}

/** signOut ends this tab's session on the node. */
export async function signOut() {
  try { await call('DELETE', '/v1/ui/session'); } finally { sessionStorage.removeItem(KEY); }
}

function authHeaders(extra = {}) {
  return { ...extra, Authorization: 'Bearer ' + (sessionStorage.getItem(KEY) || '') };
}

/** call sends one request and returns the envelope's data. */
export async function call(method, path, body, contentType) {
  const init = { method, headers: authHeaders() };
  if (body !== undefined) {
    if (contentType) { init.headers['Content-Type'] = contentType; init.body = body; }
    else { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
  }
  const r = await fetch(path, init);
  let env;
  try { env = await r.json(); } catch { throw new ApiError(-1, `${method} ${path}: HTTP ${r.status}`, r.status); }
  if (r.status === 401) { sessionStorage.removeItem(KEY); onSignedOut(env.message); }
  if (env.code !== 0) throw new ApiError(env.code, env.message, r.status);
  return env.data;
}

/** enc escapes one path segment. */
export const enc = encodeURIComponent;

/**
 * follow reads the event feed (Server-Sent Events over fetch, since
 * EventSource cannot send a header) until signal aborts, resuming after a
 * dropped connection with Last-Event-ID. onOpen runs on every connection,
 * with whether it resumed.
 */
export async function follow({ onEvent, onOpen, onDown, signal }) {
  let last = '';
  let delay = 500;
  while (!signal.aborted) {
    try {
      const headers = authHeaders(last ? { 'Last-Event-ID': last } : {});
      const r = await fetch('/v1/events', { headers, signal });
      if (r.status === 401) { sessionStorage.removeItem(KEY); onSignedOut('session ended'); return; }
      if (!r.ok) throw new Error(`events: HTTP ${r.status}`);
      onOpen(!!last);
      delay = 500;
      const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const ev = parseBlock(buf.slice(0, i));
          buf = buf.slice(i + 2);
          if (!ev) continue;
          if (ev.id) last = String(ev.id);
          onEvent(ev);
        }
      }
    } catch (e) {
      if (signal.aborted) return;
      console.warn('event feed:', e);
    }
    onDown();
    await new Promise((res) => setTimeout(res, delay));
    delay = Math.min(delay * 2, 10000);
  }
}

function parseBlock(block) {
  let data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith('data:')) data += line.slice(5).trimStart();
  }
  if (!data) return null;
  try { return JSON.parse(data); } catch { return null; }
}
