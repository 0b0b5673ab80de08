/**
 * InfluxDB 1.x backend (HTTP API, also served by InfluxDB 2 and 3) with the SERVER.md §2.2 layout:
 * measurement = equipment class, bounded tags, one field per point; one retention policy per
 * tier (raw, r1m, r15m, r1h, r1d) plus `records` (registry, batches, KPIs) kept forever.
 *
 * Per-point quality: a bad point is absent, with `<field>__q=2i` and `<field>__r="reason"`; an
 * uncertain one keeps its value with `<field>__q=1i`. Row-level `q` (worst) and `bad`
 * ("field:reason,...") are written as in §2.2 for dashboards.
 *
 * Management and queries use the `influx` package; writes are line protocol POSTed to /write
 * (exact int/float typing and no per-point object overhead).
 */
import { InfluxDB } from 'influx';
import type { Backend, SampleRow } from './backend.js';
import { line, type FieldValue } from './influx-line.js';
import { SampleLineEncoder } from './influx-rows.js';
import { readEdgeQ, readRawQ, readRollupsQ, latestQ, readDeltasQ, readKpisQ, readBatchesQ, readRegistryQ, type Query } from './influx-query.js';
import { validateTagKeys } from './layout.js';
import type { BatchRecord, CounterDeltaRow, KpiRow, PointMeta, RollupRow, Sample, Tier } from './types.js';

export type RetentionName = 'raw' | 'r1m' | 'r15m' | 'r1h' | 'r1d';

export interface InfluxOptions {
  url: string;
  database: string;
  /** Extra tag keys this deployment configures (validated by the cardinality guard). */
  tagKeys?: string[];
  /** Retention per tier as InfluxQL durations; defaults from SERVER.md §2.2. */
  retention?: Partial<Record<RetentionName, string>>;
}

export const DEFAULT_RETENTION: Record<RetentionName | 'records', { duration: string; shard: string }> = {
  raw: { duration: '30d', shard: '1d' },
  r1m: { duration: '400d', shard: '7d' },
  r15m: { duration: '1100d', shard: '30d' },
  r1h: { duration: 'INF', shard: '52w' },
  r1d: { duration: 'INF', shard: '52w' },
  records: { duration: 'INF', shard: '52w' },
};

export const TIER_RP: Record<Tier, RetentionName> = { '1m': 'r1m', '15m': 'r15m', '1h': 'r1h', '1d': 'r1d' };

const LINES_PER_POST = 10_000;

export class InfluxBackend implements Backend {
  readonly kind = 'influxdb' as const;
  private client: InfluxDB | null = null;
  /** Sample rows → line protocol, with escaped series text and field keys cached per point. */
  private readonly encoder = new SampleLineEncoder();

  constructor(private readonly opts: InfluxOptions) {
    validateTagKeys(opts.tagKeys ?? []);
  }

  private get db(): InfluxDB {
    if (!this.client) throw new Error('InfluxDB store is not started; call start() first');
    return this.client;
  }

  private q: Query = async (statements, precision = 'ms') => {
    if (!statements.length) return [];
    const out: unknown[] = [];
    for (let i = 0; i < statements.length; i += 100) {
      const chunk = statements.slice(i, i + 100);
      const res = await this.db.queryRaw(chunk.join(';'), { database: this.opts.database, precision, method: 'POST' });
      for (const r of res.results as Array<{ error?: string; series?: unknown[] }>) {
        if (r.error) throw new Error(`InfluxDB query failed: ${r.error}`);
        out.push(r.series ?? []);
      }
    }
    return out as never;
  };

  async post(rp: string, lines: string[], precision: 'ms' | 'u' = 'ms'): Promise<void> {
    for (let i = 0; i < lines.length; i += LINES_PER_POST) {
      const body = lines.slice(i, i + LINES_PER_POST).join('\n');
      const url = `${this.opts.url}/write?db=${encodeURIComponent(this.opts.database)}&rp=${rp}&precision=${precision}`;
      const r = await fetch(url, { method: 'POST', body });
      if (r.status !== 204) throw new Error(`InfluxDB write to ${rp} failed (${r.status}): ${(await r.text()).slice(0, 500)}`);
    }
  }

  async open(): Promise<PointMeta[]> {
    this.client = new InfluxDB({ host: new URL(this.opts.url).hostname, port: Number(new URL(this.opts.url).port), database: this.opts.database });
    await this.db.createDatabase(this.opts.database);
    for (const [name, def] of Object.entries(DEFAULT_RETENTION)) {
      const duration = this.opts.retention?.[name as RetentionName] ?? def.duration;
      const stmt = `RETENTION POLICY "${name}" ON "${this.opts.database}" DURATION ${duration} REPLICATION 1 SHARD DURATION ${def.shard}${name === 'raw' ? ' DEFAULT' : ''}`;
      try { await this.db.queryRaw(`CREATE ${stmt}`, { method: 'POST' }); }
      catch { await this.db.queryRaw(`ALTER ${stmt}`, { method: 'POST' }); }
    }
    // Nums are local to this process: renumber what other replicas registered.
    const metas = await readRegistryQ(this.q);
    metas.forEach((m, i) => { m.num = i + 1; });
    return metas;
  }

