/**
 * One temperature channel of one rack: the validity gate (FS-01), the per-threshold debounce with
 * on-delay, ≥ 2 consecutive valid samples and the pre-alarm deadband (FS-03), the rate-of-rise
 * window (FS-05/06), and the stuck tracker (FS-02). All functions return new objects.
 */
import type { Detection, FireParams } from '../params.js';
import type { ChannelId, ChannelReading, ChannelStatus } from './types.js';

export const LEVELS = ['watch', 'corr', 's1', 's2', 's3', 'patchNo'] as const;
export type LevelKey = (typeof LEVELS)[number];

export interface LevelTrack {
  /** consecutive valid samples at or above the level */
  count: number;
  /** ts of the first of them */
  since: number | null;
  /** pre-alarm latch (≥ 2 samples), cleared below level − deadband for preAlarmClearMs */
  pre: boolean;
  belowSince: number | null;
}

export interface ChannelState {
  last: ChannelReading | null;
  /** why the last sample itself is unusable (quality, range, sequence), null when it is usable */
  sampleFault: ChannelStatus | null;
  levels: Record<LevelKey, LevelTrack>;
  /** valid samples inside the rate-of-rise window: [ts, value] */
  hist: Array<[number, number]>;
  /** stuck tracker: value anchor and since when the value stayed within the band */
  anchor: number | null;
  anchorTs: number | null;
  /** per-minute min/max of valid samples, for "peers move" (FS-02) */
  buckets: Array<[number, number, number]>;
  discrepantSince: number | null;
  /** last trouble reported for this channel (edge-triggered CHANNEL.FAULT/RESTORED) */
  reported: string | null;
}

export function emptyChannel(): ChannelState {
  const lt = (): LevelTrack => ({ count: 0, since: null, pre: false, belowSince: null });
  return {
    last: null, sampleFault: null,
    levels: { watch: lt(), corr: lt(), s1: lt(), s2: lt(), s3: lt(), patchNo: lt() },
    hist: [], anchor: null, anchorTs: null, buckets: [], discrepantSince: null, reported: null,
  };
}

export function levelValue(p: FireParams, level: LevelKey): number {
  const t = p.thresholds;
  switch (level) {
    case 'watch': return t.watch;
    case 'corr': return t.corroboration;
    case 's1': return t.stage1;
    case 's2': return t.stage2;
    case 's3': return t.stage3;
    case 'patchNo': return t.patchNoOperate;
  }
}

/** Staleness limit (FS-01): 3 × poll period capped at 5 s for probes and BMS; 10 s for the camera. */
export function staleLimitMs(d: Detection, channel: ChannelId): number {
  return channel === 'camera' ? d.cameraStaleMs : Math.min(3 * d.pollPeriodMs, d.staleCapMs);
}

/** The sample-level part of the validity gate: quality, physical range, sequence. */
export function sampleFault(prev: ChannelReading | null, r: ChannelReading, d: Detection): ChannelStatus | null {
  // the agent re-sends a sample it found too old with its own timestamp (same seq): that is `stale`
  if (r.quality !== 'good' && r.reason === 'stale') return 'stale';
  if (prev && r.seq <= prev.seq) return 'repeated_seq';
  // the source's own verdict names the trouble when it is one the gate knows (FS-01: out-of-range)
  if (r.quality !== 'good' || r.value === null || !Number.isFinite(r.value)) return r.reason === 'out_of_range' ? 'out_of_range' : 'bad';
  if (r.value < d.rangeMinC || r.value > d.rangeMaxC) return 'out_of_range';
  return null;
}

const BUCKET_MS = 60_000;

