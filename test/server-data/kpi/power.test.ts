/** UPS (R12–R16), battery rooms (R17–R19), feeds (R23–R27) — SERVER.md's numbers. */
import { describe, expect, it } from 'vitest';
import { cameraBmsDisagreement, fireTimeline, freshness, rackMax, spreadWarning, stats, thermalRise } from '../../../server/kpi/bms.js';
import { abPair, availability, domino, falseIntervals, headroom, peakDemandKw, redundancyLost, threePhasePowerW, transferEvents } from '../../../server/kpi/feeds.js';
import { nMinusOne, parseStatus, runtimeCheck, runtimeEnergy, runtimeTwoPoint, statusFromBits, upsEvents, upsLiveness } from '../../../server/kpi/ups.js';

const H10 = Date.UTC(2026, 10, 20, 10, 0, 0);

describe('UPS (R12–R16)', () => {
  it('R12: status flags and bitmask', () => {
    expect(parseStatus('OB DISCHRG LB')).toEqual({ flags: ['OB', 'DISCHRG', 'LB'], mask: 592, unknown: [] });
    expect(parseStatus('OL CHRG').mask).toBe(264);
    expect(parseStatus('OL XYZ')).toEqual({ flags: ['OL'], mask: 8, unknown: ['XYZ'] });
    expect(statusFromBits({ 'ups.status.onbattery': true, 'ups.status.lowbattery': true })).toBe('OB LB DISCHRG');
  });

  it('R13: ONBATT then ONLINE with time on battery; an unknown token raises one event', () => {
    const ev = upsEvents([{ ts: H10 - 1000, status: 'OL' }, { ts: H10, status: 'OB DISCHRG' }, { ts: H10 + 200_000, status: 'OL CHRG XYZ' }, { ts: H10 + 201_000, status: 'OL XYZ' }]);
    expect(ev).toEqual([
      { type: 'ONBATT', ts: H10 },
      { type: 'ups.status.unknown_token', ts: H10 + 200_000, token: 'XYZ' },
      { type: 'ONLINE', ts: H10 + 200_000, onBatterySeconds: 200 },
    ]);
  });

  it('R14: stale after one poll, dead after DEADTIME; dead on battery is critical low battery', () => {
    expect(upsLiveness(0, 'OB', 4_999, 5000).state).toBe('ok');
    expect(upsLiveness(0, 'OB', 5_000, 5000).state).toBe('stale');
    expect(upsLiveness(0, 'OB', 15_000, 5000)).toEqual({ state: 'dead', assumed: 'lowbattery', critical: true });
    expect(upsLiveness(0, 'OL', 15_000, 5000)).toEqual({ state: 'dead', assumed: 'unknown', critical: false });
  });

  it('R15: two-point model 379 s, energy model 12.2 min, insufficient at SoC 70 %', () => {
    expect(Math.abs(runtimeTwoPoint({ lowLoadPct: 50, lowRuntimeS: 720, highLoadPct: 100, highRuntimeS: 240 }, 75) - 379)).toBeLessThanOrEqual(2);
    const t = runtimeEnergy({ nominalKwh: 500, soc: 0.9, soh: 0.95, efficiency: 0.95 }, 2000);
    expect(Math.abs(t / 60 - 12.2)).toBeLessThanOrEqual(0.1);
    expect(runtimeCheck(t, t, 600).alarms).toEqual([]);
    const low = runtimeEnergy({ nominalKwh: 500, soc: 0.7, soh: 0.95, efficiency: 0.95 }, 2000);
    expect(Math.abs(low / 60 - 9.5)).toBeLessThanOrEqual(0.1);
    expect(runtimeCheck(low, low, 600).alarms).toEqual(['runtime.insufficient']);
    expect(runtimeCheck(1000, 600, 300).alarms).toEqual(['runtime.mismatch']);
  });

  it('R16: 4 zones × 1,200 kW, 6 pair groups: 600 kW → N-1 met without margin; 660 kW → not met', () => {
    const zones = ['z1', 'z2', 'z3', 'z4'].map((id) => ({ id, capacityKw: 1200 }));
    const groups = (kw: number) => {
      const g = [];
      for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) g.push({ id: `g${i + 1}${j + 1}`, loadKw: kw, feeds: [{ zone: `z${i + 1}`, share: 0.5 }, { zone: `z${j + 1}`, share: 0.5 }] });
      return g;
    };
    const a = nMinusOne(zones, groups(600));
    expect(a.normal).toEqual({ z1: 900, z2: 900, z3: 900, z4: 900 });
    expect(a.cases[0]!.loads).toEqual({ z2: 1200, z3: 1200, z4: 1200 });
    expect(a.status).toBe('warning');
    const b = nMinusOne(zones, groups(660));
    expect(b.cases[0]!.loads.z2).toBeCloseTo(1320, 9);
    expect(b.status).toBe('critical');
  });
});

