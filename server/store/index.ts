/**
 * createStore(config) → Store: the embedded DuckDB store (default) or InfluxDB 1.x, both behind
 * the same interface and the same shared core (rollups, counter deltas, quality, gaps).
 */
import { StoreCore, type CoreOptions } from './core.js';
import { DuckDbBackend } from './duckdb.js';
import { InfluxBackend, type InfluxOptions } from './influx.js';
import type { Store } from './types.js';

export type StoreConfig =
  | ({ kind: 'duckdb'; path: string } & CoreOptions)
  | ({ kind: 'influxdb' } & InfluxOptions & CoreOptions);

export function createStore(config: StoreConfig): Store {
  const { layout, counterMaxGapMs, onCounterReset, rawRetentionMs, now } = config;
  const core: CoreOptions = {};
  if (rawRetentionMs !== undefined) core.rawRetentionMs = rawRetentionMs;
  if (now) core.now = now;
  if (layout) core.layout = layout;
  if (counterMaxGapMs !== undefined) core.counterMaxGapMs = counterMaxGapMs;
  if (onCounterReset) core.onCounterReset = onCounterReset;
  if (config.kind === 'duckdb') return new StoreCore(new DuckDbBackend({ path: config.path }), core);
  const influx: InfluxOptions = { url: config.url, database: config.database };
  if (config.tagKeys) influx.tagKeys = config.tagKeys;
  if (config.retention) influx.retention = config.retention;
  return new StoreCore(new InfluxBackend(influx), core);
}

export * from './types.js';
export { CardinalityError, validateTagKeys } from './layout.js';