/** Apply one reading to a channel (returns a new state). */
export function applyReading(s: ChannelState, r: ChannelReading, p: FireParams): ChannelState {
  const d = p.detection;
  // An older or duplicate sample never replaces a newer one; it is reported as a repeated sequence.
  if (s.last && r.ts < s.last.ts) return { ...s, sampleFault: 'repeated_seq' };
  const fault = sampleFault(s.last, r, d);
  const next: ChannelState = { ...s, last: fault === 'repeated_seq' ? s.last : r, sampleFault: fault };
  const levels = { ...s.levels };
  if (fault) {
    // The agent's stale marker repeats the last sample (same source time): no new sample, so the
    // channel is invalid until fresh data but the debounce is not broken (else a source that goes
    // stale between every two polls, e.g. on a loaded host, could never assert a level)
    if (fault === 'stale' && s.last !== null && r.ts === s.last.ts) return next;
    // an invalid sample breaks "consecutive valid samples" (FS-03); pre-alarm latches keep their state
    for (const k of LEVELS) levels[k] = { ...levels[k], count: 0, since: null };
    next.levels = levels;
    return next;
  }
  const v = r.value as number;
  for (const k of LEVELS) {
    const lv = levelValue(p, k);
    const cur = levels[k];
    // the common case, well below a level and not latched: nothing changes, nothing is allocated
    if (v < lv && cur.count === 0 && !cur.pre) continue;
    const t = { ...cur };
    if (v >= lv) {
      t.count += 1;
      if (t.since === null) t.since = r.ts;
      if (t.count >= 2) t.pre = true;
      t.belowSince = null;
    } else {
      t.count = 0;
      t.since = null;
      if (t.pre) {
        if (v < lv - p.timings.deadbandC) {
          if (t.belowSince === null) t.belowSince = r.ts;
          if (r.ts - t.belowSince >= p.timings.preAlarmClearMs) { t.pre = false; t.belowSince = null; }
        } else {
          t.belowSince = null;
        }
      }
    }
    levels[k] = t;
  }
  next.levels = levels;
  // rate-of-rise window (a little more than the window), thinned to one kept sample per 1/20 of
  // the window plus the latest one, so a fast poll does not grow the history (or the garbage)
  const keepFrom = r.ts - d.rorWindowMs - 2 * d.pollPeriodMs;
  const h = s.hist;
  let i = 0;
  while (i < h.length && h[i]![0] < keepFrom) i++;
  const thin = h.length - i >= 2 && r.ts - h[h.length - 2]![0] < d.rorWindowMs / 20;
  next.hist = h.slice(i, thin ? h.length - 1 : h.length);
  next.hist.push([r.ts, v]);
  // stuck tracker
  if (s.anchor === null || Math.abs(v - s.anchor) > d.stuckBandC) { next.anchor = v; next.anchorTs = r.ts; }
  const b = Math.floor(r.ts / BUCKET_MS);
  const oldest = b - Math.ceil(d.stuckWindowMs / BUCKET_MS);
  const lastB = s.buckets[s.buckets.length - 1];
  if (lastB && lastB[0] === b && v >= lastB[1] && v <= lastB[2] && s.buckets[0]![0] >= oldest) {
    next.buckets = s.buckets; // same minute, inside its range: unchanged
  } else {
    const buckets = s.buckets.filter(([k]) => k >= oldest);
    const lb = buckets[buckets.length - 1];
    if (lb && lb[0] === b) buckets[buckets.length - 1] = [b, Math.min(lb[1], v), Math.max(lb[2], v)];
    else buckets.push([b, v, v]);
    next.buckets = buckets;
  }
  return next;
}

/** Level asserted: valid now, ≥ 2 consecutive valid samples at or above it, held ≥ on-delay (FS-03). */
export function asserted(s: ChannelState, level: LevelKey, onDelayMs: number): boolean {
  const t = s.levels[level];
  return s.last !== null && t.count >= 2 && t.since !== null && s.last.ts - t.since >= onDelayMs;
}

export interface Rate {
  /** overall change over the window, °C/min */
  overall: number;
  /** the lower of the two half-window rates (a sustained rise) */
  sustained: number;
}

/** Rate over the window, or null when the valid history does not cover ~the window. */
export function rate(s: ChannelState, d: Detection): Rate | null {
  const h = s.hist;
  if (h.length < 3) return null;
  const last = h[h.length - 1]!;
  const from = last[0] - d.rorWindowMs;
  const window = h.filter(([t]) => t >= from - d.pollPeriodMs);
  const first = window[0]!;
  const span = last[0] - first[0];
  if (window.length < 3 || span < d.rorWindowMs * 0.9) return null;
  const mid = window.find(([t]) => t >= first[0] + span / 2)!;
  const perMin = (a: [number, number], b: [number, number]) => (b[0] === a[0] ? 0 : ((b[1] - a[1]) / (b[0] - a[0])) * 60_000);
  return { overall: perMin(first, last), sustained: Math.min(perMin(first, mid), perMin(mid, last)) };
}

/** Range (max − min) of valid samples over the stuck window. */
export function movement(s: ChannelState): number {
  if (s.buckets.length === 0) return 0;
  let lo = Infinity, hi = -Infinity;
  for (const [, mn, mx] of s.buckets) { lo = Math.min(lo, mn); hi = Math.max(hi, mx); }
  return hi - lo;
}

/** Has the value stayed within the stuck band for the stuck window? */
export function flat(s: ChannelState, d: Detection): boolean {
  return s.last !== null && s.anchorTs !== null && s.last.ts - s.anchorTs >= d.stuckWindowMs;
}
