/**
 * DuckDB schema of the embedded store (SERVER.md §2.3, carried over from the SQLite sketch):
 * a point registry, raw samples keyed by (point, ts), one rollup table per tier, 15-min counter
 * deltas, KPI rows and batch records (R42). Retention is a DELETE per tier (applyRetention).
 */
import { TIERS } from './types.js';

export const ROLLUP_COLUMNS = 'point INTEGER, bucket BIGINT, min DOUBLE, max DOUBLE, sum DOUBLE, count BIGINT, first DOUBLE, last DOUBLE, count_good BIGINT';

export const SCHEMA: string[] = [
  `CREATE TABLE IF NOT EXISTS point(num INTEGER PRIMARY KEY, site VARCHAR NOT NULL, device VARCHAR NOT NULL, name VARCHAR NOT NULL,
     measurement VARCHAR NOT NULL, tags_json VARCHAR NOT NULL, field VARCHAR NOT NULL, type VARCHAR NOT NULL, counter BOOLEAN NOT NULL,
     unit VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS point_stage(num INTEGER, site VARCHAR, device VARCHAR, name VARCHAR, measurement VARCHAR, tags_json VARCHAR,
     field VARCHAR, type VARCHAR, counter BOOLEAN, unit VARCHAR)`,
  // vt: 0 absent (bad), 1 number, 2 boolean (v = 0/1), 3 string (s)
  // Append-only (the appender's full speed, no index upkeep): w is the write order; readers take the
  // newest w of each (point, ts), so a sample written twice reads once (store/duckdb.ts DEDUP).
  `CREATE TABLE IF NOT EXISTS sample(w BIGINT NOT NULL, point INTEGER NOT NULL, ts BIGINT NOT NULL, v DOUBLE, s VARCHAR, vt UTINYINT NOT NULL, q UTINYINT NOT NULL, r VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS latest_stage(w BIGINT, point INTEGER, ts BIGINT, v DOUBLE, s VARCHAR, vt UTINYINT, q UTINYINT, r VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS latest(point INTEGER PRIMARY KEY, ts BIGINT NOT NULL, v DOUBLE, s VARCHAR, vt UTINYINT NOT NULL, q UTINYINT NOT NULL, r VARCHAR)`,
  ...TIERS.map((t) => `CREATE TABLE IF NOT EXISTS rollup_${t}(${ROLLUP_COLUMNS}, PRIMARY KEY(point, bucket))`),
  `CREATE TABLE IF NOT EXISTS rollup_stage(${ROLLUP_COLUMNS})`,
  `CREATE TABLE IF NOT EXISTS counter_delta_15m(point INTEGER, bucket BIGINT, delta DOUBLE, resets INTEGER, wraps INTEGER, coverage DOUBLE, PRIMARY KEY(point, bucket))`,
  `CREATE TABLE IF NOT EXISTS kpi(site VARCHAR, scope VARCHAR, scope_id VARCHAR, kpi VARCHAR, category VARCHAR, period VARCHAR,
     period_start BIGINT, period_end BIGINT, value DOUBLE, coverage DOUBLE, quality UTINYINT, inputs_json VARCHAR,
     PRIMARY KEY(site, scope, scope_id, kpi, category, period, period_start))`,
  `CREATE TABLE IF NOT EXISTS batch(site VARCHAR, agent VARCHAR, stream VARCHAR, epoch VARCHAR, seq BIGINT, sent_at BIGINT,
     received_at BIGINT, count INTEGER, historical BOOLEAN, PRIMARY KEY(site, agent, stream, epoch, seq))`,
];

/** Retention per tier (SERVER.md §2.2), ms. */
export const RETENTION_MS: Record<string, number> = {
  sample: 30 * 86_400_000,
  rollup_1m: 400 * 86_400_000,
  rollup_15m: 1100 * 86_400_000,
};
