/** The trends view's data shaping (server/console/public/trend-data.js): gaps, quality, alignment, CSV. */
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ES module served to the browser, no type declarations
import { autoTier, buildSeries, toCsv, withGaps } from '../../server/console/public/trend-data.js';

const raw = (pts: Array<[number, number | boolean | string | null, number]>) => ({ kind: 'raw', samples: pts.map(([ts, value, q]) => ({ ts, value, q })) });

describe('trend data', () => {
  it('picks raw samples for short periods and coarser rollups for longer ones', () => {
    expect([15 * 60_000, 86_400_000, 7 * 86_400_000, 90 * 86_400_000, 400 * 86_400_000].map(autoTier)).toEqual(['raw', '1m', '15m', '1h', '1d']);
  });

  it('breaks the line where data stops for more than 3× its usual interval', () => {
    const s = [0, 1000, 2000, 3000, 20_000, 21_000].map((t) => ({ t, v: 1, q: 'good' }));
    const g = withGaps(s, 2000);
    expect(g.gaps).toBe(1);
    expect(g.samples.map((x: { v: number | null }) => x.v)).toEqual([1, 1, 1, 1, null, 1, 1]);
  });

  it('draws bad samples as gaps, counts qualities, aligns series on one time axis and encodes strings', () => {
    const defs = [{ device: 'ups-z1', name: 'ups.load', unit: '%' }, { device: 'ats-1', name: 'ats.source' }];
    const b = buildSeries(defs, [raw([[1000, 20, 0], [2000, 21, 1], [3000, 99, 2], [4000, 22, 0]]), raw([[2500, 'A', 0], [3500, 'B', 0]])], { from: 0, to: 5000 });
    expect(b.data[0]).toEqual([1, 2, 2.5, 3, 3.5, 4]);
    expect(b.data[1]).toEqual([20, 21, undefined, null, undefined, 22]);
    expect(b.data[2]).toEqual([undefined, undefined, 1, undefined, 2, undefined]);
    expect(b.series[0].stats).toEqual({ good: 2, uncertain: 1, bad: 1, gaps: 1 });
    expect(b.series[1].label).toBe('ats-1 ats.source (1=A, 2=B)');
    const csv = toCsv(b).trim().split('\n');
    expect(csv[0]).toBe('time,ups-z1 ups.load [%],ups-z1 ups.load [%] quality,"ats-1 ats.source (1=A, 2=B)","ats-1 ats.source (1=A, 2=B) quality"');
    expect(csv[4]).toBe('1970-01-01T00:00:03.000Z,,bad,,');
  });

  it('marks rollup buckets without good samples as gaps and partly good ones as uncertain', () => {
    const r = { kind: 'rollup', values: [{ bucket: 0, value: 5, count: 60, countGood: 60 }, { bucket: 60_000, value: null, count: 10, countGood: 0 }, { bucket: 120_000, value: 7, count: 60, countGood: 30 }] };
    const b = buildSeries([{ device: 'meters-1', name: 'meter.it.realpower', unit: 'W' }], [r], { from: 0, to: 180_000 });
    expect(b.data[1]).toEqual([5, null, 7]);
    expect(b.quality[0]).toEqual(['good', 'bad', 'uncertain']);
  });
});
