/**
 * Embedded store backend: one DuckDB file (or ':memory:'), no server (SERVER.md §2.3).
 * Bulk writes go through the appender into a stage table, then one INSERT OR REPLACE keyed by
 * (point, ts), so a batch written twice is stored once. All work on the one connection is
 * serialised, so stage tables are never shared by two writes.
 */
import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import type { Backend, SampleRow } from './backend.js';
import { RETENTION_MS, SCHEMA } from './duckdb-schema.js';
import { EDGE_LOOKBACK_MS } from './influx-query.js';
import type { BatchRecord, CounterDeltaRow, KpiRow, PointMeta, RollupRow, Sample, Tier, Stream, ValueType } from './types.js';

export interface DuckDbOptions {
  /** File path, or ':memory:'. */
  path: string;
}

function int(x: number): string {
  if (!Number.isFinite(x)) throw new TypeError(`not a finite number: ${x}`);
  return String(Math.trunc(x));
}

function nums(metas: PointMeta[]): string {
  return metas.map((m) => int(m.num)).join(',');
}

function num(x: unknown): number {
  return typeof x === 'bigint' ? Number(x) : (x as number);
}

function toSample(r: Record<string, unknown>): Sample {
  const vt = num(r.vt);
  const value = vt === 1 ? num(r.v) : vt === 2 ? num(r.v) === 1 : vt === 3 ? (r.s as string) : null;
  const s: Sample = { ts: num(r.ts), value, q: num(r.q) as 0 | 1 | 2 };
  if (r.r !== null && r.r !== undefined) s.reason = r.r as string;
  return s;
}

function toRollup(r: Record<string, unknown>): RollupRow {
  const n = (x: unknown): number | null => (x === null || x === undefined ? null : num(x));
  return { bucket: num(r.bucket), min: n(r.min), max: n(r.max), sum: num(r.sum), count: num(r.count), first: n(r.first), last: n(r.last), countGood: num(r.count_good) };
}

const SAMPLE_COLS = 'point, ts, v, s, vt, q, r';
/** The newest write of each (point, ts). */
const DEDUP = 'QUALIFY row_number() OVER (PARTITION BY point, ts ORDER BY w DESC) = 1';


export class DuckDbBackend implements Backend {
  readonly kind = 'duckdb' as const;
  private instance: DuckDBInstance | null = null;
  private conn: DuckDBConnection | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  /** Latest sample per point, authoritative in this process; persisted to `latest` at most every 5 s and on close. */
  private readonly latestCache = new Map<number, Sample>();
  private readonly latestDirty = new Set<number>();
  private latestPersistedAt = 0;
  /** Write order across restarts: microseconds of the wall clock at start, then +1 per row. */
  private stageSeq = Date.now() * 1000;

  constructor(private readonly opts: DuckDbOptions) {}

