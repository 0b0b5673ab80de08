// Status of devices, agents, rooms, zones and services, with the dependency view:
// "what is affected if X fails" and "why is Y not Up".
import { h, clear, statusBadge, fmtTime, live } from '../dom.js';

export function renderStatus(view, { store, api }) {
  const tbody = h('tbody');
  const detail = h('div', { class: 'panel', id: 'status-detail' }, h('h2', {}, 'Dependencies'), h('p', { class: 'sub' }, 'Pick an element to see why it is not Up and what depends on it.'));
  view.append(h('div', { class: 'grid', style: 'grid-template-columns: 2fr 1fr' },
    h('section', { class: 'panel' }, h('h2', {}, 'Status'), h('table', {}, h('thead', {}, h('tr', {}, ...['Element', 'Kind', 'Status', 'Reason', 'Since'].map((t) => h('th', {}, t)))), tbody)),
    detail));
  const show = async (id) => {
    clear(detail);
    detail.append(h('h2', {}, id));
    try {
      const [why, impact] = await Promise.all([api(`/api/status/${encodeURIComponent(id)}/why`), api(`/api/status/${encodeURIComponent(id)}/impact`)]);
      detail.append(h('h3', {}, 'Why is it not Up?'), h('pre', {}, JSON.stringify(why, null, 2)),
        h('h3', {}, 'What is affected if it fails?'), h('pre', {}, JSON.stringify(impact, null, 2)));
    } catch (e) { detail.append(h('p', { class: 'error' }, e.message)); }
  };
  const order = { Down: 0, Unknown: 1, Warning: 2, Maintenance: 3, Up: 4 };
  const render = () => {
    clear(tbody);
    const nodes = [...store.status.values()].sort((a, b) => (order[a.status] ?? 9) - (order[b.status] ?? 9) || a.id.localeCompare(b.id));
    for (const n of nodes) {
      tbody.append(h('tr', { dataset: { node: n.id } },
        h('td', {}, h('a', { href: '#/status', onclick: (e) => { e.preventDefault(); show(n.id); } }, n.name ?? n.id)),
        h('td', {}, n.kind ?? ''), h('td', {}, statusBadge(n.status)), h('td', {}, n.reason ?? ''), h('td', {}, fmtTime(n.since))));
    }
  };
  return live(store, ['hello', 'status'], render);
}
