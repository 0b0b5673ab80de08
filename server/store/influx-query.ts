/**
 * InfluxQL reads of the InfluxDB backend, each turned back into the store's row types so the
 * shared core sees exactly what the DuckDB backend returns.
 */
import { ident, literal, tagText, whereTags } from './influx-line.js';
import type { BatchRecord, CounterDeltaRow, KpiRow, PointMeta, RollupRow, Sample, Stream, ValueType } from './types.js';

interface Series {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

/** How far back/forward a counter's neighbour sample is looked for (same as store/duckdb.ts). */
export const EDGE_LOOKBACK_MS = 2 * 86_400_000;

/** Run statements (one HTTP round trip per 100), one Series[] per statement. */
export type Query = (statements: string[], precision?: 'ms' | 'u') => Promise<Series[][]>;

function objects(series: Series[]): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const s of series) for (const v of s.values) {
    const o: Record<string, unknown> = { ...(s.tags ?? {}) };
    s.columns.forEach((c, i) => { o[c] = v[i]; });
    out.push(o);
  }
  return out;
}

const range = (from: number, to: number): string => `time >= ${Math.trunc(from)}ms AND time < ${Math.trunc(to)}ms`;
const from_ = (rp: string, m: string): string => `${ident(rp)}.${ident(m)}`;

function sampleOf(meta: PointMeta, o: Record<string, unknown>): Sample | null {
  const v = o[meta.field];
  const q = o[`${meta.field}__q`];
  const r = o[`${meta.field}__r`];
  if ((v === null || v === undefined) && (q === null || q === undefined)) return null;
  const s: Sample = { ts: o.time as number, value: (v ?? null) as Sample['value'], q: ((q as number | null) ?? 0) as 0 | 1 | 2 };
  if (typeof r === 'string') s.reason = r;
  return s;
}

export async function readRawQ(q: Query, metas: PointMeta[], from: number, to: number): Promise<Map<number, Sample[]>> {
  const groups = new Map<string, PointMeta[]>();
  for (const m of metas) {
    const k = `${m.measurement}${tagText(m.tags)}`;
    let l = groups.get(k);
    if (!l) groups.set(k, (l = []));
    l.push(m);
  }
  const list = [...groups.values()];
  const stmts = list.map((ms) => {
    const cols = ms.flatMap((m) => [m.field, `${m.field}__q`, `${m.field}__r`]).map(ident).join(',');
    return `SELECT ${cols} FROM ${from_('raw', ms[0]!.measurement)} WHERE ${whereTags(ms[0]!.tags)} AND ${range(from, to)}`;
  });
  const res = await q(stmts);
  const out = new Map<number, Sample[]>();
  list.forEach((ms, i) => {
    const rows = objects(res[i]!);
    for (const m of ms) {
      const l: Sample[] = [];
      for (const o of rows) {
        const s = sampleOf(m, o);
        if (s) l.push(s);
      }
      if (l.length) out.set(m.num, l);
    }
  });
  return out;
}

export async function readEdgeQ(q: Query, metas: PointMeta[], ts: number, side: 'before' | 'after'): Promise<Map<number, Sample>> {
  const fn = side === 'before' ? 'last' : 'first';
  const t = Math.trunc(ts);
  const cond = side === 'before' ? `time < ${t}ms AND time >= ${t - EDGE_LOOKBACK_MS}ms` : `time >= ${t}ms AND time < ${t + EDGE_LOOKBACK_MS}ms`;
  const res = await q(metas.map((m) => `SELECT ${fn}(${ident(m.field)}) AS v FROM ${from_('raw', m.measurement)} WHERE ${whereTags(m.tags)} AND ${cond}`));
  const out = new Map<number, Sample>();
  metas.forEach((m, i) => {
    const o = objects(res[i]!)[0];
    if (o && o.v !== null && o.v !== undefined) out.set(m.num, { ts: o.time as number, value: o.v as number | boolean, q: 0 });
  });
  return out;
}

export async function latestQ(q: Query, metas: PointMeta[]): Promise<Map<number, Sample>> {
  const res = await q(metas.map((m) => {
    const cols = [m.field, `${m.field}__q`, `${m.field}__r`].map(ident).join(',');
    return `SELECT ${cols} FROM ${from_('raw', m.measurement)} WHERE ${whereTags(m.tags)} ORDER BY time DESC LIMIT 1`;
  }));
  const out = new Map<number, Sample>();
  metas.forEach((m, i) => {
    const o = objects(res[i]!)[0];
    const s = o ? sampleOf(m, o) : null;
    if (s) out.set(m.num, s);
  });
  return out;
}

const ROLLUP_FIELDS = ['min', 'max', 'sum', 'count', 'first', 'last', 'count_good'];

