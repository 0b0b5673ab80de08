/**
 * Rollups computed by the server (R43), the same code for every store: 1-min buckets from raw
 * samples, 15 min from 1 min, 1 h from 15 min, 1 day from 1 h. min and max survive every tier;
 * mean = sum / count. Bad samples (value null) count in no aggregate; count_good counts q = 0.
 */
import { TIER_MS, type Aggregate, type AggregatePoint, type RollupRow, type Sample, type Tier } from './types.js';

export function bucketOf(ts: number, tier: Tier): number {
  const ms = TIER_MS[tier];
  return Math.floor(ts / ms) * ms;
}

/** Numeric view of a stored value for aggregation; strings do not aggregate. */
export function numeric(v: Sample['value']): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return null;
}

function emptyRow(bucket: number): RollupRow {
  return { bucket, min: null, max: null, sum: 0, count: 0, first: null, last: null, countGood: 0 };
}

/** 1-min rows from samples sorted by ts (one row per bucket that holds at least one sample). */
export function rollupSamples(samples: readonly Sample[], tier: Tier = '1m'): RollupRow[] {
  const out: RollupRow[] = [];
  let cur: RollupRow | null = null;
  for (const s of samples) {
    const b = bucketOf(s.ts, tier);
    if (!cur || cur.bucket !== b) {
      cur = emptyRow(b);
      out.push(cur);
    }
    const x = numeric(s.value);
    if (x === null) continue;
    if (cur.count === 0) { cur.min = x; cur.max = x; cur.first = x; }
    else {
      if (x < cur.min!) cur.min = x;
      if (x > cur.max!) cur.max = x;
    }
    cur.last = x;
    cur.sum += x;
    cur.count += 1;
    if (s.q === 0) cur.countGood += 1;
  }
  return out;
}

/** Merge rows of a finer tier (sorted by bucket) into rows of a coarser tier. */
export function mergeRows(rows: readonly RollupRow[], tier: Tier): RollupRow[] {
  const out: RollupRow[] = [];
  let cur: RollupRow | null = null;
  for (const r of rows) {
    const b = bucketOf(r.bucket, tier);
    if (!cur || cur.bucket !== b) {
      cur = emptyRow(b);
      out.push(cur);
    }
    if (r.count === 0) continue;
    if (cur.count === 0) { cur.min = r.min; cur.max = r.max; cur.first = r.first; }
    else {
      if (r.min! < cur.min!) cur.min = r.min;
      if (r.max! > cur.max!) cur.max = r.max;
    }
    cur.last = r.last;
    cur.sum += r.sum;
    cur.count += r.count;
    cur.countGood += r.countGood;
  }
  return out;
}

export function aggregateRow(r: RollupRow, fn: Aggregate): AggregatePoint {
  let value: number | null;
  switch (fn) {
    case 'min': value = r.min; break;
    case 'max': value = r.max; break;
    case 'mean': value = r.count > 0 ? r.sum / r.count : null; break;
    case 'sum': value = r.sum; break;
    case 'count': value = r.count; break;
    case 'first': value = r.first; break;
    case 'last': value = r.last; break;
    case 'count_good': value = r.countGood; break;
  }
  return { bucket: r.bucket, value, count: r.count, countGood: r.countGood };
}

/** The next coarser tier and the tier it is computed from. */
export const TIER_PARENT: Array<[Tier, Tier]> = [['15m', '1m'], ['1h', '15m'], ['1d', '1h']];
