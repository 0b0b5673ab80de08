/**
 * Power-chain figures from the store: UPS status, liveness, events and N-1 (R12–R16); utility
 * feeds: state, availability, transfers, redundancy lost, N+N headroom (R23–R26); A/B rack
 * circuits (R27).
 */
import { TIER_MS, type LatestSample, type Sample, type Store } from '../store/types.js';
import { sumDeltas } from './counters.js';
import { abPair, availability, falseIntervals, headroom, peakDemandKw, redundancyLost, transferEvents, type TransferSample } from './feeds.js';
import { figure, instant, periodLabel, type Figure } from './figure.js';
import type { SiteKpiConfig } from './site-config.js';
import { nMinusOne, parseStatus, runtimeCheck, runtimeEnergy, SIM_UPS_BITS, statusFromBits, upsEvents, upsLiveness, type LoadGroup } from './ups.js';

const M15 = TIER_MS['15m'];

function bits(latest: LatestSample[]): Record<string, boolean | null> {
  const out: Record<string, boolean | null> = {};
  for (const l of latest) if (l.name in SIM_UPS_BITS) out[l.name] = typeof l.value === 'boolean' ? l.value : null;
  return out;
}

/** Live state of every UPS: NUT status, flags, bitmask, liveness (stale/dead rule). */
export async function upsStatusFigures(store: Store, cfg: SiteKpiConfig, now: number): Promise<Figure<string | null>[]> {
  const u = cfg.ups;
  if (!u) return [];
  const out: Figure<string | null>[] = [];
  for (const unit of u.units) {
    const latest = await store.latest({ site: cfg.site, device: unit.device });
    const statusText = latest.find((l) => l.name === 'ups.status' && typeof l.value === 'string')?.value as string | undefined;
    const status = statusText ?? statusFromBits(bits(latest));
    const lastTs = latest.reduce((m, l) => (l.q < 2 ? Math.max(m, l.ts) : m), 0);
    const live = upsLiveness(lastTs, status, now, u.pollMs, u.deadtimeMs);
    const parsed = parseStatus(status);
    const load = latest.find((l) => l.name === unit.loadPoint);
    const num = (n: string): number | null => { const v = latest.find((l) => l.name === n)?.value; return typeof v === 'number' ? v : null; };
    let runtime: Record<string, unknown> | null = null;
    const extra: string[] = [];
    const charge = num('battery.charge');
    const loadW = typeof load?.value === 'number' ? load.value : null;
    if (unit.runtime && charge !== null && loadW !== null && loadW > 0) {
      const est = runtimeEnergy({ nominalKwh: unit.runtime.nominalKwh, soc: charge / 100, soh: unit.runtime.soh, efficiency: unit.runtime.efficiency }, loadW / 1000);
      const chk = runtimeCheck(num('battery.runtime'), est, unit.runtime.requiredS);
      runtime = { reported_s: num('battery.runtime'), estimated_s: est, runtime_s: chk.runtimeS, required_s: unit.runtime.requiredS, alarms: chk.alarms };
      extra.push(...chk.alarms);
    }
    out.push(figure('ups.status', lastTs ? status : null, instant(now), {
      inputs: { device: unit.device, zone: unit.zone, flags: parsed.flags, mask: parsed.mask, liveness: live.state, assumed: live.assumed, last_seen: lastTs || null, load_w: loadW, runtime },
      quality: live.state === 'ok' ? 'good' : live.state === 'stale' ? 'uncertain' : 'bad',
      coverage: live.state === 'dead' || !lastTs ? 0 : 1,
      status: live.critical || extra.includes('runtime.insufficient') ? 'critical' : live.state === 'dead' ? 'unknown' : extra.length ? 'warning' : 'ok',
      flags: [...(live.critical ? ['dead', 'lowbattery_assumed'] : live.state === 'dead' ? ['dead'] : live.state === 'stale' ? ['stale'] : []), ...extra],
    }));
  }
  return out;
}

