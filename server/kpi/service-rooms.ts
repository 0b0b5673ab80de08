/**
 * Room figures from the store: rack-inlet ASHRAE class with dew point (R09, R10), battery-room
 * BMS statistics, freshness, thermal rise and camera fusion (R17–R19), buffer-tank ride-through
 * (R21, R22).
 */
import type { Store } from '../store/types.js';
import { classify, dewPointPoint } from './ashrae.js';
import { cameraBmsDisagreement, freshness, rackMax, spreadWarning, stats, thermalRise } from './bms.js';
import { figure, instant, type Figure, type Quality } from './figure.js';
import type { SiteKpiConfig } from './site-config.js';
import { layeredEnergyKwh, rideThroughAlarm, rideThroughMin, tankLoadKw } from './tank.js';

const QUAL: Quality[] = ['good', 'uncertain', 'bad'];

/** Every `rack.{n}.inlet.temperature` with its humidity: dew point and envelope class. */
export async function envelopeFigures(store: Store, cfg: SiteKpiConfig, now: number): Promise<Figure<string | null>[]> {
  const out: Figure<string | null>[] = [];
  const metas = store.points({ site: cfg.site }).filter((m) => /^rack\.\d+\.inlet\.temperature$/.test(m.name));
  for (const m of metas) {
    const rhName = m.name.replace(/temperature$/, 'humidity');
    const latest = await store.latest({ site: cfg.site, device: m.device, names: [m.name, rhName] });
    const t = latest.find((l) => l.name === m.name);
    const rh = latest.find((l) => l.name === rhName);
    if (!t) continue;
    const dp = dewPointPoint(
      { value: typeof t.value === 'number' ? t.value : null, quality: QUAL[t.q]! },
      { value: typeof rh?.value === 'number' ? rh.value : null, quality: rh ? QUAL[rh.q]! : 'bad' },
    );
    const c = dp.value !== null ? classify(t.value as number, rh!.value as number, cfg.ashraeClass ?? 'A1') : null;
    out.push(figure('ashrae.class', c ? c.allowable : null, { start: Math.min(t.ts, rh?.ts ?? t.ts), end: now, label: 'instant' }, {
      inputs: { device: m.device, rack: m.name.split('.')[1], temperature: t.value, humidity: rh?.value ?? null, dew_point: dp.value, recommended: c?.recommended ?? null, breaches: c?.classBreaches ?? null, text: c?.text ?? null },
      quality: dp.quality, coverage: dp.value === null ? 0 : 1,
      status: !c ? 'unknown' : c.classBreaches.length ? 'warning' : 'ok',
    }));
  }
  return out;
}

/** Per rack of a BMS: max over fresh modules, spread, freshness, thermal rise, camera fusion. */
export async function bmsFigures(store: Store, cfg: SiteKpiConfig, device: string, now: number, camera?: string): Promise<Figure<number | null>[]> {
  const metas = store.points({ site: cfg.site, device });
  const racks = new Map<string, Array<{ id: string; name: string; minName: string }>>();
  for (const m of metas) {
    const x = /^rack\.(\d+)\.module\.(\d+)\.temperature\.max$/.exec(m.name);
    if (!x) continue;
    let l = racks.get(x[1]!);
    if (!l) racks.set(x[1]!, (l = []));
    l.push({ id: `M${x[2]}`, name: m.name, minName: m.name.replace(/max$/, 'min') });
  }
  const out: Figure<number | null>[] = [];
  for (const [rack, mods] of [...racks].sort((a, b) => Number(a[0]) - Number(b[0]))) {
    const latest = await store.latest({ site: cfg.site, device, names: mods.flatMap((m) => [m.name, m.minName]) });
    const byName = new Map(latest.map((l) => [l.name, l]));
    const modules = mods.map((m) => {
      const l = byName.get(m.name);
      return { id: m.id, max: l && typeof l.value === 'number' ? l.value : null, ageMs: l ? now - l.ts : Infinity, min: byName.get(m.minName)?.value };
    });
    const r = rackMax(modules);
    const spreads = modules.filter((m) => m.max !== null && typeof m.min === 'number').map((m) => ({ id: m.id, spread: (m.max as number) - (m.min as number) }));
    const worst = spreads.reduce<{ id: string; spread: number } | null>((a, s) => (!a || s.spread > a.spread ? s : a), null);
    const flags: string[] = [];
    if (worst && spreadWarning(stats([0, worst.spread]))) flags.push('cell.spread');
    const stale = modules.filter((m) => freshness(m.ageMs).alarm);
    if (stale.length) flags.push('bms.stale');
    const hist = (await store.raw({ site: cfg.site, device, name: `rack.${rack}.temperature.max` }, now - 600_000, now + 1))
      .filter((s) => typeof s.value === 'number').map((s) => ({ ts: s.ts, value: s.value as number }));
    const rise = thermalRise(hist);
    if (rise.length) flags.push('thermal.rise');
    let fusion: { ts: number; deltaK: number } | null = null;
    if (camera) {
      const cam = (await store.raw({ site: cfg.site, device: camera, name: `camera.region.${rack}.temperature.max` }, now - 120_000, now + 1)).filter((s) => typeof s.value === 'number');
      const series = cam.map((c) => {
        const b = [...hist].reverse().find((h) => h.ts <= c.ts);
        return b ? { ts: c.ts, camera: c.value as number, bms: b.value } : null;
      }).filter((x): x is { ts: number; camera: number; bms: number } => x !== null);
      fusion = cameraBmsDisagreement(series);
      if (fusion) flags.push('camera.bms.disagreement');
    }
    out.push(figure('bms.rack', r.max, { start: now - 600_000, end: now, label: 'instant' }, {
      inputs: { device, rack, modules: modules.length, excluded: r.excluded, worst_spread: worst, thermal_rise: rise[rise.length - 1] ?? null, camera_disagreement: fusion },
      quality: r.quality, coverage: modules.length ? (modules.length - r.excluded.length) / modules.length : 0,
      status: fusion ? 'critical' : flags.length ? 'warning' : 'ok', flags,
    }));
  }
  return out;
}

