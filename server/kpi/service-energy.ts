/**
 * Energy figures from the store (R01–R08): PUE from meter counters over a stated period (ratio
 * of sums of 15-min deltas), its category, coverage and flags; pPUE per zone; chiller COP.
 */
import { TIER_MS, type Store } from '../store/types.js';
import { chillerEfficiency } from './chiller.js';
import { sumDeltas } from './counters.js';
import { figure, instant, periodLabel, type Figure, type Quality } from './figure.js';
import { CATEGORY_IT_ROLE, MissingMetersError, partialPue, pue, pueFlags, type MeterEnergy, type PueCategory } from './pue.js';
import type { MeterRef, SiteKpiConfig } from './site-config.js';

const M15 = TIER_MS['15m'];

export function alignPeriod(from: number, to: number): { from: number; to: number } {
  return { from: Math.floor(from / M15) * M15, to: Math.ceil(to / M15) * M15 };
}

export interface MeterReading extends MeterEnergy {
  device: string;
  point: string;
  coverage: number;
  resets: number;
  wraps: number;
}

export async function meterEnergy(store: Store, site: string, m: MeterRef, from: number, to: number): Promise<MeterReading> {
  const rows = await store.counterDeltas({ site, device: m.device, name: m.point }, from, to);
  const s = sumDeltas(rows, from, to, M15);
  const kwh = m.role === 'fuel_in' ? s.delta : s.delta / 1000;
  const r: MeterReading = { role: m.role, kwh, device: m.device, point: m.point, coverage: s.coverage, resets: s.resets, wraps: s.wraps };
  if (m.fuel) r.fuel = m.fuel;
  return r;
}

function qualityOf(coverage: number): Quality {
  return coverage >= 0.95 ? 'good' : coverage > 0 ? 'uncertain' : 'bad';
}

/** The best category the configured meters support: 3 (IT input) > 2 (PDU output) > 1 (UPS output). */
export function bestCategory(cfg: SiteKpiConfig): Exclude<PueCategory, '0'> | null {
  for (const c of ['3', '2', '1'] as const) if (cfg.meters.some((m) => m.role === CATEGORY_IT_ROLE[c])) return c;
  return null;
}

/** PUE over [from, to) (aligned to 15 min). Throws MissingMetersError when the category's meters are not configured. */
export async function pueFigure(store: Store, cfg: SiteKpiConfig, q: { from: number; to: number; category?: Exclude<PueCategory, '0'> }): Promise<Figure> {
  const { from, to } = alignPeriod(q.from, q.to);
  const category = q.category ?? bestCategory(cfg);
  if (!category) throw new MissingMetersError('1', ['ups_out']);
  const needed = [CATEGORY_IT_ROLE[category], 'utility_in'] as const;
  const missing = needed.filter((r) => !cfg.meters.some((m) => m.role === r));
  if (missing.length) throw new MissingMetersError(category, [...missing]);
  const readings = await Promise.all(cfg.meters.map((m) => meterEnergy(store, cfg.site, m, from, to)));
  const used = readings.filter((r) => ['utility_in', 'utility_export', 'gen_out', 'fuel_in', CATEGORY_IT_ROLE[category], ...(category === '1' ? ['non_it_on_ups'] : [])].includes(r.role));
  const coverage = used.reduce((a, r) => Math.min(a, r.coverage), 1);
  const r = pue(used, category);
  const flags = pueFlags(to - from, coverage);
  const valid = Number.isFinite(r.pue) && r.eIt > 0;
  return figure('pue', valid ? r.pue : null, { start: from, end: to, label: periodLabel(to - from) }, {
    inputs: { category, e_dc_kwh: r.eDc, e_it_kwh: r.eIt, dcie_pct: valid ? r.dcie : null, meters: readings.map(({ device, point, role, kwh, coverage: c, resets, wraps }) => ({ device, point, role, kwh, coverage: c, resets, wraps })) },
    coverage, quality: valid ? qualityOf(coverage) : 'bad', flags,
  });
}

/** pPUE per configured zone (F11) over [from, to). */
export async function ppueFigures(store: Store, cfg: SiteKpiConfig, q: { from: number; to: number }): Promise<Figure[]> {
  const { from, to } = alignPeriod(q.from, q.to);
  const out: Figure[] = [];
  for (const z of cfg.zones ?? []) {
    const it = await meterEnergy(store, cfg.site, z.it, from, to);
    const infra = await Promise.all(z.infra.map((m) => meterEnergy(store, cfg.site, m, from, to)));
    const eInfra = infra.reduce((a, r) => a + r.kwh, 0);
    const coverage = [it, ...infra].reduce((a, r) => Math.min(a, r.coverage), 1);
    out.push(figure('ppue', it.kwh > 0 ? partialPue(it.kwh, eInfra) : null, { start: from, end: to, label: periodLabel(to - from) }, {
      inputs: { zone: z.id, e_it_kwh: it.kwh, e_infra_kwh: eInfra }, coverage, quality: qualityOf(coverage), flags: pueFlags(to - from, coverage),
    }));
  }
  return out;
}

/** Chiller COP and kW/ton from the latest plant values (R08). */
export async function chillerFigure(store: Store, cfg: SiteKpiConfig, now: number): Promise<Figure | null> {
  const c = cfg.chiller;
  if (!c) return null;
  const latest = await store.latest({ site: cfg.site, device: c.device, names: [c.flowPoint, c.supplyPoint, c.returnPoint, c.powerPoint] });
  const get = (n: string) => latest.find((l) => l.name === n);
  const vals = [c.flowPoint, c.supplyPoint, c.returnPoint, c.powerPoint].map(get);
  const p = instant(now);
  if (vals.some((v) => !v || typeof v.value !== 'number')) {
    return figure('chiller.cop', null, p, { quality: 'bad', coverage: 0, inputs: { missing: [c.flowPoint, c.supplyPoint, c.returnPoint, c.powerPoint].filter((_, i) => !vals[i] || typeof vals[i]!.value !== 'number') } });
  }
  const [flow, sup, ret, pw] = vals.map((v) => v!.value as number) as [number, number, number, number];
  const flowLps = c.flowUnit === 'm3/h' ? flow / 3.6 : flow;
  const kw = c.powerUnit === 'W' ? pw / 1000 : pw;
  const e = chillerEfficiency(flowLps, sup, ret, kw);
  const q: Quality = vals.some((v) => v!.q === 1) ? 'uncertain' : 'good';
  return figure('chiller.cop', e.cop, { ...p, start: Math.min(...vals.map((v) => v!.ts)) }, { inputs: { cooling_kw: e.coolingKw, tons: e.tons, kw_per_ton: e.kwPerTon, electric_kw: kw }, quality: q, flags: ['instantaneous'] });
}
