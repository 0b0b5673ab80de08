// Tiny DOM helpers: build elements without innerHTML (no injection from device names or messages).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) { while (el.firstChild) el.firstChild.remove(); }

export function fmtTime(ms) {
  if (!ms) return '–';
  const d = new Date(ms);
  return d.toLocaleTimeString([], { hour12: false });
}

export function fmtDateTime(ms) {
  if (!ms) return '–';
  const d = new Date(ms);
  return `${d.toISOString().slice(0, 10)} ${d.toLocaleTimeString([], { hour12: false })}`;
}

export function fmtNum(v, digits = 1) {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '–';
}

export function statusBadge(status) {
  return h('span', { class: `st ${status ?? 'Unknown'}` }, status ?? 'Unknown');
}

export function prioBadge(p) { return h('span', { class: `prio ${p}` }, p); }

/** Re-render a region when the store changes (throttled to one frame). Returns the unsubscribe. */
export function live(store, kinds, render) {
  let pending = false;
  const fn = (kind) => {
    if (kinds && !kinds.includes(kind)) return;
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; render(); });
  };
  store.listeners.add(fn);
  render();
  return () => store.listeners.delete(fn);
}
