// Site overview: the power chain as a one-line diagram (feeds A/B → ATS → 4 UPS zones → rooms)
// and the cooling chain (chillers → loops A/B → buffer tank → server rooms), each element with
// its status (glyph + word + colour) and live values; the key figures in large numerals: PUE,
// IT load, feed headroom, tank ride-through, active alarms by priority.
import { h, clear, fmtNum, statusBadge, live } from '../dom.js';
import { openStream } from '../api.js';
import { siteId, loadLatest, pointValue } from '../site.js';

const ZONES = [1, 2, 3, 4];
const POWER_DEVICES = ['ats-1', 'meters-1', ...ZONES.map((n) => `ups-z${n}`)];
const COOLING_DEVICES = ['chiller-plant'];
const STATUS_RANK = { Down: 0, Unknown: 1, Warning: 2, Maintenance: 3, Up: 4 };

const worst = (...s) => s.filter(Boolean).sort((a, b) => (STATUS_RANK[a] ?? 9) - (STATUS_RANK[b] ?? 9))[0] ?? 'Unknown';
const kw = (w) => (typeof w === 'number' ? `${fmtNum(w / 1000, 0)} kW` : '–');

function node(id, title, status, lines, extra = {}) {
  return h('div', { class: `node st-${status}`, dataset: { node: id, status }, ...extra },
    h('div', { class: 'node-title' }, title), statusBadge(status),
    ...lines.filter(Boolean).map(([k, v]) => h('div', { class: 'node-line' }, h('span', { class: 'sub' }, `${k} `), h('strong', {}, v))));
}

const col = (...nodes) => h('div', { class: 'col' }, ...nodes);
const arrow = () => h('div', { class: 'arrow', 'aria-hidden': 'true' }, '→');

function kpiTile(id, label, value, unit, sub, state) {
  return h('section', { class: `panel kpi-tile ${state ?? ''}`, dataset: { kpi: id } },
    h('h2', {}, label), h('div', { class: 'kpi' }, value, unit ? h('small', {}, ` ${unit}`) : ''), sub ? h('div', { class: 'sub' }, sub) : '');
}

