import { describe, expect, it } from 'vitest';
import { normalise, normaliseAll, type PointDef } from './normalise.js';
import { StalenessTracker, stalenessLimitMs } from './staleness.js';
import type { RawReading } from '../drivers/types.js';

const r = (raw: RawReading['raw'], extra: Partial<RawReading> = {}): RawReading => ({ device: 'ups-z1', point: 'ups.load', raw, ts: 1000, ...extra });
const def: PointDef = { name: 'ups.load', unit: '%' };

function counter() {
  const counts: Record<string, number> = {};
  const fn = (metric: string, labels?: Record<string, string>) => {
    const k = `${metric}{${Object.entries(labels ?? {}).map(([a, b]) => `${a}=${b}`).join(',')}}`;
    counts[k] = (counts[k] ?? 0) + 1;
  };
  return { counts, fn };
}

describe('normalise', () => {
  it('scales with offset, keeps unit, ts, raw and marks good', () => {
    const p = normalise(r(123), { ...def, scale: 0.1, offset: -2 }, 'sim1');
    expect(p).toEqual({ site: 'sim1', device: 'ups-z1', name: 'ups.load', value: 10.3, unit: '%', ts: 1000, quality: 'good', raw: 123 });
  });

  it('removes binary artefacts of scaling', () => {
    expect(normalise(r(3), { ...def, scale: 0.1 }, 's').value).toBe(0.3);
  });

  it('reports a float32 as the shortest decimal that is the same float32', () => {
    expect(normalise(r(Math.fround(23.45)), { ...def, type: 'float32' }, 's').value).toBe(23.45);
    expect(normalise(r(16777215), { ...def, type: 'float32' }, 's').value).toBe(16777215);
    expect(normalise(r(Math.fround(1e-7)), { ...def, type: 'float32' }, 's').value).toBe(1e-7);
    expect(normalise(r(Math.fround(0.1)), { ...def, type: 'float32', scale: 10 }, 's').value).toBe(1);
  });

  it('turns driver errors into bad points with that reason, value null, and counts them', () => {
    const c = counter();
    for (const reason of ['timeout', 'comm_failure', 'exception_2', 'parse_error']) {
      const p = normalise(r(null, { error: reason }), def, 's', c.fn);
      expect(p).toMatchObject({ value: null, quality: 'bad', reason });
    }
    expect(c.counts['points_bad_total{device=ups-z1,reason=exception_2}']).toBe(1);
  });

  it('NaN and Infinity → bad nan, never a throw', () => {
    const c = counter();
    expect(normalise(r(NaN), def, 's', c.fn)).toMatchObject({ quality: 'bad', reason: 'nan', value: null });
    expect(normalise(r(Infinity), { ...def, scale: 2 }, 's', c.fn)).toMatchObject({ quality: 'bad', reason: 'nan' });
    expect(normalise(r(1e308), { ...def, scale: 1e10 }, 's', c.fn)).toMatchObject({ quality: 'bad', reason: 'nan' });
    expect(c.counts['points_bad_total{device=ups-z1,reason=nan}']).toBe(3);
  });

  it('range is checked on the scaled value, bounds inclusive', () => {
    const d = { ...def, scale: 0.1, range: { min: -20, max: 200 } };
    expect(normalise(r(2000), d, 's').quality).toBe('good');
    expect(normalise(r(2001), d, 's')).toMatchObject({ quality: 'bad', reason: 'out_of_range', value: null, raw: 2001 });
    expect(normalise(r(-201), d, 's').reason).toBe('out_of_range');
  });

  it('maps raw values to text; booleans map via 0/1 or true/false; unknown raw → uncertain unmapped', () => {
    const m = { ...def, map: { '0': 'online', '1': 'onbattery' } };
    expect(normalise(r(1), m, 's').value).toBe('onbattery');
    expect(normalise(r(true), m, 's').value).toBe('onbattery');
    expect(normalise(r(false), { ...def, map: { false: 'closed', true: 'open' } }, 's').value).toBe('closed');
    expect(normalise(r(7), m, 's')).toMatchObject({ value: '7', quality: 'uncertain', reason: 'unmapped' });
  });

  it('handles bigint: exact when safe, uncertain precision_loss beyond 2^53, scaled as number', () => {
    expect(normalise(r(42n), def, 's')).toMatchObject({ value: 42, quality: 'good' });
    const big = 2n ** 60n + 1n;
    expect(normalise(r(big), def, 's')).toMatchObject({ value: 2 ** 60, quality: 'uncertain', reason: 'precision_loss', raw: big });
    expect(normalise(r(-(2n ** 62n)), { ...def, scale: 0.5 }, 's').value).toBe(-(2 ** 61));
  });

  it('passes booleans and strings through', () => {
    expect(normalise(r(true), def, 's').value).toBe(true);
    expect(normalise(r('SN-123'), def, 's').value).toBe('SN-123');
  });

  it('honours source quality, and a null raw or a bad timestamp is a parse_error', () => {
    expect(normalise(r(5, { sourceQuality: 'uncertain' }), def, 's')).toMatchObject({ value: 5, quality: 'uncertain', reason: 'device_reported' });
    expect(normalise(r(5, { sourceQuality: 'bad' }), def, 's')).toMatchObject({ value: null, quality: 'bad' });
    expect(normalise(r(null), def, 's').reason).toBe('parse_error');
    expect(normalise(r(1, { ts: NaN }), def, 's').reason).toBe('parse_error');
  });

  it('normaliseAll looks definitions up by name; an unknown point is a config_error', () => {
    const defs = new Map([['ups.load', def]]);
    const out = normaliseAll([r(50), r(1, { point: 'nope' })], defs, 's');
    expect(out.map((p) => [p.name, p.quality, p.reason])).toEqual([['ups.load', 'good', undefined], ['nope', 'bad', 'config_error']]);
  });
});

