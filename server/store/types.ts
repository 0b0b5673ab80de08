/**
 * The storage interface of the server's data plane (SERVER.md §2, R42, R43). Two implementations
 * (DuckDB embedded default, InfluxDB 1.x) sit behind it; rollups, counter deltas and the point
 * registry are computed by shared server code (store/core.ts), so both give the same answers.
 */
import type { Point } from '../../lib/points.js';

export type StoredValue = number | boolean | string | null;
export type QualityCode = 0 | 1 | 2;
/** 'unknown' until the first sample with a value arrives (a point first seen bad). */
export type ValueType = 'number' | 'boolean' | 'string' | 'unknown';

/** Canonical point id: site/device/name (SERVER.md §2.1). */
export interface PointKey {
  site: string;
  device: string;
  name: string;
}

export function pointId(k: PointKey): string {
  return `${k.site}/${k.device}/${k.name}`;
}

/** Registry entry of one point: where it lives in the §2.2 layout and what type it has. */
export interface PointMeta extends PointKey {
  /** Dense integer id (the DuckDB `point.id`; also used as an in-memory key). */
  num: number;
  measurement: string;
  /** Bounded tags only (site, device, rack, module, region, ...). */
  tags: Record<string, string>;
  /** Storage field key (lib/points.ts fieldKey). */
  field: string;
  type: ValueType;
  /** A cumulative counter (energy, Wh): deltas with wrap/reset detection are computed (R05). */
  counter: boolean;
  unit?: string;
}

/** One stored sample. A bad sample has value null and its reason (R42: "stored as absent"). */
export interface Sample {
  ts: number;
  value: StoredValue;
  q: QualityCode;
  reason?: string;
}

export interface LatestSample extends PointKey, Sample {
  unit?: string;
}

export const TIERS = ['1m', '15m', '1h', '1d'] as const;
export type Tier = (typeof TIERS)[number];
export const TIER_MS: Record<Tier, number> = { '1m': 60_000, '15m': 900_000, '1h': 3_600_000, '1d': 86_400_000 };

/** One rollup bucket of one point (R43). min/max/first/last are null when no sample had a value. */
export interface RollupRow {
  bucket: number;
  min: number | null;
  max: number | null;
  sum: number;
  count: number;
  first: number | null;
  last: number | null;
  countGood: number;
}

export const AGGREGATES = ['min', 'max', 'mean', 'sum', 'count', 'first', 'last', 'count_good'] as const;
export type Aggregate = (typeof AGGREGATES)[number];

export interface AggregatePoint {
  bucket: number;
  value: number | null;
  count: number;
  countGood: number;
}

/** Energy delta of a counter over one 15-min bucket (F7, F9). */
export interface CounterDeltaRow {
  bucket: number;
  delta: number;
  resets: number;
  wraps: number;
  /** Share of the bucket backed by good consecutive samples, 0…1. */
  coverage: number;
}

export interface KpiRow {
  site: string;
  scope: string;
  scopeId: string;
  kpi: string;
  category: string;
  /** ISO 8601 duration label, e.g. P1D. */
  period: string;
  periodStart: number;
  periodEnd: number;
  value: number | null;
  coverage: number;
  quality: QualityCode;
  inputs: Record<string, number | string | null>;
}

export type Stream = 'telemetry' | 'event';

/** One received batch (R42): the server records every batch so gaps can be computed by any replica. */
export interface BatchRecord {
  site: string;
  agent: string;
  stream: Stream;
  epoch: string;
  seq: number;
  sentAt: number;
  receivedAt: number;
  count: number;
  historical: boolean;
}

/** Missing sequence numbers between two received batches; start/end are the neighbours' sentAt. */
export interface GapRecord {
  site: string;
  agent: string;
  stream: Stream;
  epoch: string;
  fromSeq: number;
  toSeq: number;
  missing: number;
  start: number;
  end: number;
}

export interface WriteResult {
  written: number;
  /** Points stored as absent (bad) or refused, by reason. */
  rejected: Record<string, number>;
}

export interface FlushResult {
  buckets: Record<Tier, number>;
  counterBuckets: number;
}

export interface StoreStats {
  points: number;
  samplesWritten: number;
  rejected: Record<string, number>;
  dirtyBuckets: number;
}

export interface Store {
  readonly kind: 'duckdb' | 'influxdb';
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Idempotent: writing the same points twice gives the same stored result. */
  write(points: Point[]): Promise<WriteResult>;
  /** Recompute every rollup bucket and counter delta touched by writes since the last flush. */
  flushRollups(): Promise<FlushResult>;
  latest(q: { site?: string; device?: string; names?: string[] }): Promise<LatestSample[]>;
  raw(key: PointKey, from: number, to: number): Promise<Sample[]>;
  rollups(key: PointKey, tier: Tier, from: number, to: number): Promise<RollupRow[]>;
  aggregate(key: PointKey, tier: Tier, from: number, to: number, fn: Aggregate): Promise<AggregatePoint[]>;
  counterDeltas(key: PointKey, from: number, to: number): Promise<CounterDeltaRow[]>;
  writeKpis(rows: KpiRow[]): Promise<void>;
  kpis(q: { site: string; kpi?: string; from?: number; to?: number }): Promise<KpiRow[]>;
  recordBatch(rec: BatchRecord): Promise<void>;
  /** Several batch records in one write (ingest's group commit). */
  recordBatches(recs: BatchRecord[]): Promise<void>;
  batches(q: { site?: string; agent?: string; stream?: Stream; from?: number; to?: number }): Promise<BatchRecord[]>;
  gaps(q: { site?: string; agent?: string; stream?: Stream; from?: number; to?: number }): Promise<GapRecord[]>;
  points(q?: { site?: string; device?: string }): PointMeta[];
  /** Drop data older than each tier's retention (SERVER.md §2.2); rows deleted per table. */
  applyRetention(now: number): Promise<Record<string, number>>;
  stats(): StoreStats;
}
