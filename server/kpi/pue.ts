/**
 * PUE and its derivatives (SERVER.md R01–R04, R06; F1–F6, F10–F12). PUE is an energy ratio over
 * a stated period; several intervals aggregate as a ratio of sums, never a mean of ratios.
 */
export const METER_ROLES = ['utility_in', 'utility_export', 'gen_out', 'fuel_in', 'ups_out', 'pdu_out', 'it_in', 'cooling', 'lighting', 'other', 'non_it_on_ups'] as const;
export type MeterRole = (typeof METER_ROLES)[number];

/** EN 50600-4 conversion factors, kWh per unit of fuel (F5). */
export const FUEL_KWH: Record<string, number> = { diesel_l: 9.9, gas_m3: 10.5 };

export type PueCategory = '0' | '1' | '2' | '3';
/** Which meter role carries E_IT for each category (R02). */
export const CATEGORY_IT_ROLE: Record<Exclude<PueCategory, '0'>, MeterRole> = { '1': 'ups_out', '2': 'pdu_out', '3': 'it_in' };

export class MissingMetersError extends Error {
  constructor(readonly category: PueCategory, readonly missing: MeterRole[]) {
    super(`PUE category ${category} needs meters with role ${missing.join(', ')}; configure them or ask for another category`);
    this.name = 'MissingMetersError';
  }
}

export interface MeterEnergy {
  role: MeterRole;
  /** kWh over the period (or fuel units for fuel_in). */
  kwh: number;
  fuel?: keyof typeof FUEL_KWH;
}

/** F5: E_DC = Σ import − export + fuel × k + generator output (fuel and gen_out never both for one generator). */
export function energyDc(meters: MeterEnergy[]): number {
  let e = 0;
  for (const m of meters) {
    if (m.role === 'utility_in' || m.role === 'gen_out') e += m.kwh;
    else if (m.role === 'utility_export') e -= m.kwh;
    else if (m.role === 'fuel_in') e += m.kwh * FUEL_KWH[m.fuel ?? 'diesel_l']!;
  }
  return e;
}

/** F6: E_IT for a category; Cat 1 subtracts non-IT loads metered on the UPS bus (R04). */
export function energyIt(meters: MeterEnergy[], category: Exclude<PueCategory, '0'>): number {
  const role = CATEGORY_IT_ROLE[category];
  const have = meters.filter((m) => m.role === role);
  if (!have.length) throw new MissingMetersError(category, [role]);
  let e = have.reduce((a, m) => a + m.kwh, 0);
  if (category === '1') e -= meters.filter((m) => m.role === 'non_it_on_ups').reduce((a, m) => a + m.kwh, 0);
  return e;
}

export interface PueResult {
  pue: number;
  dcie: number;
  eDc: number;
  eIt: number;
  category: PueCategory;
}

export function pue(meters: MeterEnergy[], category: Exclude<PueCategory, '0'>): PueResult {
  if (!meters.some((m) => m.role === 'utility_in')) throw new MissingMetersError(category, ['utility_in']);
  const eDc = energyDc(meters);
  const eIt = energyIt(meters, category);
  const p = eDc / eIt;
  return { pue: p, dcie: 100 / p, eDc, eIt, category };
}

/** F2: ΣE_DC / ΣE_IT over intervals. */
export function pueOfIntervals(intervals: Array<{ eDc: number; eIt: number }>): number {
  const dc = intervals.reduce((a, i) => a + i.eDc, 0);
  const it = intervals.reduce((a, i) => a + i.eIt, 0);
  return dc / it;
}

/** F4 (Green Grid Cat 0): 12-month peak 15-min demand at utility_in over that at ups_out. */
export function pueCat0(peakDcKw: number, peakItKw: number): number {
  return peakDcKw / peakItKw;
}

/** F11: pPUE of a zone = (E_IT,z + E_infra,z) / E_IT,z. */
export function partialPue(eIt: number, eInfra: number): number {
  return (eIt + eInfra) / eIt;
}

/** F12: PUE = 1 + cooling/IT + power-path losses/IT + other/IT. */
export function pueBreakdown(e: { it: number; cooling: number; losses: number; other: number }): { cooling: number; losses: number; other: number; pue: number } {
  const cooling = e.cooling / e.it;
  const losses = e.losses / e.it;
  const other = e.other / e.it;
  return { cooling, losses, other, pue: 1 + cooling + losses + other };
}

/** R01/R05 flags: interim below 12 months, incomplete below 95 % coverage. */
export function pueFlags(periodMs: number, coverage: number): string[] {
  const f: string[] = [];
  if (periodMs < 365 * 86_400_000) f.push('interim');
  if (coverage < 0.95) f.push('incomplete');
  return f;
}