/** Status strings over time from the stored bits of one UPS, then upsmon events (R13). */
export async function upsEventsFigure(store: Store, cfg: SiteKpiConfig, device: string, from: number, to: number): Promise<Figure<number>> {
  const series = new Map<number, Record<string, boolean | null>>();
  for (const name of Object.keys(SIM_UPS_BITS)) {
    for (const s of await store.raw({ site: cfg.site, device, name }, from, to)) {
      let r = series.get(s.ts);
      if (!r) series.set(s.ts, (r = {}));
      r[name] = typeof s.value === 'boolean' ? s.value : null;
    }
  }
  const samples = [...series.entries()].sort((a, b) => a[0] - b[0]).map(([ts, b]) => ({ ts, status: statusFromBits(b) }));
  const events = upsEvents(samples);
  return figure('ups.events', events.length, { start: from, end: to, label: periodLabel(to - from) }, { inputs: { device, events, samples: samples.length }, coverage: samples.length ? 1 : 0 });
}

/** "Can the site lose any one UPS zone?" from live zone loads (F31, R16). */
export async function upsN1Figure(store: Store, cfg: SiteKpiConfig, now: number): Promise<Figure<string | null> | null> {
  const u = cfg.ups;
  if (!u) return null;
  const loads: Record<string, number> = {};
  let oldest = now;
  const missing: string[] = [];
  for (const unit of u.units) {
    const [l] = await store.latest({ site: cfg.site, device: unit.device, names: [unit.loadPoint] });
    if (!l || typeof l.value !== 'number') { missing.push(unit.device); continue; }
    loads[unit.zone] = l.value / 1000;
    oldest = Math.min(oldest, l.ts);
  }
  const zones = u.units.map((x) => ({ id: x.zone, capacityKw: x.capacityKw }));
  let groups: LoadGroup[] | undefined = u.groups;
  if (!groups) {
    const present = Object.values(loads);
    const mean = present.length ? present.reduce((a, b) => a + b, 0) / present.length : 0;
    groups = [];
    for (let i = 0; i < zones.length; i++) for (let j = i + 1; j < zones.length; j++) {
      groups.push({ id: `${zones[i]!.id}+${zones[j]!.id}`, loadKw: (2 * mean) / (zones.length - 1), feeds: [{ zone: zones[i]!.id, share: 0.5 }, { zone: zones[j]!.id, share: 0.5 }] });
    }
  }
  const r = nMinusOne(zones, groups, u.uMax);
  const message = r.status === 'critical' ? 'N-1 not met' : r.status === 'warning' ? 'N-1 met, no margin' : 'N-1 met';
  return figure('ups.n1', missing.length ? null : r.status, { start: oldest, end: now, label: 'instant' }, {
    inputs: { zone_loads_kw: loads, normal_kw: r.normal, cases: r.cases, groups_from: u.groups ? 'config' : 'live mean zone load', missing },
    coverage: (u.units.length - missing.length) / u.units.length, quality: missing.length ? 'bad' : 'good', status: missing.length ? 'unknown' : r.status, message,
  });
}

async function boolSeries(store: Store, site: string, device: string, name: string, from: number, to: number): Promise<Sample[]> {
  const before = (await store.raw({ site, device, name }, from - 3_600_000, from)).filter((s) => s.value !== null).slice(-1);
  return [...before, ...(await store.raw({ site, device, name }, from, to))];
}