  async close(): Promise<void> {
    this.client = null;
  }

  async registerPoints(metas: PointMeta[]): Promise<void> {
    await this.post('records', metas.map((m) => {
      const fields: Array<[string, FieldValue]> = [
        ['measurement', m.measurement], ['tags_json', JSON.stringify(m.tags)], ['field', m.field], ['type', m.type], ['counter', m.counter],
      ];
      if (m.unit !== undefined) fields.push(['unit', m.unit]);
      return line('point_meta', { site: m.site, device: m.device, point: m.name }, fields, 0);
    }));
  }

  async writeSamples(rows: SampleRow[]): Promise<void> {
    // One line per (series, ts): the points of one device poll share a row (§2.2).
    await this.post('raw', this.encoder.lines(rows));
  }

  readRaw(metas: PointMeta[], from: number, to: number): Promise<Map<number, Sample[]>> {
    return readRawQ(this.q, metas, from, to);
  }

  readEdge(metas: PointMeta[], ts: number, side: 'before' | 'after'): Promise<Map<number, Sample>> {
    return readEdgeQ(this.q, metas, ts, side);
  }

  latest(metas: PointMeta[]): Promise<Map<number, Sample>> {
    return latestQ(this.q, metas);
  }

  async writeRollups(tier: Tier, rows: Array<{ meta: PointMeta; row: RollupRow }>): Promise<void> {
    await this.post(TIER_RP[tier], rows.map(({ meta, row }) => {
      const f: Array<[string, FieldValue]> = [];
      for (const k of ['min', 'max', 'first', 'last'] as const) if (row[k] !== null) f.push([k, row[k]!]);
      f.push(['sum', row.sum], ['count', { int: row.count }], ['count_good', { int: row.countGood }]);
      return line(meta.measurement, { ...meta.tags, point: meta.field }, f, row.bucket);
    }));
  }

  readRollups(metas: PointMeta[], tier: Tier, from: number, to: number): Promise<Map<number, RollupRow[]>> {
    return readRollupsQ(this.q, metas, TIER_RP[tier], from, to);
  }

  async writeDeltas(rows: Array<{ meta: PointMeta; row: CounterDeltaRow }>): Promise<void> {
    await this.post('r15m', rows.map(({ meta, row }) => line('counter_delta', { ...meta.tags, point: meta.field, kind: meta.measurement },
      [['delta', row.delta], ['resets', { int: row.resets }], ['wraps', { int: row.wraps }], ['coverage', row.coverage]], row.bucket)));
  }

  readDeltas(meta: PointMeta, from: number, to: number): Promise<CounterDeltaRow[]> {
    return readDeltasQ(this.q, meta, from, to);
  }

  async writeKpis(rows: KpiRow[]): Promise<void> {
    await this.post('records', rows.map((k) => {
      const f: Array<[string, FieldValue]> = [];
      if (k.value !== null) f.push(['value', k.value]);
      f.push(['coverage', k.coverage], ['quality', { int: k.quality }], ['period_end', { int: k.periodEnd }], ['inputs', JSON.stringify(k.inputs)]);
      return line('kpi', { site: k.site, scope: k.scope, scope_id: k.scopeId, kpi: k.kpi, category: k.category, period: k.period }, f, k.periodStart);
    }));
  }

  readKpis(q: { site: string; kpi?: string; from?: number; to?: number }): Promise<KpiRow[]> {
    return readKpisQ(this.q, q);
  }

  async writeBatches(recs: BatchRecord[]): Promise<void> {
    // µs time = sentAt·1000 + seq mod 1000: unique per batch, and a batch written twice lands on itself.
    await this.post('records', recs.map((rec) => line('batch', { site: rec.site, agent: rec.agent, stream: rec.stream, epoch: rec.epoch }, [
      ['seq', { int: rec.seq }], ['sent_at', { int: rec.sentAt }], ['received_at', { int: rec.receivedAt }],
      ['count', { int: rec.count }], ['historical', rec.historical],
    ], rec.sentAt * 1000 + (rec.seq % 1000))), 'u');
  }

  readBatches(q: { site?: string; agent?: string; stream?: string; from?: number; to?: number }): Promise<BatchRecord[]> {
    return readBatchesQ(this.q, q);
  }

  /** The retention policies expire data; nothing to do here. */
  async applyRetention(): Promise<Record<string, number>> {
    return {};
  }
}
