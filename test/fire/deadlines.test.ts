import { describe, expect, it } from 'vitest';
import { FakeTimerHost } from '../../agent/fire/clock.js';
import { DeadlineScheduler } from '../../agent/fire/deadlines.js';

describe('deadline scheduler (FS-31 step 5, STYLE lesson 14)', () => {
  it('FS-31 arms timers from absolute deadlines and fires each once, in order', () => {
    const clock = new FakeTimerHost();
    const fired: [string, number][] = [];
    const s = new DeadlineScheduler(clock, (n, at) => fired.push([n, at]));
    const t0 = clock.now();
    s.sync({ gasRelease: t0 + 30_000, t3: t0 + 60_000, none: null });
    clock.advance(29_999);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([['gasRelease', t0 + 30_000]]);
    clock.advance(60_000);
    expect(fired).toEqual([['gasRelease', t0 + 30_000], ['t3', t0 + 60_000]]);
    expect(clock.pending()).toBe(0);
  });

  it('FS-31 re-sync moves, cancels and keeps deadlines without double firing', () => {
    const clock = new FakeTimerHost();
    const fired: string[] = [];
    const s = new DeadlineScheduler(clock, (n) => fired.push(n));
    const t0 = clock.now();
    s.sync({ a: t0 + 1000, b: t0 + 2000 });
    s.sync({ a: t0 + 1000, b: t0 + 5000 }); // b moved
    s.sync({ b: t0 + 5000 }); // a cancelled
    expect(clock.pending()).toBe(1);
    clock.advance(10_000);
    expect(fired).toEqual(['b']);
  });

  it('FS-31 a restored deadline that already passed fires at once; a far deadline is re-armed in steps', () => {
    const clock = new FakeTimerHost();
    const fired: string[] = [];
    const s = new DeadlineScheduler(clock, (n) => fired.push(n));
    s.sync({ past: clock.now() - 5000, far: clock.now() + 30 * 24 * 3600_000 });
    clock.advance(0);
    expect(fired).toEqual(['past']);
    clock.advance(29 * 24 * 3600_000);
    expect(fired).toEqual(['past']);
    clock.advance(24 * 3600_000);
    expect(fired).toEqual(['past', 'far']);
  });

  it('stop() cancels every timer; a non-finite deadline is a typed error', () => {
    const clock = new FakeTimerHost();
    const s = new DeadlineScheduler(clock, () => { throw new Error('must not fire'); });
    s.sync({ a: clock.now() + 10 });
    s.stop();
    clock.advance(100);
    expect(clock.pending()).toBe(0);
    const s2 = new DeadlineScheduler(clock, () => {});
    expect(() => s2.sync({ bad: Number.NaN })).toThrow(RangeError);
  });
});
