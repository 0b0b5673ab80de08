/**
 * The shared store core: point registry and types, quality rules, dirty-bucket tracking, rollups
 * and counter deltas, gap computation. Backends (duckdb.ts, influx.ts) only store and read, so the
 * same code decides every answer on both (R43).
 *
 * Rules on write (R42):
 * - a bad point, a non-finite number, a good/uncertain point without a value, or a value whose
 *   type differs from the point's registered type is stored as absent (value null, q 2) with its
 *   reason, and counted in `rejected`;
 * - samples are keyed by (point, ts): writing the same batch twice gives the same stored result;
 * - each write marks the 1-min buckets (and, for counters, the 15-min buckets and their
 *   neighbours) it touched; flushRollups() recomputes them from stored data, so late data re-opens
 *   its buckets and several replicas converge on the same rows.
 */
import type { Point } from '../../lib/points.js';
import { counterDeltaBuckets, type CounterSample } from '../kpi/counters.js';
import type { Backend, SampleRow } from './backend.js';
import { placePoint, validateLayout, type LayoutConfig } from './layout.js';
import { aggregateRow, bucketOf, mergeRows, rollupSamples, TIER_PARENT } from './rollup.js';
import {
  pointId, TIER_MS, type Aggregate, type AggregatePoint, type BatchRecord, type CounterDeltaRow, type FlushResult,
  type GapRecord, type KpiRow, type LatestSample, type PointKey, type PointMeta, type RollupRow, type Sample,
  type Store, type StoreStats, type Stream, type Tier, type ValueType, type WriteResult,
} from './types.js';

export interface CoreOptions {
  layout?: LayoutConfig;
  /** Longest spacing of counter samples that always counts as covered time (F9; 2 × the estimated poll interval also does). Default 60 s. */
  counterMaxGapMs?: number;
  /** Called for each counter reset found while computing deltas (event `meter.reset`, R05). */
  onCounterReset?: (e: { point: PointKey; ts: number }) => void;
  /** Samples older than this (raw tier retention) are refused as `beyond_retention`. Default 30 days. */
  rawRetentionMs?: number;
  /** Clock for the retention check (tests). */
  now?: () => number;
}

const M15 = TIER_MS['15m'];
const HOUR = TIER_MS['1h'];

function addTo(map: Map<number, Set<number>>, num: number, bucket: number): void {
  let s = map.get(num);
  if (!s) map.set(num, (s = new Set()));
  s.add(bucket);
}

function typeOf(v: unknown): ValueType | null {
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'string') return 'string';
  return null;
}

export class StoreCore implements Store {
  readonly kind: 'duckdb' | 'influxdb';
  private readonly registry = new Map<string, PointMeta>();
  private readonly byNum = new Map<number, PointMeta>();
  private nextNum = 1;
  private dirty1m = new Map<number, Set<number>>();
  private dirtyCounter = new Map<number, Set<number>>();
  private samplesWritten = 0;
  private readonly rejected: Record<string, number> = {};

  constructor(private readonly backend: Backend, private readonly opts: CoreOptions = {}) {
    this.kind = backend.kind;
    validateLayout(opts.layout ?? {});
  }

  async start(): Promise<void> {
    for (const m of await this.backend.open()) this.remember(m);
  }

  async stop(): Promise<void> {
    await this.backend.close();
  }

  private remember(m: PointMeta): void {
    this.registry.set(pointId(m), m);
    this.byNum.set(m.num, m);
    if (m.num >= this.nextNum) this.nextNum = m.num + 1;
  }

