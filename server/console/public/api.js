// HTTP and live-stream client for the console. Every call goes through the server's API with
// the session cookie; a 401 sends the user back to the login form.
export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.message || body.error)) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export async function api(path, { method = 'GET', body } = {}) {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { message: text }; }
  if (!res.ok) {
    if (res.status === 401 && path !== '/api/auth/login') window.dispatchEvent(new CustomEvent('dcim:unauthenticated'));
    throw new ApiError(res.status, data);
  }
  return data;
}

/**
 * The live stream (Server-Sent Events): a `hello` snapshot, then status, alarm, fire, incident,
 * command, notification, flood, banner and points messages. Reconnects with back-off; each
 * reconnect starts from a fresh snapshot, so nothing is missed.
 */
export function openStream({ points, topics, onMessage, onState = () => {} }) {
  let es = null;
  let closed = false;
  let delay = 500;
  const connect = () => {
    if (closed) return;
    const qs = new URLSearchParams();
    if (topics) qs.set('topics', topics);
    if (points) qs.set('points', points);
    const q = qs.toString() ? `?${qs}` : '';
    es = new EventSource(`/api/stream${q}`, { withCredentials: true });
    es.onopen = () => { delay = 500; onState('up'); };
    es.onerror = () => {
      onState('down');
      es.close();
      if (!closed) setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10_000);
    };
    for (const type of ['hello', 'status', 'alarm', 'fire', 'incident', 'command', 'notification', 'flood', 'banner', 'agent', 'points', 'overflow']) {
      es.addEventListener(type, (ev) => {
        let data;
        try { data = JSON.parse(ev.data); } catch { return; }
        onMessage(type, data);
      });
    }
  };
  connect();
  return { close() { closed = true; es?.close(); } };
}