/** Live remaining ride-through of the buffer tank (F21, F22; R22). */
export async function tankFigure(store: Store, cfg: SiteKpiConfig, now: number): Promise<Figure | null> {
  const t = cfg.tank;
  if (!t) return null;
  const layers = await store.latest({ site: cfg.site, device: t.device, names: t.layerPoints });
  const temps = t.layerPoints.map((n) => layers.find((l) => l.name === n));
  const missing = t.layerPoints.filter((_, i) => !temps[i] || typeof temps[i]!.value !== 'number');
  if (missing.length) return figure('tank.ridethrough', null, instant(now), { quality: 'bad', coverage: 0, inputs: { missing } });
  const vol = t.volumeM3 / t.layerPoints.length;
  const energy = layeredEnergyKwh(temps.map((l) => ({ volumeM3: vol, tempC: l!.value as number })), t.limitC);
  let loopKw: number | null = null;
  for (const loop of t.loops ?? []) {
    const v = await store.latest({ site: cfg.site, device: t.device, names: [loop.flowPoint, loop.supplyPoint, loop.returnPoint] });
    const g = (n: string) => v.find((l) => l.name === n)?.value;
    const flow = g(loop.flowPoint);
    const sup = g(loop.supplyPoint);
    const ret = g(loop.returnPoint);
    if (typeof flow !== 'number' || typeof sup !== 'number' || typeof ret !== 'number') { loopKw = null; break; }
    const q = tankLoadKw({ flowLps: loop.flowUnit === 'm3/h' ? flow / 3.6 : flow, supplyC: sup, returnC: ret });
    loopKw = (loopKw ?? 0) + (q?.kw ?? 0);
  }
  let load: { kw: number; source: 'loop' | 'it_power' } | null = loopKw !== null && loopKw > 0 ? { kw: loopKw, source: 'loop' } : null;
  if (!load && t.itPower) {
    const [it] = await store.latest({ site: cfg.site, device: t.itPower.device, names: [t.itPower.point] });
    if (it && typeof it.value === 'number') load = tankLoadKw({ itKw: it.value / 1000 });
  }
  const minutes = load ? rideThroughMin(energy, load.kw) : null;
  const alarm = minutes !== null ? rideThroughAlarm(minutes, t.restartMin, t.marginMin) : null;
  const oldest = Math.min(...temps.map((l) => l!.ts));
  return figure('tank.ridethrough', minutes, { start: oldest, end: now, label: 'instant' }, {
    unit: 'min', inputs: { energy_kwh: energy, load_kw: load?.kw ?? null, load_source: load?.source ?? null, layers: temps.map((l) => l!.value), limit_c: t.limitC },
    quality: temps.some((l) => l!.q > 0) || !load ? 'uncertain' : 'good', status: alarm ? 'critical' : 'ok', flags: alarm ? [alarm] : [],
  });
}
