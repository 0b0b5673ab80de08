/**
 * Battery rooms (SERVER.md R17–R19; F36): BMS hierarchy statistics and freshness, early warning
 * from heating rate and cell spread, camera-versus-BMS fusion, and the edge's fire stages
 * recorded with a check that the expected next stage is reported.
 */
import type { Quality } from '../../lib/points.js';

export interface Stats {
  max: number;
  min: number;
  mean: number;
  spread: number;
  count: number;
}

export function stats(values: readonly number[]): Stats | null {
  if (!values.length) return null;
  let max = -Infinity;
  let min = Infinity;
  let sum = 0;
  for (const v of values) { if (v > max) max = v; if (v < min) min = v; sum += v; }
  return { max, min, mean: sum / values.length, spread: max - min, count: values.length };
}

/** R17: spread warning `cell.spread` above 5 K (proposal). */
export function spreadWarning(s: Stats | null, limitK = 5): string | null {
  return s && s.spread > limitK ? 'cell.spread' : null;
}

/** R17: data age → quality: uncertain after 10 s, bad (+ `bms.stale`) after 30 s. */
export function freshness(ageMs: number, uncertainMs = 10_000, badMs = 30_000): { quality: Quality; alarm: string | null } {
  if (ageMs >= badMs) return { quality: 'bad', alarm: 'bms.stale' };
  if (ageMs >= uncertainMs) return { quality: 'uncertain', alarm: null };
  return { quality: 'good', alarm: null };
}

/** Rack maximum over modules, ignoring bad modules and naming them (R17). */
export function rackMax(modules: Array<{ id: string; max: number | null; ageMs: number }>): { max: number | null; excluded: string[]; quality: Quality } {
  let max: number | null = null;
  const excluded: string[] = [];
  let q: Quality = 'good';
  for (const m of modules) {
    const f = freshness(m.ageMs);
    if (f.quality === 'bad' || m.max === null) { excluded.push(m.id); continue; }
    if (f.quality === 'uncertain') q = 'uncertain';
    if (max === null || m.max > max) max = m.max;
  }
  if (excluded.length && q === 'good') q = 'uncertain';
  return { max, excluded, quality: max === null ? 'bad' : q };
}

/** F36: least-squares slope [K/min] of (ts ms, value) samples. */
export function slopePerMin(samples: ReadonlyArray<{ ts: number; value: number }>): number | null {
  const n = samples.length;
  if (n < 2) return null;
  let sx = 0, sy = 0, sxx = 0, sxy = 0;
  const t0 = samples[0]!.ts;
  for (const s of samples) { const x = (s.ts - t0) / 60_000; sx += x; sy += s.value; sxx += x * x; sxy += x * s.value; }
  const d = n * sxx - sx * sx;
  return d === 0 ? null : (n * sxy - sx * sy) / d;
}

export interface RiseWarning {
  kind: 'thermal.rise';
  ts: number;
  slopeKPerMin: number;
  /** Minutes until the stage-1 threshold at that slope. */
  minutesTo60: number;
}

/**
 * R18: `thermal.rise` when the 60-s least-squares slope stays ≥ limit (default 1 K/min) for at
 * least `holdMs` (default 3 min); reported once per episode with the time left to 60 °C.
 */
export function thermalRise(samples: ReadonlyArray<{ ts: number; value: number }>, opts: { limitKPerMin?: number; holdMs?: number; windowMs?: number; stage1C?: number } = {}): RiseWarning[] {
  const limit = opts.limitKPerMin ?? 1;
  const hold = opts.holdMs ?? 180_000;
  const win = opts.windowMs ?? 60_000;
  const stage1 = opts.stage1C ?? 60;
  const out: RiseWarning[] = [];
  let since: number | null = null;
  let fired = false;
  let lo = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    while (samples[lo]!.ts < s.ts - win) lo++;
    const k = slopePerMin(samples.slice(lo, i + 1));
    if (k !== null && k >= limit && s.ts - samples[lo]!.ts >= win * 0.5) {
      since ??= s.ts;
      if (!fired && s.ts - since >= hold) {
        fired = true;
        out.push({ kind: 'thermal.rise', ts: s.ts, slopeKPerMin: k, minutesTo60: (stage1 - s.value) / k });
      }
    } else { since = null; fired = false; }
  }
  return out;
}

/**
 * R19: `camera.bms.disagreement` when the camera max over a rack exceeds the BMS max for it by
 * more than `deltaK` (10 K) for at least `holdMs` (30 s). Samples are (ts, camera, bms) sorted.
 */
export function cameraBmsDisagreement(samples: ReadonlyArray<{ ts: number; camera: number; bms: number }>, deltaK = 10, holdMs = 30_000): { ts: number; deltaK: number } | null {
  let since: number | null = null;
  for (const s of samples) {
    const d = s.camera - s.bms;
    if (d > deltaK) {
      since ??= s.ts;
      if (s.ts - since >= holdMs) return { ts: s.ts, deltaK: d };
    } else since = null;
  }
  return null;
}

export interface StageRecord {
  stage: number;
  ts: number;
  name?: string;
}

/**
 * R18 (b): the fire-zone timeline from the edge's `fire.transition` events, and the critical
 * `fire.stage.expected_not_reported` when temperature stays above a stage threshold for `holdMs`
 * after the previous stage without that stage being reported.
 */
export function fireTimeline(
  events: ReadonlyArray<{ ts: number; kind: string; data?: Record<string, unknown> }>,
  temps: ReadonlyArray<{ ts: number; value: number }>,
  thresholds: number[] = [60, 68, 80],
  holdMs = 30_000,
): { stages: StageRecord[]; alarms: Array<{ kind: 'fire.stage.expected_not_reported'; stage: number; ts: number }> } {
  const stages: StageRecord[] = events
    .filter((e) => e.kind === 'fire.transition' && typeof e.data?.stage === 'number')
    .map((e) => ({ stage: e.data!.stage as number, ts: e.ts, ...(typeof e.data?.name === 'string' ? { name: e.data.name } : {}) }))
    .sort((a, b) => a.ts - b.ts);
  const alarms: Array<{ kind: 'fire.stage.expected_not_reported'; stage: number; ts: number }> = [];
  for (let k = 1; k < thresholds.length; k++) {
    const stage = k + 1;
    const prev = stages.find((s) => s.stage === k);
    if (!prev) continue;
    const reported = stages.find((s) => s.stage === stage);
    let since: number | null = null;
    for (const t of temps) {
      if (t.ts < prev.ts) continue;
      if (reported && t.ts >= reported.ts) break;
      if (t.value >= thresholds[k]!) {
        since ??= t.ts;
        if (t.ts - since >= holdMs) { alarms.push({ kind: 'fire.stage.expected_not_reported', stage, ts: t.ts }); break; }
      } else since = null;
    }
  }
  return { stages, alarms };
}
