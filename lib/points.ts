/**
 * The point model shared by agent, server and console (DESIGN.md "Points").
 * A point carries site, device, name, value, unit, timestamp and quality with a reason.
 */
import { Type, type Static } from '@sinclair/typebox';

export const QUALITIES = ['good', 'uncertain', 'bad'] as const;
export type Quality = (typeof QUALITIES)[number];

/** Why a point is not good. Modbus exceptions are reported as `exception_<code>` (e.g. exception_2). */
export const QUALITY_REASONS = [
  'comm_failure', 'timeout', 'out_of_range', 'nan', 'stale', 'parse_error', 'config_error',
  'sensor_fault', 'suspect_stuck', 'discrepant', 'occluded', 'bypassed', 'not_connected',
  'opcua_status', 'device_reported',
] as const;
export type QualityReason = (typeof QUALITY_REASONS)[number] | `exception_${number}` | `opcua_${string}`;

export type PointValue = number | boolean | string | null;

/** One sample of one point as the agent reports it. */
export interface Point {
  site: string;
  device: string;
  name: string;
  value: PointValue;
  unit?: string;
  /** Source timestamp, ms since epoch (device time when the device gives one, else read time). */
  ts: number;
  quality: Quality;
  reason?: QualityReason | string;
  /** Raw value before scaling (for integrators), when the driver has one. */
  raw?: number | boolean | string | bigint | null;
}

/** Numeric code used in storage (SERVER.md §2.2: 0 good, 1 uncertain, 2 bad). */
export function qualityCode(q: Quality): 0 | 1 | 2 {
  return q === 'good' ? 0 : q === 'uncertain' ? 1 : 2;
}

/** The worst of several qualities: derived values take the worst input quality (R42). */
export function worstQuality(...qs: Quality[]): Quality {
  let worst: Quality = 'good';
  for (const q of qs) if (qualityCode(q) > qualityCode(worst)) worst = q;
  return worst;
}

/** The wire form of a point inside a telemetry batch (compact keys; see README "MQTT contract"). */
export const WirePoint = Type.Object(
  {
    d: Type.String({ minLength: 1, maxLength: 128, description: 'device id' }),
    n: Type.String({ minLength: 1, maxLength: 200, description: 'point name (NUT style)' }),
    v: Type.Union([Type.Number(), Type.Boolean(), Type.String({ maxLength: 1024 }), Type.Null()]),
    t: Type.Integer({ minimum: 0, description: 'source timestamp, ms since epoch' }),
    q: Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)], { description: '0 good, 1 uncertain, 2 bad' }),
    r: Type.Optional(Type.String({ maxLength: 64, description: 'quality reason when q > 0' })),
  },
  { additionalProperties: false },
);
export type WirePoint = Static<typeof WirePoint>;

export function toWire(p: Point): WirePoint {
  const w: WirePoint = { d: p.device, n: p.name, v: p.value, t: p.ts, q: qualityCode(p.quality) };
  if (p.reason) w.r = String(p.reason);
  return w;
}

export function fromWire(site: string, w: WirePoint): Point {
  const quality: Quality = w.q === 0 ? 'good' : w.q === 1 ? 'uncertain' : 'bad';
  const p: Point = { site, device: w.d, name: w.n, value: w.v, ts: w.t, quality };
  if (w.r) p.reason = w.r;
  return p;
}

/** Storage field key: point name with `.` and `-` replaced by `_` (SERVER.md §2.1). */
export function fieldKey(pointName: string): string {
  return pointName.replace(/[.-]/g, '_');
}
