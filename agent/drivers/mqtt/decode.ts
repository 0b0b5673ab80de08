/**
 * One MQTT device message → raw readings for the points of its topic. Pure; never throws.
 *
 * | payload                                | every point of the topic       | counted reason   |
 * |----------------------------------------|--------------------------------|------------------|
 * | larger than maxPayloadBytes            | bad `payload_too_large`        | payload_too_large|
 * | not JSON (truncated, garbage)          | bad `parse_error`              | parse_error      |
 * | fails the topic's JSON schema          | bad `parse_error`              | schema           |
 * | bare `NaN` literals instead of numbers | those points bad `nan`         | nan              |
 * | a value missing or of the wrong type   | that point bad `parse_error`   | wrong_type       |
 * | a device status (qualityPath) not good | that point bad `sensor_fault`  | sensor_fault     |
 */
import type { RawReading, RawScalar } from '../types.js';
import { getPath, type PathSegment, type Subscription } from './expand.js';

const NAN = '\u0000NaN\u0000';

export interface Decoded {
  readings: RawReading[];
  /** Reasons to count, one per occurrence (message-level or point-level). */
  problems: string[];
  /** First detail of a message-level problem, for a log line. */
  detail?: string;
}

export type Validator = ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };

/** JSON.parse, accepting bare NaN (as written by some devices) as a marker. */
function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (!/NaN/.test(text)) throw err;
    return JSON.parse(text.replace(/([:[,]\s*)-?NaN(?=\s*[,\]}])/g, '$1"\\u0000NaN\\u0000"'));
  }
}

function timestampOf(obj: unknown, path: PathSegment[] | undefined, format: 'ms' | 's' | 'iso' | undefined, now: number): number | undefined {
  if (!path) return now;
  const v = getPath(obj, path);
  if (format === 'iso' || typeof v === 'string') {
    const t = typeof v === 'string' ? Date.parse(v) : NaN;
    return Number.isFinite(t) ? t : undefined;
  }
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return undefined;
  return format === 's' ? Math.round(v * 1000) : Math.round(v);
}

export function decodeMessage(sub: Subscription, device: string, payload: Buffer, now: number, opts: { maxBytes: number; validate?: Validator }): Decoded {
  const all = (error: string, problem: string, detail?: string): Decoded => ({
    readings: sub.points.map((p) => ({ device, point: p.name, raw: null, ts: now, error })),
    problems: [problem],
    ...(detail ? { detail } : {}),
  });
  const limit = sub.spec.maxPayloadBytes ?? opts.maxBytes;
  if (payload.length > limit) return all('payload_too_large', 'payload_too_large', `${payload.length} bytes > ${limit}`);
  let obj: unknown;
  try {
    obj = parse(payload.toString('utf8'));
  } catch (err) {
    return all('parse_error', 'parse_error', (err as Error).message);
  }
  if (opts.validate && !opts.validate(obj)) {
    const e = opts.validate.errors?.[0];
    return all('parse_error', 'schema', e ? `${e.instancePath || '(payload)'} ${e.message ?? ''}`.trim() : undefined);
  }
  const problems: string[] = [];
  const ts = timestampOf(obj, sub.timestampPath, sub.spec.timestampFormat, now);
  if (ts === undefined) problems.push('bad_timestamp');
  const t = ts ?? now;
  const readings: RawReading[] = sub.points.map((p) => {
    const bad = (error: string, problem: string): RawReading => { problems.push(problem); return { device, point: p.name, raw: null, ts: t, error }; };
    const v = getPath(obj, p.path);
    if (v === NAN) return bad('nan', 'nan');
    if (p.qualityPath) {
      const q = getPath(obj, p.qualityPath) as string | number | boolean | undefined;
      if (q === undefined || !(p.goodQuality ?? [true, 'ok', 'good', 0]).includes(q)) return bad('sensor_fault', 'sensor_fault');
    }
    const want = p.type ?? 'number';
    let raw: RawScalar;
    if (want === 'number') {
      if (typeof v !== 'number') return bad('parse_error', 'wrong_type');
      raw = v;
    } else if (want === 'bool') {
      if (typeof v === 'boolean') raw = v;
      else if (v === 0 || v === 1) raw = v === 1;
      else return bad('parse_error', 'wrong_type');
    } else {
      if (typeof v !== 'string' && typeof v !== 'number') return bad('parse_error', 'wrong_type');
      raw = String(v);
    }
    return { device, point: p.name, raw, ts: t };
  });
  return { readings, problems };
}
