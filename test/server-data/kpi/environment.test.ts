/** ASHRAE envelopes and dew point (R09, R10), buffer tank (R21, R22) — SERVER.md's numbers. */
import { describe, expect, it } from 'vitest';
import { classify, classifySensor, dewPoint, dewPointPoint } from '../../../server/kpi/ashrae.js';
import { designEnergyKwh, layeredEnergyKwh, rideThroughAlarm, rideThroughMin, tankLoadKw } from '../../../server/kpi/tank.js';

describe('ASHRAE (R09, R10)', () => {
  it('dew point by Magnus; a bad RH makes the dew point bad', () => {
    expect(Math.abs(dewPoint(25, 50) - 13.86)).toBeLessThanOrEqual(0.05);
    expect(dewPointPoint({ value: 25, quality: 'good' }, { value: 50, quality: 'bad' })).toEqual({ value: null, quality: 'bad' });
    expect(dewPointPoint({ value: 25, quality: 'uncertain' }, { value: 50, quality: 'good' }).quality).toBe('uncertain');
  });

  it('classes inlet conditions against the envelopes', () => {
    const a = classify(28, 45);
    expect(Math.abs(a.dewPoint - 14.96)).toBeLessThanOrEqual(0.05);
    expect(a.text).toBe('A1 allowable, outside recommended (dry bulb)');
    const b = classify(24, 75);
    expect(Math.abs(b.dewPoint - 19.3)).toBeLessThanOrEqual(0.05);
    expect(b.text).toBe('outside A1 (dew point), A2 allowable');
    expect(classify(33, 30).text).toBe('outside A1 (dry bulb), A2 allowable');
    expect(classify(22, 45).text).toBe('recommended');
    expect(classifySensor('return', 38, 30)).toBeNull();
  });
});

describe('buffer tank (R21, R22)', () => {
  it('design energy 6,285 kWh and 35.9 min at 10.5 MW', () => {
    const e = designEnergyKwh(1000, 12, 18, 0.9);
    expect(Math.abs(e - 6285)).toBeLessThanOrEqual(10);
    expect(Math.abs(rideThroughMin(e, 10_500) - 35.9)).toBeLessThanOrEqual(0.5);
  });

  it('layered remaining 4,947 kWh and 28.3 min; alarm below 13 min', () => {
    const e = layeredEnergyKwh([12, 12, 14, 17].map((t) => ({ volumeM3: 250, tempC: t })), 18);
    expect(Math.abs(e - 4947)).toBeLessThanOrEqual(10);
    const t = rideThroughMin(e, 10_500);
    expect(Math.abs(t - 28.3)).toBeLessThanOrEqual(0.3);
    expect(rideThroughAlarm(t)).toBeNull();
    expect(rideThroughAlarm(12.9)).toBe('tank.ridethrough.low');
  });

  it('uses the measured loop load, else IT power', () => {
    expect(tankLoadKw({ flowLps: 100, supplyC: 12, returnC: 18 })).toEqual({ kw: 2514, source: 'loop' });
    expect(tankLoadKw({ flowLps: null, itKw: 10_000, otherKw: 500 })).toEqual({ kw: 10_500, source: 'it_power' });
  });
});