export async function readRollupsQ(q: Query, metas: PointMeta[], rp: string, from: number, to: number): Promise<Map<number, RollupRow[]>> {
  const res = await q(metas.map((m) => `SELECT ${ROLLUP_FIELDS.map(ident).join(',')} FROM ${from_(rp, m.measurement)} WHERE ${whereTags({ ...m.tags, point: m.field })} AND ${range(from, to)}`));
  const out = new Map<number, RollupRow[]>();
  const n = (x: unknown): number | null => (x === null || x === undefined ? null : (x as number));
  metas.forEach((m, i) => {
    const rows = objects(res[i]!).map((o) => ({
      bucket: o.time as number, min: n(o.min), max: n(o.max), sum: (o.sum as number) ?? 0, count: (o.count as number) ?? 0,
      first: n(o.first), last: n(o.last), countGood: (o.count_good as number) ?? 0,
    }));
    if (rows.length) out.set(m.num, rows);
  });
  return out;
}

export async function readDeltasQ(q: Query, m: PointMeta, from: number, to: number): Promise<CounterDeltaRow[]> {
  const [series] = await q([`SELECT "delta","resets","wraps","coverage" FROM ${from_('r15m', 'counter_delta')} WHERE ${whereTags({ ...m.tags, point: m.field, kind: m.measurement })} AND ${range(from, to)}`]);
  return objects(series!).map((o) => ({ bucket: o.time as number, delta: o.delta as number, resets: o.resets as number, wraps: o.wraps as number, coverage: o.coverage as number }));
}

export async function readKpisQ(q: Query, f: { site: string; kpi?: string; from?: number; to?: number }): Promise<KpiRow[]> {
  const where = [`"site" = ${literal(f.site)}`];
  if (f.kpi !== undefined) where.push(`"kpi" = ${literal(f.kpi)}`);
  if (f.from !== undefined) where.push(`time >= ${Math.trunc(f.from)}ms`);
  if (f.to !== undefined) where.push(`time < ${Math.trunc(f.to)}ms`);
  const [series] = await q([`SELECT * FROM ${from_('records', 'kpi')} WHERE ${where.join(' AND ')}`]);
  const rows: KpiRow[] = objects(series!).map((o) => ({
    site: o.site as string, scope: o.scope as string, scopeId: o.scope_id as string, kpi: o.kpi as string, category: o.category as string,
    period: o.period as string, periodStart: o.time as number, periodEnd: o.period_end as number,
    value: (o.value as number | null) ?? null, coverage: o.coverage as number, quality: o.quality as 0 | 1 | 2,
    inputs: JSON.parse(o.inputs as string),
  }));
  const key = (k: KpiRow): string => `${k.kpi}\u0000${k.scope}\u0000${k.scopeId}\u0000${k.category}`;
  return rows.sort((a, b) => a.periodStart - b.periodStart || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

export async function readBatchesQ(q: Query, f: { site?: string; agent?: string; stream?: string; from?: number; to?: number }): Promise<BatchRecord[]> {
  const where: string[] = [];
  for (const [k, v] of [['site', f.site], ['agent', f.agent], ['stream', f.stream]] as const) if (v !== undefined) where.push(`${ident(k)} = ${literal(v)}`);
  if (f.from !== undefined) where.push(`time >= ${Math.trunc(f.from) * 1000}u`);
  if (f.to !== undefined) where.push(`time < ${Math.trunc(f.to) * 1000}u`);
  const [series] = await q([`SELECT * FROM ${from_('records', 'batch')}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`], 'u');
  const rows: BatchRecord[] = objects(series!).map((o) => ({
    site: o.site as string, agent: o.agent as string, stream: o.stream as Stream, epoch: o.epoch as string, seq: o.seq as number,
    sentAt: o.sent_at as number, receivedAt: o.received_at as number, count: o.count as number, historical: o.historical as boolean,
  }));
  const key = (r: BatchRecord): string => `${r.site}\u0000${r.agent}\u0000${r.stream}\u0000${r.epoch}`;
  return rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.seq - b.seq));
}

export async function readRegistryQ(q: Query): Promise<PointMeta[]> {
  const [series] = await q(['SELECT * FROM "records"."point_meta"']);
  return objects(series!).map((o, i) => {
    const m: PointMeta = {
      num: i + 1, site: o.site as string, device: o.device as string, name: o.point as string, measurement: o.measurement as string,
      tags: JSON.parse(o.tags_json as string), field: o.field as string, type: o.type as ValueType, counter: o.counter as boolean,
    };
    if (typeof o.unit === 'string') m.unit = o.unit;
    return m;
  });
}
