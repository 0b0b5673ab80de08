// dcim console: a small single-page app on the server's API and live stream. No framework:
// views render from one store that the stream keeps current, so nothing needs a reload.
import { api, openStream } from './api.js';
import { h, fmtTime, clear } from './dom.js';
import { renderLogin } from './views/login.js';
import { renderOverview } from './views/overview.js';
import { renderBattery } from './views/battery.js';
import { renderAlarms } from './views/alarms.js';
import { renderIncidents } from './views/incidents.js';
import { renderTrends } from './views/trends.js';
import { renderStatus } from './views/status.js';
import { renderDrills } from './views/drills.js';

const ROLE_RANK = { viewer: 0, firedept: 1, operator: 1, admin: 2 };

export const store = {
  user: null,
  alarms: new Map(),
  status: new Map(),
  fireZones: new Map(),
  incidents: new Map(),
  pendingResets: [],
  points: new Map(), // "device/name" → point
  flood: null,
  banner: null,
  listeners: new Set(),
  can(role) { return this.user && ROLE_RANK[this.user.role] >= ROLE_RANK[role] && !(role !== 'viewer' && this.user.role === 'viewer'); },
  changed(kind) { for (const fn of this.listeners) fn(kind); },
};

const VIEWS = {
  overview: renderOverview, battery: renderBattery, alarms: renderAlarms, incidents: renderIncidents,
  trends: renderTrends, status: renderStatus, drills: renderDrills,
};

let stream = null;
let currentCleanup = null;

function applySnapshot(s) {
  store.alarms = new Map((s.alarms ?? []).map((a) => [a.id, a]));
  store.status = new Map((s.status ?? []).map((n) => [n.id, n]));
  store.fireZones = new Map((s.fireZones ?? []).map((z) => [`${z.site}/${z.zone}`, z]));
  store.incidents = new Map((s.incidents ?? []).map((i) => [i.id, i]));
  store.pendingResets = s.pendingResets ?? [];
  store.flood = s.flood ?? null;
}

let lastP1 = new Set();
function cueNewP1() {
  const now = new Set([...store.alarms.values()].filter((a) => a.priority === 'P1' && a.state === 'UNACK').map((a) => a.id));
  const fresh = [...now].some((id) => !lastP1.has(id));
  lastP1 = now;
  if (!fresh) return;
  document.body.classList.add('p1-flash');
  setTimeout(() => document.body.classList.remove('p1-flash'), 3000);
  try {
    const ctx = new AudioContext();
    const o = ctx.createOscillator();
    o.frequency.value = 880;
    o.connect(ctx.destination);
    o.start();
    o.stop(ctx.currentTime + 0.4);
  } catch { /* audio may be blocked until the user interacts; the visual cue stays */ }
}

function onMessage(type, d) {
  switch (type) {
    case 'hello': applySnapshot(d); break;
    case 'alarm': if (d.alarm?.id) store.alarms.set(d.alarm.id, d.alarm); else if (d.id) store.alarms.set(d.id, d); cueNewP1(); break;
    case 'status': for (const n of d.nodes ?? [d]) if (n?.id) store.status.set(n.id, n); break;
    case 'fire': {
      const k = `${d.site}/${d.zone}`;
      const z = store.fireZones.get(k) ?? { site: d.site, zone: d.zone, timeline: [] };
      Object.assign(z, { agent: d.agent, stage: d.stage, fdControl: d.fdControl, maxStage: d.maxStage, drill: d.drill, racks: d.racks });
      if (d.state) z.state = d.state;
      if (Array.isArray(d.entry?.data?.affectedRacks)) z.affectedRacks = d.entry.data.affectedRacks;
      if (d.entry) z.timeline = [...(z.timeline ?? []), d.entry].slice(-500);
      store.fireZones.set(k, z);
      break;
    }
    case 'incident': if (d.incident?.id) store.incidents.set(d.incident.id, d.incident); else if (d.id) store.incidents.set(d.id, d); break;
    case 'points': for (const p of d.points ?? []) store.points.set(`${p.device}/${p.name}`, p); break;
    case 'flood': store.flood = d; break;
    case 'banner': store.banner = d.message ? d : null; break;
    case 'command': if (d.pendingResets) store.pendingResets = d.pendingResets; break;
    default: break;
  }
  renderChrome();
  store.changed(type);
}

function renderChrome() {
  const active = [...store.alarms.values()].filter((a) => a.state === 'UNACK' || a.state === 'LATCH_UNACK' || a.state === 'RTNUN');
  document.getElementById('alarm-count').textContent = active.length ? String(active.length) : '';
  const banner = document.getElementById('banner');
  const p1 = [...store.alarms.values()].filter((a) => a.priority === 'P1' && ['UNACK', 'ACKED', 'LATCH_UNACK', 'LATCH_ACK'].includes(a.state));
  const msg = store.banner?.message ?? (p1.length ? `P1 ALARM ×${p1.length}: ${p1[0].message}${p1[0].rack ? ` (rack ${p1[0].rack})` : ''}` : '');
  banner.hidden = !msg;
  banner.textContent = msg;
}

function setLink(state) {
  const el = document.getElementById('link-state');
  el.textContent = state === 'up' ? '● live' : '○ reconnecting';
  el.className = `link-state ${state}`;
}

async function route() {
  const view = document.getElementById('view');
  const name = (location.hash.replace(/^#\//, '').split('/')[0]) || 'overview';
  for (const a of document.querySelectorAll('#nav a')) a.toggleAttribute('aria-current', a.getAttribute('href') === `#/${name}`);
  if (a11yNoUser()) return;
  currentCleanup?.();
  clear(view);
  const render = VIEWS[name] ?? renderOverview;
  currentCleanup = render(view, { store, api, params: location.hash.split('/').slice(2) }) ?? null;
}

function a11yNoUser() {
  if (store.user) return false;
  const view = document.getElementById('view');
  clear(view);
  renderLogin(view, { api, onLogin: (user) => start(user) });
  return true;
}

function start(user) {
  store.user = user;
  document.getElementById('who').textContent = `${user.username} (${user.role})`;
  document.getElementById('logout').hidden = false;
  document.body.dataset.role = user.role;
  stream?.close();
  stream = openStream({ onMessage, onState: setLink });
  route();
}

document.getElementById('logout').addEventListener('click', async () => {
  await api('/api/auth/logout', { method: 'POST' }).catch(() => {});
  stream?.close();
  store.user = null;
  document.getElementById('who').textContent = '';
  document.getElementById('logout').hidden = true;
  route();
});
document.getElementById('theme-toggle').addEventListener('click', () => {
  const root = document.documentElement;
  root.dataset.theme = root.dataset.theme === 'dark' ? 'light' : 'dark';
  localStorage.setItem('dcim-theme', root.dataset.theme);
});
window.addEventListener('dcim:unauthenticated', () => { store.user = null; stream?.close(); route(); });
window.addEventListener('hashchange', route);
document.documentElement.dataset.theme = localStorage.getItem('dcim-theme') ?? 'dark';

api('/api/auth/me').then(start).catch(() => route());
export { h, fmtTime };