describe('staleness', () => {
  it('limit is 3 × period, capped at 5 s for fire points', () => {
    expect(stalenessLimitMs(1000)).toBe(3000);
    expect(stalenessLimitMs(10000)).toBe(30000);
    expect(stalenessLimitMs(10000, { fire: true })).toBe(5000);
    expect(stalenessLimitMs(250, { fire: true })).toBe(750);
  });

  it('reports a point stale once on transition, with its last value, until a fresh sample arrives', () => {
    const t = new StalenessTracker();
    const p = normalise(r(25), def, 's');
    t.observe(p, 3000);
    expect(t.sweep(3999)).toEqual([]);
    const [s] = t.sweep(4001);
    expect(s).toMatchObject({ value: 25, quality: 'uncertain', reason: 'stale', ts: 1000 });
    expect(t.isStale('ups-z1', 'ups.load')).toBe(true);
    expect(t.sweep(9000)).toEqual([]);
    t.observe({ ...p, ts: 9000 }, 3000);
    expect(t.isStale('ups-z1', 'ups.load')).toBe(false);
    expect(t.sweep(9500)).toEqual([]);
    expect(t.sweep(12001)).toHaveLength(1);
  });

  it('does not count the agent\'s own stall in a point\'s age: stale after its limit of awake time; a silent device is still found', () => {
    const t = new StalenessTracker();
    const p = normalise(r(25), def, 's'); // sampled at 1000
    t.observe(p, 750);
    // the agent's loop was blocked 1.2 s (its tick ran that late): no driver could poll meanwhile
    t.stalled(1200);
    expect(t.sweep(2500)).toEqual([]); // 1500 ms old, of which 1200 the agent's own stall
    // a fresh sample after the stall: current again; a sample observed after the stall is judged on its own age
    t.observe({ ...p, ts: 2600 }, 750);
    expect(t.sweep(3300)).toEqual([]);
    expect(t.sweep(3351)).toHaveLength(1);
    // the device stays silent: 750 ms of awake time after the stall is enough
    const q = normalise(r(30), { ...def, name: 'battery.charge' }, 's'); // sampled at 1000
    const u = new StalenessTracker();
    u.observe(q, 750);
    u.stalled(400);
    expect(u.sweep(2100)).toEqual([]); // 1100 − 400 = 700 ms awake
    expect(u.sweep(2151)).toMatchObject([{ name: 'battery.charge', reason: 'stale' }]); // 751 ms awake
    expect(u.stalledMs).toBe(400);
  });

  it('a bad sample does not refresh a point; a late older sample is ignored', () => {
    const t = new StalenessTracker();
    t.observe(normalise(r(25), def, 's'), 1000);
    t.observe(normalise(r(null, { error: 'timeout', ts: 1900 }), def, 's'), 1000);
    t.observe(normalise(r(26, { ts: 500 }), def, 's'), 1000);
    expect(t.sweep(2001)).toMatchObject([{ value: 25, reason: 'stale' }]);
    t.forgetDevice('ups-z1');
    expect(t.size).toBe(0);
  });
});
