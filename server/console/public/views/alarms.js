// Alarms: ISA-18.2 states, priority, class, first-out, time; acknowledge, shelve with reason and
// expiry (not for P1 life-safety), filters. Ordered class first, then priority, then time (FS-24).
import { h, clear, fmtTime, prioBadge, live } from '../dom.js';

const CLASS_ORDER = { alarm: 0, supervisory: 1, trouble: 2 };
const STATE_TEXT = {
  NORM: 'normal', UNACK: 'ACTIVE – unacknowledged', ACKED: 'active – acknowledged', RTNUN: 'returned – unacknowledged',
  LATCH_UNACK: 'LATCHED – unacknowledged', LATCH_ACK: 'latched – acknowledged (needs reset)', SHLVD: 'shelved',
  DSUPR: 'suppressed by design', OOSRV: 'out of service',
};

export function sortAlarms(list) {
  return [...list].sort((a, b) => (CLASS_ORDER[a.class] ?? 9) - (CLASS_ORDER[b.class] ?? 9)
    || a.priority.localeCompare(b.priority) || (b.lastAt ?? 0) - (a.lastAt ?? 0));
}

export function renderAlarms(view, { store, api }) {
  const filterState = h('select', { 'aria-label': 'filter by state' },
    h('option', { value: 'open' }, 'Open (not normal)'), h('option', { value: 'all' }, 'All'), h('option', { value: 'unack' }, 'Unacknowledged'), h('option', { value: 'shelved' }, 'Shelved / out of service'));
  const filterPrio = h('select', { 'aria-label': 'filter by priority' },
    h('option', { value: '' }, 'All priorities'), ...['P1', 'P2', 'P3', 'P4'].map((p) => h('option', { value: p }, p)));
  const msg = h('p', { role: 'status', class: 'sub' });
  const tbody = h('tbody');
  const table = h('table', { id: 'alarm-table' },
    h('thead', {}, h('tr', {}, ...['Priority', 'Class', 'State', 'Alarm', 'Where', 'Since', 'Count', ''].map((t) => h('th', {}, t)))), tbody);
  view.append(h('section', { class: 'panel' }, h('h2', {}, 'Alarms'), h('p', {}, filterState, ' ', filterPrio), msg, table));

  const act = async (path, body, done) => {
    msg.textContent = '';
    try { await api(path, { method: 'POST', body }); msg.textContent = done; } catch (e) { msg.textContent = `Refused: ${e.message}`; msg.className = 'error'; }
  };

  const render = () => {
    clear(tbody);
    const f = filterState.value;
    const list = sortAlarms([...store.alarms.values()].filter((a) => {
      if (filterPrio.value && a.priority !== filterPrio.value) return false;
      if (f === 'open') return a.state !== 'NORM';
      if (f === 'unack') return ['UNACK', 'RTNUN', 'LATCH_UNACK'].includes(a.state);
      if (f === 'shelved') return ['SHLVD', 'OOSRV', 'DSUPR'].includes(a.state);
      return true;
    }));
    for (const a of list) {
      const canAck = store.can('operator') && ['UNACK', 'RTNUN', 'LATCH_UNACK'].includes(a.state);
      const canShelve = store.can('operator') && !a.lifeSafety && a.priority !== 'P1' && !['SHLVD', 'OOSRV'].includes(a.state);
      const actions = h('td', {});
      if (canAck) actions.append(h('button', { class: 'primary', onclick: () => act(`/api/alarms/${a.id}/ack`, {}, `Acknowledged ${a.message}`) }, 'Acknowledge'));
      if (canShelve) {
        actions.append(' ', h('button', { onclick: () => {
          const reason = prompt('Reason for shelving (required):');
          if (!reason) return;
          const max = a.priority === 'P2' ? 60 : 480;
          const minutes = Number(prompt(`Shelve for how many minutes? (max ${max})`, String(Math.min(30, max))));
          if (!minutes) return;
          act(`/api/alarms/${a.id}/shelve`, { reason, durationMin: minutes }, `Shelved for ${minutes} min`);
        } }, 'Shelve…'));
      }
      if (a.priority === 'P1' && a.lifeSafety) actions.append(h('span', { class: 'sub' }, ' life safety: cannot be shelved'));
      tbody.append(h('tr', { dataset: { alarmId: a.id, state: a.state } },
        h('td', {}, prioBadge(a.priority), a.firstOut ? h('strong', { title: 'first out' }, ' 1st') : ''),
        h('td', {}, a.class),
        h('td', {}, STATE_TEXT[a.state] ?? a.state, a.silenced ? ' (silenced)' : ''),
        h('td', {}, a.message),
        h('td', {}, [a.zone, a.rack, a.device].filter(Boolean).join(' · ')),
        h('td', {}, fmtTime(a.activeSince ?? a.firstAt)),
        h('td', {}, String(a.count ?? 1)),
        actions));
    }
    if (!list.length) tbody.append(h('tr', {}, h('td', { colspan: 8 }, 'No alarms match.')));
  };
  filterState.addEventListener('change', render);
  filterPrio.addEventListener('change', render);
  return live(store, ['hello', 'alarm'], render);
}