describe('battery rooms (R17–R19)', () => {
  it('R17: module statistics, spread warning, freshness, rack max ignores a bad module', () => {
    const s = stats([31, 31.5, 32, 38])!;
    expect([s.max, s.spread]).toEqual([38, 7]);
    expect(spreadWarning(s)).toBe('cell.spread');
    expect(freshness(9_999).quality).toBe('good');
    expect(freshness(10_000).quality).toBe('uncertain');
    expect(freshness(30_000)).toEqual({ quality: 'bad', alarm: 'bms.stale' });
    expect(rackMax([{ id: 'M1', max: 33, ageMs: 1000 }, { id: 'M2', max: 50, ageMs: 31_000 }])).toEqual({ max: 33, excluded: ['M2'], quality: 'uncertain' });
  });

  it('R18: 35 → 40 °C in 4 min gives thermal.rise ≥ 16 min before 60 °C', () => {
    const samples = [];
    for (let t = 0; t <= 240_000; t += 5000) samples.push({ ts: H10 + t, value: 35 + (t / 240_000) * 5 });
    const w = thermalRise(samples);
    expect(w).toHaveLength(1);
    expect(w[0]!.slopeKPerMin).toBeCloseTo(1.25, 6);
    expect(w[0]!.minutesTo60).toBeGreaterThanOrEqual(16);
    const flat = samples.map((s) => ({ ...s, value: 35 + (s.ts - H10) / 240_000 * 2 }));
    expect(thermalRise(flat)).toEqual([]);
  });

  it('R18: stage 1 recorded, stage 2 not reported while above 68 °C for 30 s → critical', () => {
    const temps = [];
    for (let t = 0; t <= 120_000; t += 5000) temps.push({ ts: H10 + t, value: 60 + t / 10_000 });
    const r = fireTimeline([{ ts: H10, kind: 'fire.transition', data: { stage: 1 } }], temps);
    expect(r.stages).toEqual([{ stage: 1, ts: H10 }]);
    expect(r.alarms).toEqual([{ kind: 'fire.stage.expected_not_reported', stage: 2, ts: H10 + 110_000 }]);
    const ok = fireTimeline([{ ts: H10, kind: 'fire.transition', data: { stage: 1 } }, { ts: H10 + 85_000, kind: 'fire.transition', data: { stage: 2 } }], temps);
    expect(ok.alarms).toEqual([]);
  });

  it('R19: camera 58 °C vs BMS 41 °C for 30 s → disagreement; 8 K → none', () => {
    const series = (cam: number) => Array.from({ length: 7 }, (_, i) => ({ ts: H10 + i * 5000, camera: cam, bms: 41 }));
    expect(cameraBmsDisagreement(series(58))).toEqual({ ts: H10 + 30_000, deltaK: 17 });
    expect(cameraBmsDisagreement(series(49))).toBeNull();
  });
});

describe('feeds (R23–R27)', () => {
  it('R23: 3-phase power, availability 99.900 %, a 2-s sag is 2 s unavailable', () => {
    expect(Math.abs(threePhasePowerW(22_900, 1000, 0.95) / 1e6 - 37.68)).toBeLessThanOrEqual(0.05);
    const month = 30 * 86_400_000;
    expect(availability([{ start: 0, end: 43.2 * 60_000 }], 0, month)).toBeCloseTo(0.999, 6);
    const sag = falseIntervals([{ ts: 0, ok: true }, { ts: 10_000, ok: false }, { ts: 12_000, ok: true }], 0, 60_000);
    expect(sag).toEqual([{ start: 10_000, end: 12_000 }]);
  });

  it('R24: 250 ms transfer, linked re-transfer, failed transfer after 10 s', () => {
    const s = [
      { ts: H10 - 1000, source: 'A', available: { A: true, B: true } },
      { ts: H10, source: 'A', available: { A: false, B: true } },
      { ts: H10 + 250, source: 'B', available: { A: false, B: true } },
      { ts: H10 + 1_800_000 - 1000, source: 'B', available: { A: true, B: true } },
      { ts: H10 + 1_800_000, source: 'A', available: { A: true, B: true } },
    ];
    const r = transferEvents(s);
    expect(r.events.map((e) => [e.from, e.to, e.durationMs, e.cause, e.linkedTo])).toEqual([
      ['A', 'B', 250, 'loss of feed A', undefined], ['B', 'A', 1000, 'retransfer', 1],
    ]);
    const stuck = transferEvents([{ ts: H10, source: 'A', available: { A: false, B: true } }, { ts: H10 + 5000, source: 'none', available: { A: false, B: true } }, { ts: H10 + 10_001, source: 'none', available: { A: false, B: true } }]);
    expect(stuck.failures).toEqual([{ kind: 'transfer.failed', ts: H10 + 10_001, source: 'A' }]);
  });

  it('R25: headroom of the reserve feed', () => {
    const peak = peakDemandKw([8000, 9125, 7000]);
    expect(peak).toBe(36_500);
    const w = headroom([{ id: 'B', capacityKw: 40_000 }], peak);
    expect([w.feeds[0]!.headroomKw, w.feeds[0]!.headroomPct, w.status]).toEqual([3500, 8.75, 'warning']);
    expect(headroom([{ id: 'B', capacityKw: 40_000 }], 35_000).status).toBe('ok');
    expect(headroom([{ id: 'B', capacityKw: 40_000 }], 41_000).status).toBe('critical');
  });

  it('R26: 42 min without redundancy', () => {
    const r = redundancyLost([{ ts: 0, available: { A: true, B: true } }, { ts: 60_000, available: { A: true, B: false } }, { ts: 60_000 + 42 * 60_000, available: { A: true, B: true } }], 0, 3_600_000);
    expect([r.totalMs, r.lostNow]).toEqual([42 * 60_000, false]);
  });

  it('R27: A/B pair and domino checks', () => {
    expect(abPair(14, 13, 32)).toMatchObject({ sum: 27, status: 'warning', alarm: 'failover.overload' });
    expect(abPair(12, 12, 32).status).toBe('ok');
    expect(domino(24, [5, 5, 5, 5], 5)).toEqual({ totalA: 25, status: 'warning' });
  });
});
