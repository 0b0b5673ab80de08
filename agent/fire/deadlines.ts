/**
 * The thin deadline scheduler of FS-31 / STYLE lesson 14. The zone machine keeps its safety timers
 * as absolute UTC deadlines in context (countdowns, T3/T4, gas hold, expiries); this module arms
 * one real timer per deadline and calls `onExpire(name, at)` when it falls due. `sync()` is called
 * after every transition and after a restore, so a restored machine's deadlines are re-armed
 * (xstate#5331: restored `after` delays never fire). A deadline already in the past fires at once.
 */
import type { TimerHost } from './clock.js';

/** setTimeout's limit; longer deadlines are re-armed in steps. */
const MAX_TIMER_MS = 2 **31 - 1;

export type Deadlines = Readonly<Record<string, number | null | undefined>>;

export class DeadlineScheduler {
  private armed = new Map<string, { at: number; handle: unknown }>();
  private stopped = false;

  constructor(
    private readonly host: TimerHost,
    private readonly onExpire: (name: string, at: number) => void,
  ) {}

  /** Make the armed timers match `deadlines` exactly (absent/null = cancelled). */
  sync(deadlines: Deadlines): void {
    if (this.stopped) return;
    for (const [name, a] of this.armed) {
      const want = deadlines[name];
      if (want === undefined || want === null || want !== a.at) {
        this.host.clearTimer(a.handle);
        this.armed.delete(name);
      }
    }
    for (const [name, at] of Object.entries(deadlines)) {
      if (at === undefined || at === null || this.armed.has(name)) continue;
      if (!Number.isFinite(at)) throw new RangeError(`deadline ${name}: ${String(at)} is not a time`);
      this.arm(name, at);
    }
  }

  /** Names and times currently armed (for the state document and tests). */
  list(): Record<string, number> {
    return Object.fromEntries([...this.armed].map(([n, a]) => [n, a.at]));
  }

  stop(): void {
    this.stopped = true;
    for (const a of this.armed.values()) this.host.clearTimer(a.handle);
    this.armed.clear();
  }

  private arm(name: string, at: number): void {
    const delay = Math.max(0, at - this.host.now());
    const step = Math.min(delay, MAX_TIMER_MS);
    const handle = this.host.setTimer(() => {
      const cur = this.armed.get(name);
      if (!cur || cur.handle !== handle || this.stopped) return;
      this.armed.delete(name);
      if (this.host.now() < at) { this.arm(name, at); return; } // long deadline: next step
      this.onExpire(name, at);
    }, step);
    this.armed.set(name, { at, handle });
  }
}
