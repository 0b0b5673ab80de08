/**
 * Staleness, decided in ONE place once per poll cycle (STYLE.md lesson 11; FS-01).
 *
 * The runtime calls `observe()` for every normalised point it receives and `sweep(now)` once per
 * cycle (or once per tick for subscription drivers). A point whose last good-or-uncertain sample
 * is older than its limit becomes `uncertain` with reason `stale`, carrying its last value and
 * its original timestamp; `sweep` returns each such point once, on the transition, and again
 * only after a fresh sample made it current.
 *
 * Default limit: 3 × the poll period; fire-relevant points are capped at 5 s (FS-01).
 */
import type { Point } from '../../lib/points.js';

export const FIRE_STALE_CAP_MS = 5000;

/** The staleness limit of a point polled every `periodMs`. */
export function stalenessLimitMs(periodMs: number, opts: { fire?: boolean; capMs?: number } = {}): number {
  const limit = 3 * periodMs;
  const cap = opts.capMs ?? (opts.fire ? FIRE_STALE_CAP_MS : Infinity);
  return Math.min(limit, cap);
}

interface Entry {
  last: Point;
  limitMs: number;
  stale: boolean;
}

const key = (p: { device: string; name: string }) => `${p.device}\u0000${p.name}`;

export class StalenessTracker {
  private readonly entries = new Map<string, Entry>();

  /** Record a sample. A bad sample is already not usable: it resets nothing and is not tracked as fresh. */
  observe(p: Point, limitMs: number): void {
    const k = key(p);
    const e = this.entries.get(k);
    if (p.quality === 'bad') {
      if (e) e.limitMs = limitMs;
      return;
    }
    if (!e) this.entries.set(k, { last: p, limitMs, stale: false });
    else if (p.ts >= e.last.ts) { e.last = p; e.limitMs = limitMs; e.stale = false; }
  }

  /** Once per poll cycle: the points that became stale since the last sweep (each reported once). */
  sweep(now: number): Point[] {
    const out: Point[] = [];
    for (const e of this.entries.values()) {
      if (e.stale) continue;
      if (now - e.last.ts > e.limitMs) {
        e.stale = true;
        out.push({ ...e.last, quality: 'uncertain', reason: 'stale' });
      }
    }
    return out;
  }

  /** Whether a point is currently stale (as of the last sweep). */
  isStale(device: string, name: string): boolean {
    return this.entries.get(key({ device, name }))?.stale ?? false;
  }

  /** Forget a device's points (device removed or reconfigured). */
  forgetDevice(device: string): void {
    for (const [k, e] of this.entries) if (e.last.device === device) this.entries.delete(k);
  }

  get size(): number { return this.entries.size; }
}
