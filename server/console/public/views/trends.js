// Trends: any point (or stored figure) over a chosen period, raw samples or rollups, several
// series on one uPlot chart, quality gaps visible (bad samples and missing data break the line;
// uncertain ones are counted), CSV export of exactly what is drawn.
import uPlot from '../vendor/uPlot.esm.js';
import { h, clear, fmtDateTime } from '../dom.js';
import { siteId } from '../site.js';
import { buildSeries, autoTier, toCsv, PERIODS } from '../trend-data.js';

const COLOURS = ['#58a6ff', '#f0883e', '#3fb950', '#d2a8ff', '#ff7b72', '#e3b341', '#79c0ff', '#56d364'];
const DASHES = [[], [10, 5], [2, 4], [12, 4, 2, 4], [6, 3], [1, 3], [16, 6], [4, 8]];
const KPI_DEVICE = '__kpi';

export function renderTrends(view, { store, api }) {
  const device = h('select', { id: 'trend-device', 'aria-label': 'device' });
  const point = h('select', { id: 'trend-point', 'aria-label': 'point' });
  const period = h('select', { id: 'trend-period', 'aria-label': 'period' }, ...PERIODS.map((p) => h('option', { value: p.id }, p.label)), h('option', { value: 'custom' }, 'Custom…'));
  const from = h('input', { type: 'datetime-local', id: 'trend-from', hidden: true, 'aria-label': 'from' });
  const to = h('input', { type: 'datetime-local', id: 'trend-to', hidden: true, 'aria-label': 'to' });
  const tier = h('select', { id: 'trend-tier', 'aria-label': 'resolution' }, ...['auto', 'raw', '1m', '15m', '1h', '1d'].map((t) => h('option', { value: t }, t === 'auto' ? 'Auto' : t === 'raw' ? 'Raw samples' : `Rollup ${t} (mean)`)));
  const liveBox = h('input', { type: 'checkbox', id: 'trend-live', checked: true });
  const add = h('button', { class: 'primary', id: 'trend-add', type: 'button' }, 'Add series');
  const csv = h('button', { id: 'trend-csv', type: 'button' }, 'Export CSV');
  const chips = h('div', { class: 'series-chips', id: 'trend-series' });
  const chartBox = h('div', { id: 'trend-chart' });
  const note = h('p', { class: 'quality-note', id: 'trend-note', role: 'status' });
  view.append(h('section', { class: 'panel' }, h('h2', {}, 'Trends'),
    h('div', { class: 'trend-controls' },
      h('label', {}, 'Device', device), h('label', {}, 'Point or figure', point), add,
      h('label', {}, 'Period', period), from, to, h('label', {}, 'Resolution', tier),
      h('label', {}, 'Follow live', liveBox), csv),
    chips, chartBox, note));

  let site = null;
  let series = [{ device: 'meters-1', name: 'meter.it.realpower', unit: 'W' }, { device: 'meters-1', name: 'meter.intake.realpower', unit: 'W' }];
  let plot = null;
  let last = null;
  let timer = null;
  let closed = false;
  let seq = 0;

  const range = () => {
    if (period.value === 'custom') {
      const f = Date.parse(from.value); const t = Date.parse(to.value);
      if (Number.isFinite(f) && Number.isFinite(t) && t > f) return { from: f, to: t };
    }
    const p = PERIODS.find((x) => x.id === period.value) ?? PERIODS[1];
    const t = Date.now();
    return { from: t - p.ms, to: t };
  };

  const fetchOne = async (s, r, t) => {
    const base = `/api/sites/${encodeURIComponent(site)}`;
    if (s.device === KPI_DEVICE) {
      const rows = await api(`${base}/kpis?from=${r.from}&to=${r.to}`);
      const [kpi, scopeId] = s.name.split('@');
      return { kind: 'kpi', rows: rows.filter((x) => x.kpi === kpi && x.scopeId === scopeId) };
    }
    const q = `device=${encodeURIComponent(s.device)}&name=${encodeURIComponent(s.name)}&from=${Math.floor(r.from)}&to=${Math.ceil(r.to)}&tier=${t}${t === 'raw' ? '' : '&agg=mean'}`;
    return { kind: t === 'raw' ? 'raw' : 'rollup', ...(await api(`${base}/points/history?${q}`)) };
  };

  const draw = async () => {
    const my = ++seq;
    const r = range();
    const t = tier.value === 'auto' ? autoTier(r.to - r.from) : tier.value;
    renderChips();
    if (!series.length) { plot?.destroy(); plot = null; clear(chartBox); chartBox.append(h('p', { class: 'sub' }, 'Add a series.')); return; }
    const results = await Promise.all(series.map((s) => fetchOne(s, r, t).catch((e) => ({ error: e.message }))));
    if (closed || my !== seq) return;
    const built = buildSeries(series, results, r);
    last = { ...built, range: r, tier: t };
    const fg = getComputedStyle(document.documentElement).getPropertyValue('--fg').trim() || '#e6edf3';
    const grid = getComputedStyle(document.documentElement).getPropertyValue('--line').trim() || '#30363d';
    const units = [...new Set(built.series.map((s) => s.unit || ''))];
    const scaleOf = (u) => (units.indexOf(u) === 0 ? 'y' : units.indexOf(u) === 1 ? 'y2' : 'y');
    const opts = {
      width: Math.max(600, chartBox.clientWidth || 1200), height: 420,
      scales: { x: { time: true } },
      axes: [
        { stroke: fg, grid: { stroke: grid } },
        { stroke: fg, grid: { stroke: grid }, label: units[0] || '', scale: 'y' },
        ...(units.length > 1 ? [{ stroke: fg, side: 1, grid: { show: false }, label: units[1] || '', scale: 'y2' }] : []),
      ],
      series: [{ label: 'time' }, ...built.series.map((s, i) => ({
        label: s.label, stroke: COLOURS[i % COLOURS.length], dash: DASHES[i % DASHES.length], width: 2, scale: scaleOf(s.unit || ''), spanGaps: false, points: { show: false },
      }))],
    };
    plot?.destroy();
    clear(chartBox);
    plot = new uPlot(opts, built.data, chartBox);
    chartBox.dataset.points = String(built.data[0].length);
    chartBox.dataset.series = String(built.series.length);
    clear(note);
    note.append(`${fmtDateTime(r.from)} → ${fmtDateTime(r.to)} · ${t === 'raw' ? 'raw samples' : `rollup ${t}, mean per bucket`} · `,
      ...built.series.flatMap((s, i) => [i ? ' · ' : '', h('strong', {}, s.label), `: ${s.stats.good} good, ${s.stats.uncertain} uncertain, ${s.stats.bad} bad, ${s.stats.gaps} gap${s.stats.gaps === 1 ? '' : 's'}`, s.error ? h('span', { class: 'error' }, ` (${s.error})`) : '']));
  };

  const renderChips = () => {
    clear(chips);
    series.forEach((s, i) => chips.append(h('span', { class: 'chip', style: `color:${COLOURS[i % COLOURS.length]}`, dataset: { series: `${s.device}/${s.name}` } },
      h('span', { class: 'swatch', style: `border-top-style:${DASHES[i % DASHES.length].length ? 'dashed' : 'solid'}` }),
      h('span', { style: 'color:var(--fg)' }, s.device === KPI_DEVICE ? `figure ${s.name}` : `${s.device} · ${s.name}`),
      h('button', { type: 'button', 'aria-label': `remove ${s.name}`, onclick: () => { series = series.filter((_, j) => j !== i); void draw(); } }, '×'))));
  };

  const loadPoints = async () => {
    clear(point);
    if (!device.value) return;
    if (device.value === KPI_DEVICE) {
      const rows = await api(`/api/sites/${encodeURIComponent(site)}/kpis?from=${Date.now() - 30 * 86_400_000}`).catch(() => []);
      for (const k of [...new Set(rows.map((x) => `${x.kpi}@${x.scopeId}`))].sort()) point.append(h('option', { value: k }, k));
      if (!point.options.length) point.append(h('option', { value: '' }, '(no stored figures yet)'));
      return;
    }
    const pts = await api(`/api/sites/${encodeURIComponent(site)}/devices/${encodeURIComponent(device.value)}/points`).catch(() => []);
    for (const p of pts.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }))) point.append(h('option', { value: p.name, dataset: { unit: p.unit ?? '' } }, `${p.name}${p.unit ? ` (${p.unit})` : ''}`));
  };

  add.addEventListener('click', () => {
    if (!device.value || !point.value) return;
    if (series.some((s) => s.device === device.value && s.name === point.value)) return;
    const unit = point.selectedOptions[0]?.dataset.unit || undefined;
    series = [...series, { device: device.value, name: point.value, unit }].slice(-8);
    void draw();
  });
  device.addEventListener('change', () => { void loadPoints(); });
  period.addEventListener('change', () => {
    const custom = period.value === 'custom';
    from.hidden = !custom; to.hidden = !custom;
    if (custom && !from.value) {
      const toLocal = (ms) => new Date(ms - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
      from.value = toLocal(Date.now() - 3_600_000); to.value = toLocal(Date.now());
    }
    void draw();
  });
  for (const el of [from, to, tier]) el.addEventListener('change', () => { void draw(); });
  csv.addEventListener('click', () => {
    if (!last) return;
    const blob = new Blob([toCsv(last)], { type: 'text/csv' });
    const a = h('a', { href: URL.createObjectURL(blob), download: `dcim-trend-${new Date(last.range.from).toISOString().slice(0, 16)}.csv` });
    document.body.append(a); a.click(); a.remove();
  });

  /** Devices with stored points; re-read while the view is open, as devices start reporting. */
  const loadDevices = async () => {
    const devices = await api(`/api/sites/${encodeURIComponent(site)}/devices`).catch(() => []);
    const have = new Set([...device.options].map((o) => o.value));
    const kpiOpt = [...device.options].find((o) => o.value === KPI_DEVICE);
    for (const d of devices) if (!have.has(d.device)) device.insertBefore(h('option', { value: d.device }, `${d.device} (${d.measurement})`), kpiOpt ?? null);
    if (!kpiOpt) device.append(h('option', { value: KPI_DEVICE }, 'Figures (stored KPIs)'));
  };

  (async () => {
    site = await siteId(api);
    await loadDevices();
    device.value = 'meters-1';
    await loadPoints();
    if (closed) return;
    await draw();
    timer = setInterval(() => { void loadDevices(); if (liveBox.checked && period.value !== 'custom') void draw(); }, 10_000);
  })();
  const onResize = () => { if (plot) plot.setSize({ width: Math.max(600, chartBox.clientWidth), height: 420 }); };
  window.addEventListener('resize', onResize);
  return () => { closed = true; clearInterval(timer); plot?.destroy(); window.removeEventListener('resize', onResize); };
}