export function renderOverview(view, { store, api }) {
  const kpis = h('div', { class: 'grid kpis', id: 'overview-kpis' });
  const power = h('div', { class: 'oneline', id: 'power-chain' });
  const cooling = h('div', { class: 'oneline', id: 'cooling-chain' });
  view.append(kpis,
    h('section', { class: 'panel' }, h('h2', {}, 'Power chain: utility feeds → ATS → UPS zones → rooms'), power),
    h('section', { class: 'panel' }, h('h2', {}, 'Cooling chain: chillers → chilled-water loops → buffer tank → server rooms'), cooling));
  const figures = { pue: null, feeds: null, tank: null };
  let site = null;
  let stream = null;
  let timer = null;
  let closed = false;

  const st = (id) => store.status.get(id)?.status;
  const v = (device, name) => pointValue(store, device, name);

  const renderKpis = () => {
    clear(kpis);
    const pue = figures.pue;
    kpis.append(kpiTile('pue', 'PUE', pue?.value != null ? fmtNum(pue.value, 2) : '–', '',
      pue ? `${pue.period?.label ?? ''} · ${pue.quality}${pue.flags?.length ? ` (${pue.flags.join(', ')})` : ''}` : 'needs meter history'));
    const it = v('meters-1', 'meter.it.realpower');
    kpis.append(kpiTile('it-load', 'IT load', typeof it === 'number' ? fmtNum(it / 1000, 0) : '–', 'kW', 'UPS outputs (meters-1)'));
    const head = figures.feeds?.inputs?.headroom ?? [];
    const minHead = head.length ? head.reduce((a, b) => (a.headroomPct <= b.headroomPct ? a : b)) : null;
    kpis.append(kpiTile('headroom', 'Feed headroom', minHead ? fmtNum(minHead.headroomPct, 0) : '–', '%',
      minHead ? `feed ${minHead.feed}: ${fmtNum(minHead.headroomKw, 0)} kW spare · ${figures.feeds.value}` : 'no feed figure yet', minHead && minHead.status !== 'ok' ? 'bad' : ''));
    const tank = figures.tank;
    const ride = tank?.value;
    const rideMin = typeof ride === 'number' ? ride : typeof ride?.minutes === 'number' ? ride.minutes : null;
    kpis.append(kpiTile('ride-through', 'Tank ride-through', rideMin != null ? fmtNum(rideMin, 0) : '–', 'min',
      tank ? (tank.quality === 'bad' ? `not computable: missing ${(tank.inputs?.missing ?? []).join(', ') || 'inputs'}` : `${tank.quality}${tank.status ? ` · ${tank.status}` : ''}`) : 'no tank figure yet'));
    const active = [...store.alarms.values()].filter((a) => a.state !== 'NORM' && a.state !== 'SHLVD' && a.state !== 'OOSRV');
    const count = (p) => active.filter((a) => a.priority === p).length;
    kpis.append(h('section', { class: 'panel kpi-tile', dataset: { kpi: 'alarms' } }, h('h2', {}, 'Active alarms'),
      h('div', { class: 'prio-counts' }, ...['P1', 'P2', 'P3', 'P4'].map((p) => h('a', { href: '#/alarms', class: `prio-count ${p}`, dataset: { prio: p } },
        h('span', { class: `prio ${p}` }, p), h('span', { class: 'kpi' }, String(count(p))))))));
  };

  const renderPower = () => {
    clear(power);
    const feed = (x) => {
      const avail = v('ats-1', `feed.${x}.available`);
      const s = avail === false ? 'Down' : worst(st(`feed.${x.toUpperCase()}`) ?? (avail === true ? 'Up' : 'Unknown'));
      return node(`feed.${x.toUpperCase()}`, `Feed ${x.toUpperCase()}`, s, [
        ['voltage', typeof v('ats-1', `feed.${x}.voltage`) === 'number' ? `${fmtNum(v('ats-1', `feed.${x}.voltage`) / 1000, 1)} kV` : '–'],
        ['power', kw(v('ats-1', `feed.${x}.realpower`))], ['available', avail === undefined ? '–' : avail ? 'yes' : 'NO']]);
    };
    const src = v('ats-1', 'ats.source');
    const ats = node('ats-1', 'ATS', v('ats-1', 'ats.transferring') ? 'Warning' : worst(st('ats-1') ?? (src ? 'Up' : 'Unknown')),
      [['source', src ? `feed ${src}` : '–'], ['transferring', v('ats-1', 'ats.transferring') ? 'YES' : 'no']]);
    const ups = ZONES.map((n) => {
      const d = `ups-z${n}`;
      const onBat = v(d, 'ups.status.onbattery') === true;
      const fault = v(d, 'ups.status.fault') === true;
      const s = fault ? 'Down' : onBat ? 'Warning' : worst(st(d) ?? (v(d, 'ups.load') !== undefined ? 'Up' : 'Unknown'));
      return node(d, `UPS zone ${n}`, s, [['load', `${fmtNum(v(d, 'ups.load'), 0)} %`], ['output', kw(v(d, 'output.realpower'))],
        ['battery', `${fmtNum(v(d, 'battery.charge'), 0)} %`], ['mode', fault ? 'FAULT' : onBat ? 'ON BATTERY' : v(d, 'ups.status.online') ? 'online' : '–']]);
    });
    const rooms = ZONES.map((n) => {
      const z = [...store.fireZones.values()].find((f) => f.zone === `z${n}`);
      const stage = z?.stage ?? 'idle';
      const s = stage !== 'idle' && stage !== 'watch' ? 'Down' : stage === 'watch' ? 'Warning' : worst(st(`BR${n}`) ?? 'Unknown');
      return node(`BR${n}`, `Battery room BR${n}`, s, [['fire', stage === 'idle' ? 'normal' : `${stage}${z?.racks?.length ? ` (${z.racks.join(', ')})` : ''}`]],
        { onclick: () => { location.hash = '#/battery'; }, role: 'link', tabindex: '0' });
    });
    const srs = ['SR1', 'SR2'].map((r) => node(r, `Server room ${r}`, st(r) ?? 'Unknown', [['fed by', 'UPS zones 1–4']]));
    power.append(col(feed('a'), feed('b')), arrow(), col(ats), arrow(), col(...ups), arrow(), col(...rooms), arrow(), col(...srs));
  };

  const renderCooling = () => {
    clear(cooling);
    const cp = 'chiller-plant';
    const chillers = [1, 2].map((n) => {
      const run = v(cp, `chiller.${n}.running`);
      const s = run === false ? 'Down' : run === true ? worst(st(cp) ?? 'Up') : 'Unknown';
      return node(`chiller.${n}`, `Chiller ${n}`, s, [['running', run === undefined ? '–' : run ? 'yes' : 'STOPPED'],
        ['supply', `${fmtNum(v(cp, `chiller.${n}.supply.temperature`))} °C`], ['power', `${fmtNum(v(cp, `chiller.${n}.realpower`), 0)} kW`]]);
    });
    const loops = ['a', 'b'].map((l) => node(`loop.${l.toUpperCase()}`, `Loop ${l.toUpperCase()}`, worst(st(`loop.${l.toUpperCase()}`) ?? (v(cp, `chw.${l}.flow`) !== undefined ? 'Up' : 'Unknown')), [
      ['supply', `${fmtNum(v(cp, `chw.${l}.supply.temperature`))} °C`], ['return', `${fmtNum(v(cp, `chw.${l}.return.temperature`))} °C`], ['flow', `${fmtNum(v(cp, `chw.${l}.flow`), 0)} L/s`]]));
    const level = v(cp, 'tank.level');
    const tank = node('tank', 'Buffer tank', typeof level === 'number' && level < 60 ? 'Warning' : worst(st('tank') ?? (level !== undefined ? 'Up' : 'Unknown')), [
      ['level', `${fmtNum(level, 0)} %`], ['temperature', `${fmtNum(v(cp, 'tank.temperature'))} °C`], ['volume', `${fmtNum(v(cp, 'tank.volume'), 0)} m³`]]);
    const srs = ['SR1', 'SR2'].map((r) => node(`${r}-cooling`, `Server room ${r}`, st(r) ?? 'Unknown', [['inlet', inletText(store, r)]]));
    cooling.append(col(...chillers), arrow(), col(...loops), arrow(), col(tank), arrow(), col(...srs));
  };

  const render = () => { renderKpis(); renderPower(); renderCooling(); };

  const refreshFigures = async () => {
    if (!site) return;
    const get = (p) => api(`/api/sites/${encodeURIComponent(site)}/kpi/${p}`).catch(() => null);
    const [pue, feeds, tank] = await Promise.all([get('pue'), get('feeds'), get('tank')]);
    figures.pue = pue; figures.feeds = feeds; figures.tank = tank?.figures?.[0] ?? null;
    if (!closed) render();
  };

  (async () => {
    site = await siteId(api);
    await loadLatest(api, store, site, [...POWER_DEVICES, ...COOLING_DEVICES, 'env-sr1', 'env-sr2']);
    if (closed) return;
    store.changed('points');
    stream = openStream({ topics: 'point', points: [...POWER_DEVICES, ...COOLING_DEVICES, 'env-sr1', 'env-sr2'].map((d) => `${d}/*`).join(','), onMessage: (type, d) => {
      if (type === 'points') { for (const p of d.points ?? []) store.points.set(`${p.device}/${p.name}`, p); store.changed('points'); }
    } });
    await refreshFigures();
    timer = setInterval(refreshFigures, 15_000);
  })();
  const unsub = live(store, ['hello', 'points', 'status', 'alarm', 'fire'], render);
  return () => { closed = true; unsub(); stream?.close(); clearInterval(timer); };
}

/** Highest rack-inlet temperature reported by the room's wireless sensors. */
function inletText(store, room) {
  const dev = `env-${room.toLowerCase()}/`;
  const temps = [...store.points.entries()].filter(([k, p]) => k.startsWith(dev) && /temperature/.test(p.name) && typeof p.value === 'number' && p.quality !== 'bad').map(([, p]) => p.value);
  return temps.length ? `max ${fmtNum(Math.max(...temps))} °C` : '–';
}
