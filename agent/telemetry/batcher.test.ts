import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WirePoint } from '../../lib/points.js';
import { Batcher } from './batcher.js';

const w = (n: string): WirePoint => ({ d: 'd', n, v: 1, t: 0, q: 0 });

describe('batcher', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it('cuts a batch at maxPoints, or when its first point waited maxDelayMs', () => {
    const out: string[][] = [];
    const b = new Batcher({ maxPoints: 3, maxDelayMs: 1000 }, (pts) => out.push(pts.map((p) => p.n)));
    b.add([w('a'), w('b'), w('c'), w('d')]);
    expect(out).toEqual([['a', 'b', 'c']]);
    vi.advanceTimersByTime(999);
    b.add([w('e')]);
    expect(out.length).toBe(1);
    vi.advanceTimersByTime(1);
    expect(out).toEqual([['a', 'b', 'c'], ['d', 'e']]);
    vi.advanceTimersByTime(5000);
    expect(out.length).toBe(2);
  });

  it('a fire-relevant point shortens the wait of its batch; stop flushes', () => {
    const out: string[][] = [];
    const b = new Batcher({ maxPoints: 100, maxDelayMs: 1000, fireDelayMs: 50 }, (pts) => out.push(pts.map((p) => p.n)));
    b.add([w('slow')]);
    vi.advanceTimersByTime(10);
    b.add([w('fire')], true);
    vi.advanceTimersByTime(50);
    expect(out).toEqual([['slow', 'fire']]);
    b.add([w('late')]);
    b.stop();
    expect(out).toEqual([['slow', 'fire'], ['late']]);
    expect(b.pending).toBe(0);
  });

  it('cuts before the byte limit, and every batch stays under it as JSON', () => {
    const out: WirePoint[][] = [];
    const b = new Batcher({ maxPoints: 100_000, maxBytes: 2000, maxDelayMs: 1000 }, (pts) => out.push(pts));
    const pts = Array.from({ length: 200 }, (_, i): WirePoint => ({ d: 'bms-br1', n: `rack.${i}.module.17.temperature.max`, v: 1234.5678 + i, t: 1_700_000_000_000 + i, q: i % 3 === 0 ? 2 : 0, ...(i % 3 === 0 ? { r: 'exception_4' } : {}) }));
    b.add(pts);
    b.stop();
    expect(out.flat()).toEqual(pts);
    expect(out.length).toBeGreaterThan(5);
    for (const batch of out) expect(JSON.stringify(batch).length).toBeLessThanOrEqual(2000);
  });
});
