// Drills: start a drill scenario in a zone, watch it (the battery-room view shows it live; the
// list updates as it runs), read its timed report. Drills are recorded apart and kept out of KPIs.
import { h, clear, fmtDateTime, live } from '../dom.js';

const ZONES = ['z1', 'z2', 'z3', 'z4'];

export function renderDrills(view, { store, api }) {
  const list = h('tbody', { id: 'drill-list' });
  const msg = h('p', { role: 'status', id: 'drill-msg' });
  const report = h('section', { class: 'panel', id: 'drill-report' }, h('h2', {}, 'Report'), h('p', { class: 'sub' }, 'Pick a drill.'));
  const scenario = h('select', { 'aria-label': 'drill scenario', id: 'drill-scenario' });
  const zone = h('select', { 'aria-label': 'zone', id: 'drill-zone' }, h('option', { value: '' }, 'scenario default room'), ...ZONES.map((z) => h('option', { value: z }, `zone ${z} (BR${z.slice(1)})`)));
  const about = h('p', { class: 'sub', id: 'drill-about' });
  const canRun = store.can('operator');
  const start = h('button', { class: 'primary', id: 'drill-start', disabled: !canRun, title: canRun ? 'start the drill' : 'operators only' }, 'Start drill');
  view.append(h('section', { class: 'panel' }, h('h2', {}, 'Run a drill'),
    h('p', {}, scenario, ' in ', zone, ' ', start, canRun ? '' : h('span', { class: 'sub' }, ' (operators only: you can watch, not start)')), about, msg),
    h('div', { class: 'grid', style: 'grid-template-columns: 1fr 2fr' },
      h('section', { class: 'panel' }, h('h2', {}, 'Drills'), h('table', {}, h('thead', {}, h('tr', {}, ...['Started', 'Scenario', 'Zone', 'State'].map((t) => h('th', {}, t)))), list)),
      report));
  let scenarios = [];
  let shown = null;
  const describe = () => { about.textContent = scenarios.find((s) => s.name === scenario.value)?.description ?? ''; };
  api('/api/drills/scenarios').then((s) => {
    scenarios = s;
    for (const x of s) scenario.append(h('option', { value: x.name }, x.name));
    if (s.some((x) => x.name === 'thermal-runaway-fast')) scenario.value = 'thermal-runaway-fast';
    describe();
  }).catch((e) => { about.textContent = `Scenarios unavailable: ${e.message}`; });
  scenario.addEventListener('change', describe);

  const showReport = (d) => {
    shown = d.id;
    clear(report);
    const r = d.report ?? {};
    report.append(h('h2', {}, `Drill ${d.scenario} — ${d.state}`),
      h('p', {}, `Started ${fmtDateTime(d.startedAt)} by ${d.by}${d.endedAt ? `, ended ${fmtDateTime(d.endedAt)}` : ''}.`),
      d.report ? h('table', { class: 'drill-summary' }, h('tbody', {}, ...[
        ['Outcome', r.outcome], ['Zone / rack', `${r.zone ?? '–'} / ${r.room ?? ''}-R${String(r.rack ?? '').padStart(2, '0')}`],
        ['Duration', r.durationS != null ? `${r.durationS} s (simulated ${r.simDurationS} s at ×${r.timeScale})` : '–'],
        ['Highest stage', r.maxStage ?? '–'], ['First alarm after', r.firstAlarmS != null ? `${r.firstAlarmS} s` : 'none'],
        ['First acknowledgement after', r.firstAckS != null ? `${r.firstAckS} s` : 'none'], ['Alarms raised', r.alarms ?? '–'],
      ].map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, String(v ?? '–'))))))
        : h('p', { class: 'sub' }, 'Running: the report appears when the zone is under control.'),
      Array.isArray(r.steps) && r.steps.length ? h('table', {}, h('thead', {}, h('tr', {}, ...['t (s)', 'sim (s)', 'What', 'Stage', 'Rack'].map((t) => h('th', {}, t)))),
        h('tbody', {}, ...r.steps.map((s) => h('tr', {}, h('td', {}, String(s.tS)), h('td', {}, String(s.simS)), h('td', {}, `${s.kind}: ${s.message}`), h('td', {}, s.stage ?? ''), h('td', {}, s.rack ?? ''))))) : '');
  };

  const refresh = async () => {
    const drills = await api('/api/drills').catch(() => []);
    clear(list);
    for (const d of drills) list.append(h('tr', { dataset: { drill: d.id, state: d.state } }, h('td', {}, fmtDateTime(d.startedAt)),
      h('td', {}, h('a', { href: '#/drills', onclick: (e) => { e.preventDefault(); showReport(d); } }, d.scenario)), h('td', {}, d.zone ?? '–'),
      h('td', {}, d.state === 'running' ? h('strong', {}, '▶ running') : d.state)));
    if (!drills.length) list.append(h('tr', {}, h('td', { colspan: 4 }, 'No drills yet.')));
    const cur = drills.find((d) => d.id === shown);
    if (cur) showReport(cur);
  };
  start.addEventListener('click', async () => {
    msg.className = ''; msg.textContent = 'Starting…';
    try {
      const d = await api('/api/drills', { method: 'POST', body: { scenario: scenario.value, ...(zone.value ? { zone: zone.value } : {}) } });
      msg.textContent = `Drill ${d.scenario} started: watch the Battery rooms view; alarms and the incident are tagged DRILL.`;
      shown = d.id;
      await refresh();
    } catch (e) { msg.textContent = `Refused: ${e.message}`; msg.className = 'error'; }
  });
  let pending = null;
  const unsub = live(store, ['incident'], () => { clearTimeout(pending); pending = setTimeout(refresh, 300); });
  return () => { unsub(); clearTimeout(pending); };
}