  /** Run fn alone on the connection (one writer/reader at a time). */
  private exclusive<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const next = this.chain.then(() => {
      if (!this.conn) throw new Error('DuckDB store is not started; call start() first');
      return fn(this.conn);
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async rows(c: DuckDBConnection, sql: string, params?: unknown[]): Promise<Record<string, unknown>[]> {
    const reader = await c.runAndReadAll(sql, params as never);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  }

  async open(): Promise<PointMeta[]> {
    this.instance = await DuckDBInstance.create(this.opts.path);
    this.conn = await this.instance.connect();
    return this.exclusive(async (c) => {
      for (const s of SCHEMA) await c.run(s);
      await c.run('DELETE FROM rollup_stage');
      await c.run('DELETE FROM point_stage');
      await c.run('DELETE FROM latest_stage');
      // Latest values: the persisted table, overlaid by samples newer than its last persist.
      for (const r of await this.rows(c, `SELECT ${SAMPLE_COLS} FROM latest`)) this.latestCache.set(num(r.point), toSample(r));
      const recent = await this.rows(c, `SELECT ${SAMPLE_COLS} FROM sample WHERE ts >= (SELECT coalesce(max(ts), 0) FROM latest) - 600000
        QUALIFY row_number() OVER (PARTITION BY point ORDER BY ts DESC, w DESC) = 1`);
      for (const r of recent) {
        const cur = this.latestCache.get(num(r.point));
        if (!cur || num(r.ts) >= cur.ts) this.latestCache.set(num(r.point), toSample(r));
      }
      const rows = await this.rows(c, 'SELECT * FROM point ORDER BY num');
      return rows.map((r) => {
        const m: PointMeta = {
          num: num(r.num), site: r.site as string, device: r.device as string, name: r.name as string,
          measurement: r.measurement as string, tags: JSON.parse(r.tags_json as string), field: r.field as string,
          type: r.type as ValueType, counter: r.counter as boolean,
        };
        if (r.unit !== null) m.unit = r.unit as string;
        return m;
      });
    });
  }

  async close(): Promise<void> {
    if (this.conn) await this.exclusive((c) => this.persistLatest(c));
    await this.chain;
    this.conn?.closeSync();
    this.instance?.closeSync();
    this.conn = null;
    this.instance = null;
  }

  registerPoints(metas: PointMeta[]): Promise<void> {
    return this.exclusive(async (c) => {
      const a = await c.createAppender('point_stage');
      try {
        for (const m of metas) {
          a.appendInteger(m.num);
          for (const v of [m.site, m.device, m.name, m.measurement, JSON.stringify(m.tags), m.field, m.type]) a.appendVarchar(v);
          a.appendBoolean(m.counter);
          if (m.unit !== undefined) a.appendVarchar(m.unit); else a.appendNull();
          a.endRow();
        }
        a.flushSync();
      } finally { a.closeSync(); }
      await c.run('INSERT OR REPLACE INTO point SELECT * FROM point_stage');
      await c.run('DELETE FROM point_stage');
    });
  }

  /** Append sample rows to the stage table (caller holds the connection). */
  private appendSamples(a: DuckDBAppender, rows: SampleRow[]): void {
    for (const { meta, sample } of rows) {
      a.appendBigInt(BigInt(this.stageSeq++));
      a.appendInteger(meta.num);
      a.appendBigInt(BigInt(sample.ts));
      const v = sample.value;
      if (typeof v === 'number') { a.appendDouble(v); a.appendNull(); a.appendUTinyInt(1); }
      else if (typeof v === 'boolean') { a.appendDouble(v ? 1 : 0); a.appendNull(); a.appendUTinyInt(2); }
      else if (typeof v === 'string') { a.appendNull(); a.appendVarchar(v); a.appendUTinyInt(3); }
      else { a.appendNull(); a.appendNull(); a.appendUTinyInt(0); }
      a.appendUTinyInt(sample.q);
      if (sample.reason !== undefined) a.appendVarchar(sample.reason); else a.appendNull();
      a.endRow();
    }
  }

  writeSamples(rows: SampleRow[]): Promise<void> {
    // Rows get increasing w in write order, so readers see the last of duplicate (point, ts) writes.
    const keep = rows;
    const newest = new Map<number, SampleRow>();
    for (const r of rows) {
      const n = newest.get(r.meta.num);
      if (!n || r.sample.ts >= n.sample.ts) newest.set(r.meta.num, r);
    }
    for (const [n, r] of newest) {
      const cur = this.latestCache.get(n);
      if (!cur || r.sample.ts >= cur.ts) { this.latestCache.set(n, r.sample); this.latestDirty.add(n); }
    }
    return this.exclusive(async (c) => {
      const a = await c.createAppender('sample');
      try { this.appendSamples(a, keep); a.flushSync(); } finally { a.closeSync(); }
      if (Date.now() - this.latestPersistedAt > 5000) await this.persistLatest(c);
    });
  }

  /** Upsert the changed latest values into the `latest` table (caller holds the connection). */
  private async persistLatest(c: DuckDBConnection): Promise<void> {
    this.latestPersistedAt = Date.now();
    if (!this.latestDirty.size) return;
    const rows: SampleRow[] = [];
    for (const n of this.latestDirty) rows.push({ meta: { num: n } as PointMeta, sample: this.latestCache.get(n)! });
    this.latestDirty.clear();
    const a = await c.createAppender('latest_stage');
    try { this.appendSamples(a, rows); a.flushSync(); } finally { a.closeSync(); }
    await c.run(`INSERT INTO latest SELECT ${SAMPLE_COLS} FROM latest_stage
      ON CONFLICT (point) DO UPDATE SET ts = excluded.ts, v = excluded.v, s = excluded.s, vt = excluded.vt, q = excluded.q, r = excluded.r
      WHERE excluded.ts >= latest.ts`);
    await c.run('DELETE FROM latest_stage');
  }

  private group<T>(rows: Record<string, unknown>[], map: (r: Record<string, unknown>) => T): Map<number, T[]> {
    const out = new Map<number, T[]>();
    for (const r of rows) {
      const p = num(r.point);
      let l = out.get(p);
      if (!l) out.set(p, (l = []));
      l.push(map(r));
    }
    return out;
  }

  readRaw(metas: PointMeta[], from: number, to: number): Promise<Map<number, Sample[]>> {
    if (!metas.length) return Promise.resolve(new Map());
    return this.exclusive(async (c) => {
      const rows = await this.rows(c, `SELECT ${SAMPLE_COLS} FROM sample WHERE point IN (${nums(metas)}) AND ts >= ${int(from)} AND ts < ${int(to)} ${DEDUP} ORDER BY point, ts`);
      return this.group(rows, toSample);
    });
  }

  readEdge(metas: PointMeta[], ts: number, side: 'before' | 'after'): Promise<Map<number, Sample>> {
    if (!metas.length) return Promise.resolve(new Map());
    const cond = side === 'before' ? `ts < ${int(ts)} AND ts >= ${int(ts - EDGE_LOOKBACK_MS)}` : `ts >= ${int(ts)} AND ts < ${int(ts + EDGE_LOOKBACK_MS)}`;
    const order = side === 'before' ? 'DESC' : 'ASC';
    return this.exclusive(async (c) => {
      const rows = await this.rows(c, `SELECT ${SAMPLE_COLS} FROM sample WHERE point IN (${nums(metas)}) AND ${cond} AND vt IN (1, 2)
        QUALIFY row_number() OVER (PARTITION BY point ORDER BY ts ${order}, w DESC) = 1`);
      return new Map(rows.map((r) => [num(r.point), toSample(r)]));
    });
  }

  latest(metas: PointMeta[]): Promise<Map<number, Sample>> {
    const out = new Map<number, Sample>();
    for (const m of metas) {
      const s = this.latestCache.get(m.num);
      if (s) out.set(m.num, { ...s });
    }
    return Promise.resolve(out);
  }

  writeRollups(tier: Tier, rows: Array<{ meta: PointMeta; row: RollupRow }>): Promise<void> {
    return this.exclusive(async (c) => {
      const a = await c.createAppender('rollup_stage');
      try {
        for (const { meta, row } of rows) {
          a.appendInteger(meta.num);
          a.appendBigInt(BigInt(row.bucket));
          for (const x of [row.min, row.max]) if (x === null) a.appendNull(); else a.appendDouble(x);
          a.appendDouble(row.sum);
          a.appendBigInt(BigInt(row.count));
          for (const x of [row.first, row.last]) if (x === null) a.appendNull(); else a.appendDouble(x);
          a.appendBigInt(BigInt(row.countGood));
          a.endRow();
        }
        a.flushSync();
      } finally { a.closeSync(); }
      await c.run(`INSERT OR REPLACE INTO rollup_${tier} SELECT * FROM rollup_stage`);
      await c.run('DELETE FROM rollup_stage');
    });
  }

  readRollups(metas: PointMeta[], tier: Tier, from: number, to: number): Promise<Map<number, RollupRow[]>> {
    if (!metas.length) return Promise.resolve(new Map());
    return this.exclusive(async (c) => {
      const rows = await this.rows(c, `SELECT * FROM rollup_${tier} WHERE point IN (${nums(metas)}) AND bucket >= ${int(from)} AND bucket < ${int(to)} ORDER BY point, bucket`);
      return this.group(rows, toRollup);
    });
  }

  writeDeltas(rows: Array<{ meta: PointMeta; row: CounterDeltaRow }>): Promise<void> {
    return this.exclusive(async (c) => {
      for (const { meta, row } of rows) {
        await c.run(`INSERT OR REPLACE INTO counter_delta_15m VALUES (${int(meta.num)}, ${int(row.bucket)}, $1, ${int(row.resets)}, ${int(row.wraps)}, $2)`, [row.delta, row.coverage]);
      }
    });
  }

  readDeltas(meta: PointMeta, from: number, to: number): Promise<CounterDeltaRow[]> {
    return this.exclusive(async (c) => {
      const rows = await this.rows(c, `SELECT * FROM counter_delta_15m WHERE point = ${int(meta.num)} AND bucket >= ${int(from)} AND bucket < ${int(to)} ORDER BY bucket`);
      return rows.map((r) => ({ bucket: num(r.bucket), delta: num(r.delta), resets: num(r.resets), wraps: num(r.wraps), coverage: num(r.coverage) }));
    });
  }

  writeKpis(rows: KpiRow[]): Promise<void> {
    return this.exclusive(async (c) => {
      for (const k of rows) {
        await c.run(
          `INSERT OR REPLACE INTO kpi VALUES ($1, $2, $3, $4, $5, $6, ${int(k.periodStart)}, ${int(k.periodEnd)}, $7, $8, ${int(k.quality)}, $9)`,
          [k.site, k.scope, k.scopeId, k.kpi, k.category, k.period, k.value, k.coverage, JSON.stringify(k.inputs)],
        );
      }
    });
  }

  readKpis(q: { site: string; kpi?: string; from?: number; to?: number }): Promise<KpiRow[]> {
    return this.exclusive(async (c) => {
      const where = ['site = $1'];
      const params: unknown[] = [q.site];
      if (q.kpi !== undefined) { params.push(q.kpi); where.push(`kpi = $${params.length}`); }
      if (q.from !== undefined) where.push(`period_start >= ${int(q.from)}`);
      if (q.to !== undefined) where.push(`period_start < ${int(q.to)}`);
      const rows = await this.rows(c, `SELECT * FROM kpi WHERE ${where.join(' AND ')} ORDER BY period_start, kpi, scope, scope_id, category`, params);
      return rows.map((r) => ({
        site: r.site as string, scope: r.scope as string, scopeId: r.scope_id as string, kpi: r.kpi as string,
        category: r.category as string, period: r.period as string, periodStart: num(r.period_start), periodEnd: num(r.period_end),
        value: r.value === null ? null : num(r.value), coverage: num(r.coverage), quality: num(r.quality) as 0 | 1 | 2,
        inputs: JSON.parse(r.inputs_json as string),
      }));
    });
  }

  writeBatches(recs: BatchRecord[]): Promise<void> {
    // One row per key even if a batch repeats within this write (the last wins).
    const uniq = new Map<string, BatchRecord>();
    for (const r of recs) uniq.set(`${r.site}\u0000${r.agent}\u0000${r.stream}\u0000${r.epoch}\u0000${r.seq}`, r);
    return this.exclusive(async (c) => {
      const params: unknown[] = [];
      const values = [...uniq.values()].map((rec) => {
        params.push(rec.site, rec.agent, rec.stream, rec.epoch);
        const n = params.length;
        return `($${n - 3}, $${n - 2}, $${n - 1}, $${n}, ${int(rec.seq)}, ${int(rec.sentAt)}, ${int(rec.receivedAt)}, ${int(rec.count)}, ${rec.historical ? 'TRUE' : 'FALSE'})`;
      });
      await c.run(`INSERT OR REPLACE INTO batch VALUES ${values.join(', ')}`, params as never);
    });
  }

  readBatches(q: { site?: string; agent?: string; stream?: string; from?: number; to?: number }): Promise<BatchRecord[]> {
    return this.exclusive(async (c) => {
      const where: string[] = ['TRUE'];
      const params: unknown[] = [];
      for (const [col, v] of [['site', q.site], ['agent', q.agent], ['stream', q.stream]] as const) {
        if (v !== undefined) { params.push(v); where.push(`${col} = $${params.length}`); }
      }
      if (q.from !== undefined) where.push(`sent_at >= ${int(q.from)}`);
      if (q.to !== undefined) where.push(`sent_at < ${int(q.to)}`);
      const rows = await this.rows(c, `SELECT * FROM batch WHERE ${where.join(' AND ')} ORDER BY site, agent, stream, epoch, seq`, params);
      return rows.map((r) => ({
        site: r.site as string, agent: r.agent as string, stream: r.stream as Stream, epoch: r.epoch as string, seq: num(r.seq),
        sentAt: num(r.sent_at), receivedAt: num(r.received_at), count: num(r.count), historical: r.historical as boolean,
      }));
    });
  }

  /** Delete rows older than each tier's retention (SERVER.md §2.2) and compact duplicate samples. */
  applyRetention(now: number): Promise<Record<string, number>> {
    return this.exclusive(async (c) => {
      const out: Record<string, number> = {};
      for (const [table, ms] of Object.entries(RETENTION_MS)) {
        const col = table === 'sample' ? 'ts' : 'bucket';
        const r = await c.run(`DELETE FROM ${table} WHERE ${col} < ${int(now - ms)}`);
        out[table] = r.rowsChanged;
      }
      // Compaction: drop older writes of a (point, ts) written more than once (readers already ignore them).
      const d = await c.run(`DELETE FROM sample USING (SELECT point, ts, w FROM sample
        QUALIFY row_number() OVER (PARTITION BY point, ts ORDER BY w DESC) > 1) old
        WHERE sample.point = old.point AND sample.ts = old.ts AND sample.w = old.w`);
      out.duplicates = d.rowsChanged;
      return out;
    });
  }
}