  private reject(reason: string): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1;
  }

  async write(points: Point[]): Promise<WriteResult> {
    const res: WriteResult = { written: 0, rejected: {} };
    const rows: SampleRow[] = [];
    const fresh: PointMeta[] = [];
    const count = (reason: string): void => {
      res.rejected[reason] = (res.rejected[reason] ?? 0) + 1;
      this.reject(reason);
    };
    const oldest = (this.opts.now ?? Date.now)() - (this.opts.rawRetentionMs ?? 30 * 86_400_000);
    for (const p of points) {
      if (!p.site || !p.device || !p.name || !Number.isInteger(p.ts) || p.ts < 0) { count('invalid_point'); continue; }
      if (p.ts < oldest) { count('beyond_retention'); continue; }
      const id = `${p.site}/${p.device}/${p.name}`;
      let meta = this.registry.get(id);
      let value = p.value;
      let q: 0 | 1 | 2 = p.quality === 'good' ? 0 : p.quality === 'uncertain' ? 1 : 2;
      let reason = p.reason === undefined ? undefined : String(p.reason);
      if (q === 2) { value = null; reason ??= 'bad'; }
      else if (value === null || value === undefined) { q = 2; value = null; reason = 'no_value'; }
      else if (typeof value === 'number' && !Number.isFinite(value)) { q = 2; value = null; reason = 'nan'; }
      const t = typeOf(value);
      if (!meta) {
        const place = placePoint(p.site, p.device, p.name, this.opts.layout);
        meta = { site: p.site, device: p.device, name: p.name, num: this.nextNum++, ...place, type: t ?? 'unknown' };
        if (p.unit !== undefined) meta.unit = p.unit;
        this.remember(meta);
        fresh.push(meta);
      } else if (t && meta.type === 'unknown') {
        meta.type = t;
        fresh.push(meta);
      }
      if (t && meta.type !== t) { q = 2; value = null; reason = 'type_conflict'; }
      if (q === 2) count(reason ?? 'bad');
      const sample: Sample = { ts: p.ts, value, q };
      if (reason !== undefined) sample.reason = reason;
      rows.push({ meta, sample });
      if (meta.type === 'number' || meta.type === 'boolean' || meta.type === 'unknown') addTo(this.dirty1m, meta.num, bucketOf(p.ts, '1m'));
      if (meta.counter) {
        const b = bucketOf(p.ts, '15m');
        addTo(this.dirtyCounter, meta.num, b - M15);
        addTo(this.dirtyCounter, meta.num, b);
        addTo(this.dirtyCounter, meta.num, b + M15);
      }
    }
    if (fresh.length) await this.backend.registerPoints(fresh);
    if (rows.length) await this.backend.writeSamples(rows);
    res.written = rows.length;
    this.samplesWritten += rows.length;
    return res;
  }

  async flushRollups(): Promise<FlushResult> {
    const result: FlushResult = { buckets: { '1m': 0, '15m': 0, '1h': 0, '1d': 0 }, counterBuckets: 0 };
    const dirty = this.dirty1m;
    this.dirty1m = new Map();
    // 1 min from raw, for the points dirty in each hour.
    const byHour = new Map<number, Map<number, Set<number>>>();
    for (const [num, buckets] of dirty) {
      for (const b of buckets) {
        const h = bucketOf(b, '1h');
        let m = byHour.get(h);
        if (!m) byHour.set(h, (m = new Map()));
        addTo(m, num, b);
      }
    }
    let parentDirty = new Map<number, Set<number>>();
    // Consecutive dirty hours are read together (up to 6 h per query).
    const hours = [...byHour.keys()].sort((a, b) => a - b);
    for (let i = 0; i < hours.length;) {
      let j = i;
      while (j + 1 < hours.length && hours[j + 1]! === hours[j]! + HOUR && hours[j + 1]! - hours[i]! < 6 * HOUR) j++;
      const perPoint = new Map<number, Set<number>>();
      for (const h of hours.slice(i, j + 1)) for (const [num, bs] of byHour.get(h)!) for (const b of bs) addTo(perPoint, num, b);
      const metas = [...perPoint.keys()].map((n) => this.byNum.get(n)!);
      const raw = await this.backend.readRaw(metas, hours[i]!, hours[j]! + HOUR);
      i = j + 1;
      const out: Array<{ meta: PointMeta; row: RollupRow }> = [];
      for (const meta of metas) {
        const want = perPoint.get(meta.num)!;
        for (const row of rollupSamples(raw.get(meta.num) ?? [], '1m')) {
          if (!want.has(row.bucket)) continue;
          out.push({ meta, row });
          addTo(parentDirty, meta.num, bucketOf(row.bucket, '15m'));
        }
      }
      if (out.length) await this.backend.writeRollups('1m', out);
      result.buckets['1m'] += out.length;
    }
    for (const [tier, child] of TIER_PARENT) {
      const next = new Map<number, Set<number>>();
      const parent = TIER_PARENT.find(([, c]) => c === tier)?.[0];
      const step = TIER_MS[tier];
      // Contiguous runs of dirty buckets (per point, grouped by equal range) are read in one query.
      const groups = new Map<string, { lo: number; hi: number; metas: PointMeta[]; want: Map<number, Set<number>> }>();
      for (const [num, set] of parentDirty) {
        const bs = [...set].sort((a, b) => a - b);
        for (let i = 0; i < bs.length;) {
          let j = i;
          while (j + 1 < bs.length && bs[j + 1]! - bs[j]! === step) j++;
          const key = `${bs[i]}:${bs[j]! + step}`;
          let g = groups.get(key);
          if (!g) groups.set(key, (g = { lo: bs[i]!, hi: bs[j]! + step, metas: [], want: new Map() }));
          g.metas.push(this.byNum.get(num)!);
          g.want.set(num, new Set(bs.slice(i, j + 1)));
          i = j + 1;
        }
      }
      for (const g of [...groups.values()].sort((a, b) => a.lo - b.lo)) {
        const rows = await this.backend.readRollups(g.metas, child, g.lo, g.hi);
        const out: Array<{ meta: PointMeta; row: RollupRow }> = [];
        for (const meta of g.metas) {
          const want = g.want.get(meta.num)!;
          for (const row of mergeRows(rows.get(meta.num) ?? [], tier)) {
            if (!want.has(row.bucket)) continue;
            out.push({ meta, row });
            if (parent) addTo(next, meta.num, bucketOf(row.bucket, parent));
          }
        }
        if (out.length) await this.backend.writeRollups(tier, out);
        result.buckets[tier] += out.length;
      }
      parentDirty = next;
    }
    result.counterBuckets = await this.flushCounters();
    return result;
  }

  /**
   * Counter deltas for every dirty 15-min bucket: contiguous runs of dirty buckets are read at once
   * (plus the neighbour samples on each side) and split by counterDeltaBuckets. A neighbour further
   * away than the run's edge bucket makes the buckets it spans dirty too (next round).
   */
  private async flushCounters(): Promise<number> {
    let pending = this.dirtyCounter;
    this.dirtyCounter = new Map();
    const done = new Map<number, Set<number>>();
    const maxGapMs = this.opts.counterMaxGapMs ?? 60_000;
    let n = 0;
    while (pending.size) {
      const groups = new Map<string, { lo: number; hi: number; metas: PointMeta[] }>();
      for (const [num, set] of pending) {
        const bs = [...set].filter((b) => !done.get(num)?.has(b)).sort((a, b) => a - b);
        for (let i = 0; i < bs.length;) {
          let j = i;
          while (j + 1 < bs.length && bs[j + 1]! - bs[j]! <= 4 * M15) j++; // holes up to 1 h join the run
          const lo = bs[i]!;
          const hi = bs[j]! + M15;
          const key = `${lo}:${hi}`;
          let g = groups.get(key);
          if (!g) groups.set(key, (g = { lo, hi, metas: [] }));
          g.metas.push(this.byNum.get(num)!);
          i = j + 1;
        }
      }
      pending = new Map();
      for (const g of [...groups.values()].sort((a, b) => a.lo - b.lo)) {
        const [raw, before, after] = await Promise.all([
          this.backend.readRaw(g.metas, g.lo, g.hi),
          this.backend.readEdge(g.metas, g.lo, 'before'),
          this.backend.readEdge(g.metas, g.hi, 'after'),
        ]);
        const out: Array<{ meta: PointMeta; row: CounterDeltaRow }> = [];
        for (const meta of g.metas) {
          let d = done.get(meta.num);
          if (!d) done.set(meta.num, (d = new Set()));
          for (let b = g.lo; b < g.hi; b += M15) d.add(b);
          const samples: CounterSample[] = [];
          const prev = before.get(meta.num);
          if (prev && typeof prev.value === 'number') samples.push({ ts: prev.ts, value: prev.value });
          for (const s of raw.get(meta.num) ?? []) if (typeof s.value === 'number') samples.push({ ts: s.ts, value: s.value });
          const next = after.get(meta.num);
          if (next && typeof next.value === 'number') samples.push({ ts: next.ts, value: next.value });
          if (samples.length < 2) continue;
          for (const r of counterDeltaBuckets(samples, g.lo, g.hi, M15, { maxGapMs })) {
            out.push({ meta, row: { bucket: r.bucket, delta: r.delta, resets: r.resets, wraps: r.wraps, coverage: r.coverage } });
            for (const ts of r.resetAt) this.opts.onCounterReset?.({ point: { site: meta.site, device: meta.device, name: meta.name }, ts });
          }
          // A pair reaching beyond the run: the buckets it spans outside the run change too.
          if (prev) for (let x = bucketOf(prev.ts, '15m'); x < g.lo; x += M15) if (!d.has(x)) addTo(pending, meta.num, x);
          if (next) for (let x = g.hi; x <= bucketOf(next.ts, '15m'); x += M15) if (!d.has(x)) addTo(pending, meta.num, x);
        }
        if (out.length) await this.backend.writeDeltas(out);
        n += out.length;
      }
    }
    return n;
  }

  private find(k: PointKey): PointMeta | undefined {
    return this.registry.get(pointId(k));
  }

  points(q: { site?: string; device?: string } = {}): PointMeta[] {
    return [...this.registry.values()]
      .filter((m) => (q.site === undefined || m.site === q.site) && (q.device === undefined || m.device === q.device))
      .sort((a, b) => pointId(a).localeCompare(pointId(b)));
  }

  async latest(q: { site?: string; device?: string; names?: string[] }): Promise<LatestSample[]> {
    const metas = this.points(q).filter((m) => !q.names || q.names.includes(m.name));
    const got = await this.backend.latest(metas);
    const out: LatestSample[] = [];
    for (const m of metas) {
      const s = got.get(m.num);
      if (!s) continue;
      const l: LatestSample = { site: m.site, device: m.device, name: m.name, ...s };
      if (m.unit !== undefined) l.unit = m.unit;
      out.push(l);
    }
    return out;
  }

  async raw(key: PointKey, from: number, to: number): Promise<Sample[]> {
    const m = this.find(key);
    if (!m) return [];
    return (await this.backend.readRaw([m], from, to)).get(m.num) ?? [];
  }

  async rollups(key: PointKey, tier: Tier, from: number, to: number): Promise<RollupRow[]> {
    const m = this.find(key);
    if (!m) return [];
    return (await this.backend.readRollups([m], tier, from, to)).get(m.num) ?? [];
  }

  async aggregate(key: PointKey, tier: Tier, from: number, to: number, fn: Aggregate): Promise<AggregatePoint[]> {
    return (await this.rollups(key, tier, from, to)).map((r) => aggregateRow(r, fn));
  }

  async counterDeltas(key: PointKey, from: number, to: number): Promise<CounterDeltaRow[]> {
    const m = this.find(key);
    if (!m || !m.counter) return [];
    return this.backend.readDeltas(m, from, to);
  }

  writeKpis(rows: KpiRow[]): Promise<void> {
    return this.backend.writeKpis(rows);
  }

  kpis(q: { site: string; kpi?: string; from?: number; to?: number }): Promise<KpiRow[]> {
    return this.backend.readKpis(q);
  }

  recordBatch(rec: BatchRecord): Promise<void> {
    return this.backend.writeBatches([rec]);
  }

  recordBatches(recs: BatchRecord[]): Promise<void> {
    return recs.length ? this.backend.writeBatches(recs) : Promise.resolve();
  }

  batches(q: { site?: string; agent?: string; stream?: Stream; from?: number; to?: number }): Promise<BatchRecord[]> {
    return this.backend.readBatches(q);
  }

  /** Gaps between received batches of each (agent, stream, epoch), from the stored batch records. */
  async gaps(q: { site?: string; agent?: string; stream?: Stream; from?: number; to?: number }): Promise<GapRecord[]> {
    const recs = await this.backend.readBatches(q);
    const groups = new Map<string, BatchRecord[]>();
    for (const r of recs) {
      const k = `${r.site}\u0000${r.agent}\u0000${r.stream}\u0000${r.epoch}`;
      let l = groups.get(k);
      if (!l) groups.set(k, (l = []));
      l.push(r);
    }
    const out: GapRecord[] = [];
    for (const l of groups.values()) {
      l.sort((a, b) => a.seq - b.seq);
      for (let i = 1; i < l.length; i++) {
        const a = l[i - 1]!;
        const b = l[i]!;
        if (b.seq - a.seq > 1) {
          out.push({ site: a.site, agent: a.agent, stream: a.stream, epoch: a.epoch, fromSeq: a.seq + 1, toSeq: b.seq - 1, missing: b.seq - a.seq - 1, start: a.sentAt, end: b.sentAt });
        }
      }
    }
    return out.sort((a, b) => a.start - b.start);
  }

  applyRetention(now: number): Promise<Record<string, number>> {
    return this.backend.applyRetention(now);
  }

  stats(): StoreStats {
    let dirty = 0;
    for (const s of this.dirty1m.values()) dirty += s.size;
    return { points: this.registry.size, samplesWritten: this.samplesWritten, rejected: { ...this.rejected }, dirtyBuckets: dirty };
  }
}
