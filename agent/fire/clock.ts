/**
 * Time for the fire runtime: wall clock (journal, deadlines persisted as UTC), monotonic clock
 * (intervals) and timers, injected so tests drive time with a fake clock and drills can run the
 * agent at the simulator's time-scale.
 */
import type { Clock } from '../drivers/types.js';

export interface TimerHost extends Clock {
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const systemTimerHost: TimerHost = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * A clock running `scale` times faster than real time, anchored at the real instant `anchor`
 * (ms since epoch): now = anchor + (Date.now() − anchor) · scale. Processes given the same anchor
 * and scale agree on the time, so a restarted agent sees its persisted deadlines correctly (drills
 * and tests against a simulator at the same time-scale). scale = 1 is real time.
 */
export function scaledTimerHost(scale: number, anchor = Date.now()): TimerHost {
  if (!(scale > 0)) throw new RangeError(`time scale must be > 0, got ${scale}`);
  return {
    now: () => anchor + (Date.now() - anchor) * scale,
    monotonic: () => performance.now() * scale,
    setTimer: (fn, ms) => setTimeout(fn, Math.max(0, ms / scale)),
    clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
  };
}

/** A manually advanced clock for tests: timers fire in deadline order inside `advance()`. */
export class FakeTimerHost implements TimerHost {
  private t: number;
  private mono = 0;
  private nextId = 1;
  private timers = new Map<number, { at: number; fn: () => void }>();
  constructor(start = 1_700_000_000_000) { this.t = start; }
  now(): number { return this.t; }
  monotonic(): number { return this.mono; }
  setTimer(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }
  clearTimer(handle: unknown): void { this.timers.delete(handle as number); }
  pending(): number { return this.timers.size; }
  /** Move time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let best: [number, { at: number; fn: () => void }] | null = null;
      for (const e of this.timers) if (e[1].at <= end && (!best || e[1].at < best[1].at)) best = e;
      if (!best) break;
      this.timers.delete(best[0]);
      this.mono += best[1].at - this.t;
      this.t = best[1].at;
      best[1].fn();
    }
    this.mono += end - this.t;
    this.t = end;
  }
}
