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
 *
 * The agent's own stalls do not count (`stalled(ms)`): while its event loop was blocked (a burst
 * of fire work, garbage collection, a busy host) no driver could poll, so every point aged by the
 * stall. Counting that would mark hundreds of points stale at once and set off a storm of channel
 * troubles in the fire zones, whose handling blocks the loop again (bench/fire-latency
 * --full-agent). A point is stale when it was not updated within its limit of time the agent was
 * awake; a device that is really silent is still found, later by exactly the agent's stall.
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
  /** The tracker's stall total when `last` was observed. */
  stalledAt: number;
}

const key = (p: { device: string; name: string }) => `${p.device}\u0000${p.name}`;

export class StalenessTracker {
  private readonly entries = new Map<string, Entry>();
  /** Total time the agent itself was stalled (ms), as reported by `stalled`. */
  private stalledTotal = 0;

  /** The agent was stalled this long (its tick ran that late): not counted in any point's age. */
  stalled(ms: number): void {
    if (Number.isFinite(ms) && ms > 0) this.stalledTotal += ms;
  }

  get stalledMs(): number { return this.stalledTotal; }

  /** Record a sample. A bad sample is already not usable: it resets nothing and is not tracked as fresh. */
  observe(p: Point, limitMs: number): void {
    const k = key(p);
    const e = this.entries.get(k);
    if (p.quality === 'bad') {
      if (e) e.limitMs = limitMs;
      return;
    }
    if (!e) this.entries.set(k, { last: p, limitMs, stale: false, stalledAt: this.stalledTotal });
    else if (p.ts >= e.last.ts) { e.last = p; e.limitMs = limitMs; e.stale = false; e.stalledAt = this.stalledTotal; }
  }

  /** Once per poll cycle: the points that became stale since the last sweep (each reported once). */
  sweep(now: number): Point[] {
    const out: Point[] = [];
    for (const e of this.entries.values()) {
      if (e.stale) continue;
      if (now - e.last.ts - (this.stalledTotal - e.stalledAt) > e.limitMs) {
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
