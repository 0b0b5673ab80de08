/**
 * The ONE normaliser for every driver (STYLE.md lesson 5): a raw typed reading from a driver
 * becomes a Point with a scaled value, unit, timestamp and quality with a reason.
 *
 * - Errors reported by the driver (timeout, comm_failure, exception_<code>, parse_error, ...)
 *   → quality bad, value null, that reason.
 * - NaN / ±Infinity → bad `nan`; outside `range` (after scaling) → bad `out_of_range`.
 * - `map` turns a raw value into text; a raw value the map does not list → uncertain `unmapped`.
 * - bigint raw values are converted to number; beyond ±2^53 the value loses precision and the
 *   point is `uncertain`, reason `precision_loss` (the exact raw stays in `raw`).
 * Never throws: every bad input is a bad-quality point and, when a counter is given, one count
 * of `points_bad_total{device,reason}` (or `points_uncertain_total`).
 */
import type { Point, PointValue, Quality } from '../../lib/points.js';
import type { RawReading } from '../drivers/types.js';

/** How one point is normalised. Built from a profile point (any protocol). */
export interface PointDef {
  name: string;
  unit?: string;
  /** value = raw * scale + offset */
  scale?: number;
  offset?: number;
  /** Physical range of the scaled value; outside → bad, out_of_range. */
  range?: { min: number; max: number };
  /** raw value (as text: "0", "1", "true") → text value */
  map?: Record<string, string>;
  /** Fire-relevant: never held back by report-by-exception; tighter staleness limit. */
  fire?: boolean;
  /** Source type (e.g. Modbus float32), used to trim float32 artefacts and for the birth message. */
  type?: string;
}

/** Same shape as DriverContext.count, so drivers can pass it straight through. */
export type CountFn = (metric: string, labels?: Record<string, string>) => void;

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function tidy(x: number): number {
  // Remove binary artefacts of scaling (0.1 * 3 = 0.30000000000000004) without losing precision.
  return x === 0 || Math.abs(x) >= 1e15 ? x : Number(x.toPrecision(15));
}

/** The shortest decimal that reads back as the same float32 (23.450000762939453 → 23.45; 16777215 stays). */
export function shortestFloat32(x: number): number {
  const f = Math.fround(x);
  for (let p = 6; p < 9; p++) {
    const y = Number(f.toPrecision(p));
    if (Math.fround(y) === f) return y;
  }
  return Number(f.toPrecision(9));
}

function result(reading: RawReading, def: PointDef, site: string, value: PointValue, quality: Quality, reason?: string): Point {
  const p: Point = { site, device: reading.device, name: def.name, value, ts: reading.ts, quality };
  if (def.unit !== undefined) p.unit = def.unit;
  if (reason !== undefined) p.reason = reason;
  if (reading.raw !== undefined) p.raw = reading.raw;
  return p;
}

export function normalise(reading: RawReading, def: PointDef, site: string, count?: CountFn): Point {
  const bad = (reason: string): Point => {
    count?.('points_bad_total', { device: reading.device, reason });
    return result(reading, def, site, null, 'bad', reason);
  };
  const uncertain = (value: PointValue, reason: string): Point => {
    count?.('points_uncertain_total', { device: reading.device, reason });
    return result(reading, def, site, value, 'uncertain', reason);
  };
  if (reading.error) return bad(reading.error);
  if (reading.sourceQuality === 'bad') return bad('device_reported');
  if (!Number.isFinite(reading.ts)) return bad('parse_error');
  const raw = reading.raw;
  if (raw === null || raw === undefined) return bad('parse_error');

  let value: PointValue;
  let precisionLost = false;
  if (def.map) {
    const key = typeof raw === 'boolean' ? (raw ? '1' : '0') : String(raw);
    const mapped = def.map[key] ?? (typeof raw === 'boolean' ? def.map[String(raw)] : undefined);
    if (mapped === undefined) {
      if (typeof raw === 'number' && !Number.isFinite(raw)) return bad('nan');
      return uncertain(key, 'unmapped');
    }
    value = mapped;
  } else if (typeof raw === 'boolean' || typeof raw === 'string') {
    value = raw;
  } else {
    let n: number;
    if (typeof raw === 'bigint') {
      precisionLost = raw > SAFE || raw < -SAFE;
      n = Number(raw);
    } else {
      n = raw;
      if (def.type === 'float32' && Number.isFinite(n)) n = shortestFloat32(n);
    }
    if (!Number.isFinite(n)) return bad('nan');
    if (def.scale !== undefined || def.offset !== undefined) n = tidy(n * (def.scale ?? 1) + (def.offset ?? 0));
    if (!Number.isFinite(n)) return bad('nan');
    if (def.range && (n < def.range.min || n > def.range.max)) return bad('out_of_range');
    value = n;
  }
  if (precisionLost) return uncertain(value, 'precision_loss');
  if (reading.sourceQuality === 'uncertain') return uncertain(value, 'device_reported');
  return result(reading, def, site, value, 'good');
}

/** Normalise a whole poll cycle, looking definitions up by point name. Unknown points → bad config_error. */
export function normaliseAll(readings: RawReading[], defs: ReadonlyMap<string, PointDef>, site: string, count?: CountFn): Point[] {
  const out: Point[] = new Array(readings.length);
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i]!;
    const def = defs.get(r.point);
    out[i] = def ? normalise(r, def, site, count) : normalise({ ...r, error: 'config_error' }, { name: r.point }, site, count);
  }
  return out;
}