/** Feed state, availability, transfer events, redundancy lost and N+N headroom over [from, to). */
export async function feedFigures(store: Store, cfg: SiteKpiConfig, from: number, to: number, now: number): Promise<Figure<string | null>> {
  const f = cfg.feeds;
  if (!f) return figure('feeds', null, { start: from, end: to, label: periodLabel(to - from) }, { quality: 'bad', coverage: 0, message: 'no feeds configured' });
  const src = await boolSeries(store, cfg.site, f.device, f.sourcePoint, from, to);
  const avail = await Promise.all(f.feeds.map((x) => boolSeries(store, cfg.site, f.device, x.availablePoint, from, to)));
  // Merge into one timeline where each sample carries the latest known value of each input.
  const times = [...new Set([...src, ...avail.flat()].map((s) => s.ts))].sort((a, b) => a - b);
  const idx = new Array(f.feeds.length + 1).fill(0) as number[];
  const cur: Array<Sample['value']> = new Array(f.feeds.length + 1).fill(null);
  const lists = [src, ...avail];
  const timeline: TransferSample[] = [];
  for (const t of times) {
    lists.forEach((l, k) => { while (idx[k]! < l.length && l[idx[k]!]!.ts <= t) { cur[k] = l[idx[k]!]!.value; idx[k]!++; } });
    const available: Record<string, boolean | null> = {};
    f.feeds.forEach((x, k) => { available[x.id] = typeof cur[k + 1] === 'boolean' ? (cur[k + 1] as boolean) : null; });
    timeline.push({ ts: t, source: typeof cur[0] === 'string' ? (cur[0] as string) : null, available });
  }
  const { events, failures } = transferEvents(timeline, { failAfterMs: f.failAfterMs });
  const perFeed = f.feeds.map((x) => {
    const down = falseIntervals(timeline.map((s) => ({ ts: s.ts, ok: s.available[x.id] !== false })), from, to);
    const last = [...timeline].reverse().find((s) => s.ts <= now);
    return { feed: x.id, available: last?.available[x.id] ?? null, availability: availability(down, from, to), unavailable: down };
  });
  const red = redundancyLost(timeline, from, to, 2);
  // Peak 15-min demand from the demand meter's deltas over the last 30 days (R25).
  const dFrom = Math.floor((now - 30 * 86_400_000) / M15) * M15;
  const deltas = await store.counterDeltas({ site: cfg.site, device: f.demand.device, name: f.demand.point }, dFrom, now);
  const peakKw = peakDemandKw(deltas.map((d) => d.delta / 1000));
  const head = headroom(f.feeds.map((x) => ({ id: x.id, capacityKw: x.capacityKw })), peakKw, f.margin);
  const demandCov = sumDeltas(deltas, dFrom, now, M15).coverage;
  const last = timeline[timeline.length - 1];
  const state = red.lostNow ? 'redundancy_lost' : 'redundant';
  return figure('feeds', timeline.length ? state : null, { start: from, end: to, label: periodLabel(to - from) }, {
    inputs: {
      source: last?.source ?? null, feeds: perFeed, transfers: events, transfer_failures: failures,
      redundancy_lost: red.intervals, time_without_redundancy_ms: red.totalMs, peak_demand_kw: peakKw, demand_coverage: demandCov, headroom: head.feeds,
    },
    coverage: timeline.length ? 1 : 0, quality: timeline.length ? 'good' : 'bad',
    status: failures.length || head.status === 'critical' ? 'critical' : red.lostNow || head.status === 'warning' ? 'warning' : 'ok',
    flags: [...(red.lostNow ? ['redundancy_lost'] : []), ...(failures.length ? ['transfer.failed'] : [])],
  });
}

/** A/B rack circuits (R27): pairs of `…pdu.a.current` / `…pdu.b.current` points on pdu devices. */
export async function circuitFigures(store: Store, cfg: SiteKpiConfig, now: number): Promise<Figure<string | null>[]> {
  const rating = cfg.circuitRatingA ?? 32;
  const out: Figure<string | null>[] = [];
  const metas = store.points({ site: cfg.site }).filter((m) => /pdu\.a\.current$/.test(m.name));
  for (const m of metas) {
    const bName = m.name.replace(/pdu\.a\.current$/, 'pdu.b.current');
    const latest = await store.latest({ site: cfg.site, device: m.device, names: [m.name, bName] });
    const a = latest.find((l) => l.name === m.name);
    const b = latest.find((l) => l.name === bName);
    if (!a || !b || typeof a.value !== 'number' || typeof b.value !== 'number') continue;
    const r = abPair(a.value, b.value, rating);
    out.push(figure('circuit.ab', r.status, { start: Math.min(a.ts, b.ts), end: now, label: 'instant' }, {
      inputs: { device: m.device, circuit: m.name.replace(/\.?pdu\.a\.current$/, '') || m.device, a_amps: a.value, b_amps: b.value, sum_amps: r.sum, limit_amps: r.limitA, rating_amps: rating },
      quality: a.q || b.q ? 'uncertain' : 'good', status: r.status, ...(r.alarm ? { flags: [r.alarm] } : {}),
    }));
  }
  return out;
}
