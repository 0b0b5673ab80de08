/** PUE, categories, pPUE, breakdown, chiller COP, counter integrity — with SERVER.md's numbers. */
import { describe, expect, it } from 'vitest';
import { chillerEfficiency } from '../../../server/kpi/chiller.js';
import { counterDeltaBuckets, counterStep, sumDeltas } from '../../../server/kpi/counters.js';
import { MissingMetersError, partialPue, pue, pueBreakdown, pueCat0, pueFlags, pueOfIntervals, type MeterEnergy } from '../../../server/kpi/pue.js';

describe('PUE (R01–R04, R06)', () => {
  it('R01: 24 h at 1.000 MW IT and 0.400 MW overhead → 1.40, DCiE 71.4 %; ratio of sums', () => {
    const r = pue([{ role: 'utility_in', kwh: 33_600 }, { role: 'it_in', kwh: 24_000 }], '3');
    expect(r.pue).toBeCloseTo(1.4, 2);
    expect(r.dcie).toBeCloseTo(71.4, 1);
    expect(pueOfIntervals([{ eIt: 1000, eDc: 1500 }, { eIt: 500, eDc: 900 }])).toBeCloseTo(1.6, 3);
    expect(pueFlags(86_400_000, 1)).toEqual(['interim']);
    expect(pueFlags(365 * 86_400_000, 0.9375)).toEqual(['incomplete']);
  });

  it('R02: categories from where E_IT is metered; a missing meter is named', () => {
    const m: MeterEnergy[] = [{ role: 'utility_in', kwh: 33_600 }, { role: 'ups_out', kwh: 25_000 }, { role: 'pdu_out', kwh: 24_400 }, { role: 'it_in', kwh: 24_000 }];
    expect(pue(m, '1').pue).toBeCloseTo(1.344, 3);
    expect(pue(m, '2').pue).toBeCloseTo(1.377, 3);
    expect(pue(m, '3').pue).toBeCloseTo(1.4, 3);
    const noIt = m.filter((x) => x.role !== 'it_in');
    expect(() => pue(noIt, '3')).toThrow(MissingMetersError);
    try { pue(noIt, '3'); } catch (e) { expect((e as MissingMetersError).missing).toEqual(['it_in']); }
    expect(pueCat0(1450, 1020)).toBeCloseTo(1.42, 2);
  });

  it('R03: feeds + diesel fuel → E_DC 35,580 kWh, PUE 1.4825', () => {
    const r = pue([{ role: 'utility_in', kwh: 20_000 }, { role: 'utility_in', kwh: 13_600 }, { role: 'fuel_in', kwh: 200, fuel: 'diesel_l' }, { role: 'it_in', kwh: 24_000 }], '3');
    expect(r.eDc).toBeCloseTo(35_580, 6);
    expect(Math.abs(r.pue - 1.4825)).toBeLessThanOrEqual(0.0005);
  });

  it('R04: non-IT loads on the UPS bus are subtracted from Cat 1 IT energy', () => {
    const r = pue([{ role: 'utility_in', kwh: 33_600 }, { role: 'ups_out', kwh: 25_000 }, { role: 'non_it_on_ups', kwh: 600 }], '1');
    expect(r.eIt).toBe(24_400);
    expect(r.pue).toBeCloseTo(1.377, 3);
  });

  it('R06: pPUE of a zone and the overhead breakdown', () => {
    expect(partialPue(2000, 300)).toBeCloseTo(1.15, 3);
    const b = pueBreakdown({ it: 1000, cooling: 300, losses: 80, other: 20 });
    expect([b.cooling, b.losses, b.other]).toEqual([0.3, 0.08, 0.02]);
    expect(b.pue).toBeCloseTo(1.4, 10);
  });
});

describe('chiller plant (R08)', () => {
  it('100 L/s, 12 → 18 °C, 500 kW → 2,512 kW, 714 tons, COP 5.02, 0.700 kW/ton', () => {
    const r = chillerEfficiency(100, 12, 18, 500);
    expect(Math.abs(r.coolingKw - 2512)).toBeLessThanOrEqual(5);
    expect(Math.abs(r.tons - 714)).toBeLessThanOrEqual(2);
    expect(Math.abs(r.cop - 5.02)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(r.kwPerTon - 0.7)).toBeLessThanOrEqual(0.005);
  });
});

describe('counter integrity (R05, F7, F9)', () => {
  it('wrap, reset and normal steps', () => {
    expect(counterStep(4_294_967_000, 200)).toEqual({ delta: 496, kind: 'wrap' });
    expect(counterStep(9_000_000, 12)).toEqual({ delta: 12, kind: 'reset' });
    expect(counterStep(100, 150)).toEqual({ delta: 50, kind: 'normal' });
  });

  it('a day missing 90 min → coverage 93.75 % and the full delta', () => {
    const s: Array<{ ts: number; value: number }> = [];
    for (let t = 0; t <= 86_400_000; t += 60_000) if (t <= 36_000_000 || t >= 41_400_000) s.push({ ts: t, value: t / 1000 });
    const rows = counterDeltaBuckets(s, 0, 86_400_000, 900_000, { maxGapMs: 120_000 });
    const sum = sumDeltas(rows, 0, 86_400_000, 900_000);
    expect(sum.delta).toBeCloseTo(86_400, 6);
    expect(sum.coverage).toBeCloseTo(0.9375, 9);
    expect(pueFlags(86_400_000, sum.coverage)).toContain('incomplete');
  });

  it('splits a pair across buckets in proportion to time, and flags the reset in its bucket', () => {
    const rows = counterDeltaBuckets([{ ts: 800_000, value: 0 }, { ts: 1_000_000, value: 200 }, { ts: 1_100_000, value: 5 }], 0, 1_800_000, 900_000, { maxGapMs: 300_000 });
    expect(rows.map((r) => [r.delta, r.resets])).toEqual([[100, 0], [105, 1]]);
  });
});
