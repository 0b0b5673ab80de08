/**
 * ASHRAE TC 9.9 envelopes at the IT inlet (SERVER.md R09) and dew point by Magnus (R10, F24).
 */
import { worstQuality, type Quality } from '../../lib/points.js';

export const MAGNUS_A = 17.625;
export const MAGNUS_B = 243.04;

/** F24: γ = ln(RH/100) + a·T/(b+T); T_d = b·γ/(a − γ). */
export function dewPoint(tempC: number, rhPct: number): number {
  const g = Math.log(rhPct / 100) + (MAGNUS_A * tempC) / (MAGNUS_B + tempC);
  return (MAGNUS_B * g) / (MAGNUS_A - g);
}

/** Dew point as a derived point: the worst quality of its two inputs (R10, R42). */
export function dewPointPoint(t: { value: number | null; quality: Quality }, rh: { value: number | null; quality: Quality }): { value: number | null; quality: Quality } {
  const q = worstQuality(t.quality, rh.quality);
  if (t.value === null || rh.value === null || q === 'bad') return { value: null, quality: 'bad' };
  return { value: dewPoint(t.value, rh.value), quality: q };
}

export interface Envelope {
  name: string;
  tMin: number;
  tMax: number;
  dpMin: number;
  dpMax: number;
  rhMin: number;
  rhMax: number;
}

/** 2021 reference card (SERVER.md R09). */
export const ENVELOPES: Envelope[] = [
  { name: 'recommended', tMin: 18, tMax: 27, dpMin: -9, dpMax: 15, rhMin: 0, rhMax: 70 },
  { name: 'A1', tMin: 15, tMax: 32, dpMin: -12, dpMax: 17, rhMin: 8, rhMax: 80 },
  { name: 'A2', tMin: 10, tMax: 35, dpMin: -12, dpMax: 21, rhMin: 8, rhMax: 80 },
  { name: 'A3', tMin: 5, tMax: 40, dpMin: -12, dpMax: 24, rhMin: 8, rhMax: 85 },
  { name: 'A4', tMin: 5, tMax: 45, dpMin: -12, dpMax: 24, rhMin: 8, rhMax: 90 },
];

/** Which limits of an envelope a condition breaks: 'dry bulb', 'dew point', 'humidity'. */
export function breaches(env: Envelope, t: number, rh: number, dp: number): string[] {
  const out: string[] = [];
  if (t < env.tMin || t > env.tMax) out.push('dry bulb');
  if (dp < env.dpMin || dp > env.dpMax) out.push('dew point');
  if (rh < env.rhMin || rh > env.rhMax) out.push('humidity');
  return out;
}

export interface EnvelopeClass {
  dewPoint: number;
  recommended: boolean;
  recommendedBreaches: string[];
  /** The tightest allowable class the condition meets (A1…A4), or 'outside'. */
  allowable: 'A1' | 'A2' | 'A3' | 'A4' | 'outside';
  /** Breaches of the site's equipment class (empty = compliant). */
  classBreaches: string[];
  text: string;
}

/** Classify an inlet condition against the site's equipment class (default A1). */
export function classify(tempC: number, rhPct: number, siteClass: 'A1' | 'A2' | 'A3' | 'A4' = 'A1'): EnvelopeClass {
  const dp = dewPoint(tempC, rhPct);
  const rec = breaches(ENVELOPES[0]!, tempC, rhPct, dp);
  let allowable: EnvelopeClass['allowable'] = 'outside';
  for (const e of ENVELOPES.slice(1)) {
    if (!breaches(e, tempC, rhPct, dp).length) { allowable = e.name as EnvelopeClass['allowable']; break; }
  }
  const site = ENVELOPES.find((e) => e.name === siteClass)!;
  const classBreaches = breaches(site, tempC, rhPct, dp);
  const text = classBreaches.length
    ? `outside ${siteClass} (${classBreaches.join(', ')}), ${allowable === 'outside' ? 'outside every class' : `${allowable} allowable`}`
    : rec.length ? `${siteClass} allowable, outside recommended (${rec.join(', ')})` : 'recommended';
  return { dewPoint: dp, recommended: rec.length === 0, recommendedBreaches: rec, allowable, classBreaches, text };
}

/** Only sensors at the IT inlet count towards compliance (R09); other positions are not classed. */
export function classifySensor(position: string, tempC: number, rhPct: number, siteClass: 'A1' | 'A2' | 'A3' | 'A4' = 'A1'): EnvelopeClass | null {
  return position.startsWith('inlet') ? classify(tempC, rhPct, siteClass) : null;
}
