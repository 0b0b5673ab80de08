// Battery rooms: racks as a grid coloured by temperature and fire stage (with text, never colour
// alone), the camera's regions as a heat strip, per rack the voting channels with their quality,
// the stage timeline and each actuator's command and feedback, and what the operator must do next.
import { h, clear, fmtTime, fmtNum, live } from '../dom.js';
import { openStream } from '../api.js';
import { siteId, loadLatest } from '../site.js';

const STAGE_LABEL = {
  idle: 'Normal', watch: 'Pre-alarm (watch)', s0_offGas: 'Stage 0 — off-gas isolation', s1: 'Stage 1 — power isolated, curtain down',
  s2: 'Stage 2 — extinguishing patch', s3: 'Stage 3 — rack nozzles discharged', s4: 'Stage 4 — continuous cooling water',
  s5: 'Stage 5 — suppression gas', fdControl: 'Fire department in control', controlled: 'Controlled', postIncidentWatch: 'Post-incident watch',
  awaitingReset: 'Awaiting authorised reset',
};

/** What the system did and what the operator must do next, in plain words, per stage. */
export function nextStep(zone) {
  const rack = zone.racks?.length ? ` in rack ${zone.racks.join(', ')}` : '';
  const since = zone.since ? ` at ${fmtTime(zone.since)}` : '';
  switch (zone.stage) {
    case 'watch': return `Pre-alarm${rack}: charging stopped. Check the rack on camera; be ready for stage 1.`;
    case 's0_offGas': return `Off-gas${rack}${since}: battery strings isolated. Do not open the room; call the fire department.`;
    case 's1': return `Stage 1${rack}${since}: power isolated and curtain dropped. Verify isolation; call the fire department; do not open the room.`;
    case 's2': return `Stage 2${rack}${since}: extinguishing patch expected to fire. Confirm the patch; keep the room closed.`;
    case 's3': return `Stage 3 — agent discharged${rack}${since}. Confirm water; do not open the room.`;
    case 's4': return `Stage 4 — cooling water flowing${rack}${since}. Watch the drain tank level; never stop water without the criteria.`;
    case 's5': return `Stage 5 — gas${since}. Evacuate. DO NOT OPEN – flammable/toxic atmosphere. Hand over to the fire department.`;
    case 'fdControl': return `Fire department in control${since}. Follow their instructions; isolation and water stay in force.`;
    case 'awaitingReset': return 'Incident over. Reset needs every input normal, alarms acknowledged, and (stage ≥ 3) two operators.';
    default: return 'Normal. No action needed.';
  }
}

function tempClass(t) {
  if (typeof t !== 'number') return 'unknown';
  if (t >= 80) return 't80'; if (t >= 68) return 't68'; if (t >= 60) return 't60'; if (t >= 50) return 't50';
  return 'tok';
}

