/**
 * What a storage backend (DuckDB, InfluxDB) provides to the shared store core (core.ts). The
 * backend only stores and reads; the core decides registry, types, rollups and counter deltas,
 * so both backends give the same answers (R43).
 */
import type { BatchRecord, CounterDeltaRow, KpiRow, PointMeta, RollupRow, Sample, Tier } from './types.js';

export interface SampleRow {
  meta: PointMeta;
  sample: Sample;
}

export interface Backend {
  readonly kind: 'duckdb' | 'influxdb';
  /** Open storage, create schema / retention policies; returns the stored point registry. */
  open(): Promise<PointMeta[]>;
  close(): Promise<void>;
  registerPoints(metas: PointMeta[]): Promise<void>;
  /** Upsert by (point, ts): the same sample written twice is stored once. */
  writeSamples(rows: SampleRow[]): Promise<void>;
  /** Samples in [from, to), sorted by ts, per point num. */
  readRaw(metas: PointMeta[], from: number, to: number): Promise<Map<number, Sample[]>>;
  /** The last numeric sample before `ts` ('before') or the first at or after it ('after'). */
  readEdge(metas: PointMeta[], ts: number, side: 'before' | 'after'): Promise<Map<number, Sample>>;
  latest(metas: PointMeta[]): Promise<Map<number, Sample>>;
  writeRollups(tier: Tier, rows: Array<{ meta: PointMeta; row: RollupRow }>): Promise<void>;
  readRollups(metas: PointMeta[], tier: Tier, from: number, to: number): Promise<Map<number, RollupRow[]>>;
  writeDeltas(rows: Array<{ meta: PointMeta; row: CounterDeltaRow }>): Promise<void>;
  readDeltas(meta: PointMeta, from: number, to: number): Promise<CounterDeltaRow[]>;
  writeKpis(rows: KpiRow[]): Promise<void>;
  readKpis(q: { site: string; kpi?: string; from?: number; to?: number }): Promise<KpiRow[]>;
  writeBatches(recs: BatchRecord[]): Promise<void>;
  readBatches(q: { site?: string; agent?: string; stream?: string; from?: number; to?: number }): Promise<BatchRecord[]>;
  /** Delete what is older than each tier's retention; rows deleted per table (InfluxDB: its RPs do it → {}). */
  applyRetention(now: number): Promise<Record<string, number>>;
}
