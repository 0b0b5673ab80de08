/**
 * Energy from cumulative counters (SERVER.md R05, F7, F9): deltas with wrap-around and reset
 * detection, distributed over time buckets, and coverage = share of each bucket backed by
 * consecutive samples no further apart than `maxGapMs`.
 *
 * A delta across a long gap still counts (the counter kept counting); only coverage drops.
 * A pair of samples is split over the buckets it spans in proportion to time, so the deltas of a
 * day add up to the counter difference exactly.
 */
export interface CounterSample {
  ts: number;
  value: number;
}

export type StepKind = 'normal' | 'wrap' | 'reset';

export interface CounterOptions {
  /** Counter width in bits; by default 32 while values fit in 32 bits, else 64. */
  bits?: number;
  /** Share of the range near the top/bottom that makes a decrease a wrap rather than a reset. */
  wrapMargin?: number;
  /**
   * Longest spacing of two samples that still counts as covered time (F9). The limit used is the
   * larger of this and 2 × the poll interval estimated from the samples (lower quartile of the
   * spacings, given at least two; R05: "gaps ≤ 2 poll intervals").
   */
  maxGapMs: number;
}

/** F7: Δ = c_i − c_{i−1}; wrap: c_i + (2^N − c_{i−1}); reset: c_i. */
export function counterStep(prev: number, cur: number, opts: { bits?: number; wrapMargin?: number } = {}): { delta: number; kind: StepKind } {
  if (cur >= prev) return { delta: cur - prev, kind: 'normal' };
  const bits = opts.bits ?? (prev < 2 ** 32 ? 32 : 64);
  const range = 2 ** bits;
  const margin = (opts.wrapMargin ?? 0.1) * range;
  if (prev >= range - margin && cur < margin) return { delta: cur + (range - prev), kind: 'wrap' };
  return { delta: cur, kind: 'reset' };
}

export interface DeltaBucket {
  bucket: number;
  delta: number;
  resets: number;
  wraps: number;
  coverage: number;
  /** Times of reset steps (for `meter.reset` events). */
  resetAt: number[];
}

/**
 * Deltas per bucket for buckets in [from, to). `samples` are sorted by ts and should include the
 * last sample before `from` and the first at or after `to`, so boundary pairs are split correctly.
 */
export function counterDeltaBuckets(samples: readonly CounterSample[], from: number, to: number, bucketMs: number, opts: CounterOptions): DeltaBucket[] {
  const first = Math.floor(from / bucketMs) * bucketMs;
  const n = Math.max(0, Math.ceil((to - first) / bucketMs));
  const out: DeltaBucket[] = [];
  for (let i = 0; i < n; i++) out.push({ bucket: first + i * bucketMs, delta: 0, resets: 0, wraps: 0, coverage: 0, resetAt: [] });
  const covered = new Float64Array(n);
  const spacing: number[] = [];
  for (let i = 1; i < samples.length; i++) spacing.push(samples[i]!.ts - samples[i - 1]!.ts);
  spacing.sort((a, b) => a - b);
  // Poll interval estimate: the lower quartile of the spacings (robust to the gap itself), given ≥ 2.
  const maxGap = Math.max(opts.maxGapMs, spacing.length >= 2 ? 2 * spacing[Math.floor((spacing.length - 1) / 4)]! : 0);
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    const span = b.ts - a.ts;
    if (span <= 0) continue;
    const step = counterStep(a.value, b.value, opts);
    const hit = Math.floor((b.ts - first) / bucketMs);
    if (step.kind !== 'normal' && hit >= 0 && hit < n) {
      if (step.kind === 'reset') { out[hit]!.resets += 1; out[hit]!.resetAt.push(b.ts); } else out[hit]!.wraps += 1;
    }
    const lo = Math.max(a.ts, first);
    const hi = Math.min(b.ts, first + n * bucketMs, to);
    for (let k = Math.max(0, Math.floor((lo - first) / bucketMs)); k < n; k++) {
      const bs = first + k * bucketMs;
      const be = bs + bucketMs;
      if (bs >= hi) break;
      const ov = Math.min(be, hi) - Math.max(bs, lo);
      if (ov <= 0) continue;
      out[k]!.delta += step.delta * (ov / span);
      if (span <= maxGap) covered[k]! += ov;
    }
  }
  for (let k = 0; k < n; k++) {
    const bs = first + k * bucketMs;
    const len = Math.min(bs + bucketMs, to) - Math.max(bs, from);
    out[k]!.coverage = len > 0 ? Math.min(1, covered[k]! / len) : 0;
  }
  return out;
}

/** Sum of deltas over a period with time-weighted coverage (F9) — ratio of sums, never a mean of ratios. */
export function sumDeltas(rows: ReadonlyArray<{ bucket: number; delta: number; coverage: number; resets: number; wraps: number }>, from: number, to: number, bucketMs: number): { delta: number; coverage: number; resets: number; wraps: number } {
  let delta = 0;
  let cov = 0;
  let resets = 0;
  let wraps = 0;
  for (const r of rows) {
    if (r.bucket < from || r.bucket >= to) continue;
    delta += r.delta;
    cov += r.coverage * bucketMs;
    resets += r.resets;
    wraps += r.wraps;
  }
  return { delta, coverage: to > from ? Math.min(1, cov / (to - from)) : 0, resets, wraps };
}