export function renderBattery(view, { store, api }) {
  const zones = () => [...store.fireZones.values()].sort((a, b) => a.zone.localeCompare(b.zone));
  const pick = h('select', { 'aria-label': 'battery room' });
  const next = h('div', { class: 'nextstep', role: 'status', id: 'next-step' });
  const grid = h('div', { class: 'racks', id: 'rack-grid' });
  const strip = h('div', { class: 'racks', id: 'camera-strip' });
  const channels = h('div', { class: 'panel', id: 'rack-detail' }, h('h2', {}, 'Rack'), h('p', { class: 'sub' }, 'Pick a rack.'));
  const timeline = h('ol', { id: 'zone-timeline' });
  view.append(h('p', {}, 'Battery room: ', pick), next,
    h('div', { class: 'grid', style: 'grid-template-columns: 2fr 1fr' },
      h('section', { class: 'panel' }, h('h2', {}, 'Racks (max temperature, stage)'), grid, h('h2', { style: 'margin-top:1rem' }, 'Thermal camera regions'), strip),
      channels),
    h('section', { class: 'panel' }, h('h2', {}, 'Stage timeline, commands and feedback'), timeline));

  let selectedRack = null;
  let pointStream = null;
  const zoneDevice = (z) => z.zone.replace(/^z/, 'br');
  const val = (dev, name) => store.points.get(`${dev}/${name}`);
  const subscribe = (z) => {
    pointStream?.close();
    const n = zoneDevice(z);
    // Current values at once (the stream then sends changes).
    siteId(api).then((site) => loadLatest(api, store, site, [`fire-${n}`, `bms-${n}`, `cam-${n}`])).then(() => store.changed('points')).catch(() => {});
    pointStream = openStream({ topics: 'point', points: `fire-${n}/rack.*,bms-${n}/rack.*,cam-${n}/*`, onMessage: (type, d) => {
      if (type === 'points') { for (const p of d.points ?? []) store.points.set(`${p.device}/${p.name}`, p); store.changed('points'); }
    } });
  };

  const render = () => {
    const zs = zones();
    if (pick.options.length !== zs.length) {
      const cur = pick.value;
      clear(pick);
      for (const z of zs) pick.append(h('option', { value: `${z.site}/${z.zone}` }, `${z.zone}${z.stage !== 'idle' ? ` — ${STAGE_LABEL[z.stage] ?? z.stage}` : ''}`));
      if (cur) pick.value = cur;
      const z0 = store.fireZones.get(pick.value);
      if (z0) subscribe(z0);
    }
    const z = store.fireZones.get(pick.value);
    if (!z) { next.textContent = 'No battery room reported yet.'; return; }
    next.textContent = `${STAGE_LABEL[z.stage] ?? z.stage}: ${nextStep(z)}`;
    next.dataset.stage = z.stage;
    const n = zoneDevice(z);
    const rackCount = Math.max(8, ...[...store.points.keys()].filter((k) => k.startsWith(`fire-${n}/rack.`)).map((k) => Number(k.split('/')[1].split('.')[1]) || 0));
    clear(grid); clear(strip);
    for (let r = 1; r <= rackCount; r++) {
      const a = val(`fire-${n}`, `rack.${r}.probe.a.temperature`);
      const b = val(`fire-${n}`, `rack.${r}.probe.b.temperature`);
      const bms = val(`bms-${n}`, `rack.${r}.temperature.max`);
      const temps = [a, b, bms].filter((p) => p && p.quality === 'good' && typeof p.value === 'number').map((p) => p.value);
      const max = temps.length ? Math.max(...temps) : undefined;
      const id = `${n.toUpperCase()}-R${String(r).padStart(2, '0')}`;
      const affected = [...(z.state?.affectedRacks ?? []), ...(z.affectedRacks ?? [])];
      // A rack is in the zone's stage when the edge names it, or when the edge acted on it (its
      // breaker, curtain, nozzle or spray commanded, or its patch fired).
      const acted = ['breaker.open.cmd', 'curtain.down.cmd', 'nozzle.release.cmd', 'spray.cmd', 'patch.fired'].some((x) => val(`fire-${n}`, `rack.${r}.${x}`)?.value === true);
      const inStage = z.stage !== 'idle' && z.stage !== 'watch' && (z.racks?.includes(id) || z.racks?.includes(String(r)) || affected.includes(r) || acted);
      grid.append(h('button', { class: `rack ${tempClass(max)} ${inStage ? 'stage' : ''}`, dataset: { rack: id }, onclick: () => { selectedRack = r; render(); } },
        h('div', {}, id), h('div', { class: 't' }, max === undefined ? 'no data' : `${fmtNum(max)} °C`), inStage ? h('div', {}, STAGE_LABEL[z.stage]?.split(' — ')[0] ?? z.stage) : ''));
      const cam = val(`cam-${n}`, `camera.region.${r}.temperature.max`);
      strip.append(h('div', { class: `rack ${tempClass(cam?.value)}`, title: `camera region ${r}` }, h('div', { class: 't' }, cam ? `${fmtNum(cam.value)}°` : '–'), cam && cam.quality !== 'good' ? h('div', {}, cam.quality) : ''));
    }
    if (selectedRack) {
      const r = selectedRack;
      const rows = [
        ['Probe A', val(`fire-${n}`, `rack.${r}.probe.a.temperature`)], ['Probe B', val(`fire-${n}`, `rack.${r}.probe.b.temperature`)],
        ['BMS max', val(`bms-${n}`, `rack.${r}.temperature.max`)], ['Camera ROI', val(`cam-${n}`, `camera.region.${r}.temperature.max`)],
        ['Smoke', val(`fire-${n}`, `rack.${r}.smoke`)], ['Off-gas', val(`fire-${n}`, `rack.${r}.offgas`)], ['Patch fired', val(`fire-${n}`, `rack.${r}.patch.fired`)],
        ['Breaker cmd', val(`fire-${n}`, `rack.${r}.breaker.open.cmd`)], ['Breaker open (aux)', val(`fire-${n}`, `rack.${r}.breaker.open`)], ['Breaker current', val(`fire-${n}`, `rack.${r}.breaker.current`)],
        ['Curtain cmd', val(`fire-${n}`, `rack.${r}.curtain.down.cmd`)], ['Curtain down', val(`fire-${n}`, `rack.${r}.curtain.down`)],
        ['Nozzle cmd', val(`fire-${n}`, `rack.${r}.nozzle.release.cmd`)], ['Nozzle pressure', val(`fire-${n}`, `rack.${r}.nozzle.pressure`)],
        ['Spray cmd', val(`fire-${n}`, `rack.${r}.spray.cmd`)], ['Spray flow', val(`fire-${n}`, `rack.${r}.spray.flow`)],
      ];
      clear(channels);
      channels.append(h('h2', {}, `Rack ${r}: channels and actuators`), h('table', {}, h('tbody', {}, ...rows.map(([label, p]) =>
        h('tr', {}, h('th', {}, label), h('td', {}, p ? (typeof p.value === 'number' ? fmtNum(p.value) : String(p.value)) : 'no data', p?.unit ? ` ${p.unit}` : ''),
          h('td', { class: p?.quality === 'good' ? 'st Up' : 'st Down' }, p ? `${p.quality}${p.reason ? ` (${p.reason})` : ''}` : 'no data'))))));
    }
    clear(timeline);
    for (const e of [...(z.timeline ?? [])].reverse().slice(0, 200)) {
      timeline.append(h('li', {}, h('strong', {}, fmtTime(e.ts)), ` ${e.kind}`, e.stage ? ` → ${e.stage}` : '', e.rack ? ` rack ${e.rack}` : '', `: ${e.message}`, e.actor ? ` (by ${e.actor})` : ''));
    }
  };
  pick.addEventListener('change', () => { const z = store.fireZones.get(pick.value); if (z) subscribe(z); render(); });
  const unsub = live(store, ['hello', 'fire', 'points'], render);
  return () => { unsub(); pointStream?.close(); };
}
