import { describe, expect, it } from 'vitest';
import { FRAME_HEIGHT, FRAME_WIDTH, layoutRegions, LayoutError, renderFrame } from './frame.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('camera frame layout and rendering', () => {
  it.each([1, 4, 8, 17, 50, 100, 768])('%i racks: regions are inside the frame and never overlap', (n) => {
    const regions = layoutRegions(range(n));
    expect(regions).toHaveLength(n);
    const owner = new Map<number, number>();
    for (const r of regions) {
      expect(r.w).toBeGreaterThanOrEqual(1);
      expect(r.h).toBeGreaterThanOrEqual(1);
      expect(r.x + r.w).toBeLessThanOrEqual(FRAME_WIDTH);
      expect(r.y + r.h).toBeLessThanOrEqual(FRAME_HEIGHT);
      for (let y = r.y; y < r.y + r.h; y++) for (let x = r.x; x < r.x + r.w; x++) {
        expect(owner.has(y * FRAME_WIDTH + x)).toBe(false);
        owner.set(y * FRAME_WIDTH + x, r.index);
      }
    }
  });

  it('more racks than pixels is a clear error', () => {
    expect(() => layoutRegions(range(769))).toThrow(LayoutError);
    expect(() => layoutRegions(range(769))).toThrow(/at most 768 regions; got 769/);
  });

  it('region max is the surface temperature, mean lies between ambient and max, background is ambient', () => {
    const regions = layoutRegions(range(8));
    const surfaceC = new Map(range(8).map((i) => [i, 25 + i * 5.04]));
    const { data, stats } = renderFrame(regions, { ambientC: 21.5, surfaceC, occluded: false });
    expect(data).toHaveLength(FRAME_WIDTH * FRAME_HEIGHT);
    expect(data[0]).toBe(21.5);
    for (const s of stats) {
      expect(s.max).toBe(Math.round(surfaceC.get(s.index)! * 10) / 10);
      expect(s.mean).toBeGreaterThan(21.5);
      expect(s.mean).toBeLessThan(s.max);
      const r = regions.find((x) => x.index === s.index)!;
      expect(data[s.hotspot[1] * FRAME_WIDTH + s.hotspot[0]]).toBe(s.max);
      expect(s.hotspot).toEqual(r.hotspot);
    }
  });

  it('a rack colder than the room shows as a cold region (max at its edge, still from the pixels)', () => {
    const regions = layoutRegions([1]);
    const { stats } = renderFrame(regions, { ambientC: 25, surfaceC: new Map([[1, 15]]), occluded: false });
    expect(stats[0].max).toBe(20); // the 0.5 floor of the fall-off: 25 + (15 − 25) · 0.5
    expect(stats[0].mean).toBeLessThan(25);
  });
});
