/**
 * Which stored points feed which figure, per site. Data, not code: a deployment passes its own;
 * SIM1 matches the default simulated site (site-names.md, agent/profiles/*.yaml).
 */
import type { MeterRole } from './pue.js';
import type { LoadGroup } from './ups.js';

export interface MeterRef {
  device: string;
  /** A cumulative energy counter in Wh (or fuel units for fuel_in). */
  point: string;
  role: MeterRole;
  zone?: string;
  fuel?: 'diesel_l' | 'gas_m3';
}

export interface SiteKpiConfig {
  site: string;
  meters: MeterRef[];
  /** pPUE per zone: the zone's IT meter and the meters of its infrastructure overhead. */
  zones?: Array<{ id: string; it: MeterRef; infra: MeterRef[] }>;
  ups?: {
    units: Array<{
      device: string; zone: string; capacityKw: number; loadPoint: string;
      /** Runtime cross-check (R15): battery energy model against the UPS-reported battery.runtime. */
      runtime?: { nominalKwh: number; soh: number; efficiency: number; requiredS: number };
    }>;
    /** Dual-corded load groups; default: one group per zone pair, sized from the live mean zone load. */
    groups?: LoadGroup[];
    pollMs: number;
    deadtimeMs: number;
    uMax: number;
  };
  feeds?: {
    device: string;
    sourcePoint: string;
    feeds: Array<{ id: string; availablePoint: string; powerPoint?: string; energyPoint?: string; capacityKw: number }>;
    /** Meter whose 15-min energy gives the site's peak demand (R25). */
    demand: MeterRef;
    margin: number;
    failAfterMs: number;
  };
  tank?: {
    device: string;
    layerPoints: string[];
    volumeM3: number;
    limitC: number;
    /** Loop flows and temperatures, if measured (load = Σ flow·ρc·ΔT); else `itPower` (W) is the load. */
    loops?: Array<{ flowPoint: string; flowUnit: 'L/s' | 'm3/h'; supplyPoint: string; returnPoint: string }>;
    itPower?: { device: string; point: string };
    restartMin: number;
    marginMin: number;
  };
  chiller?: { device: string; flowPoint: string; flowUnit: 'L/s' | 'm3/h'; supplyPoint: string; returnPoint: string; powerPoint: string; powerUnit: 'W' | 'kW' };
  /** Equipment class of the IT (ASHRAE), default A1. */
  ashraeClass?: 'A1' | 'A2' | 'A3' | 'A4';
  /** A/B circuit rating per rack power strip side, A. */
  circuitRatingA?: number;
}

export const SIM1: SiteKpiConfig = {
  site: 'sim1',
  meters: [
    { device: 'meters-1', point: 'meter.intake.energy', role: 'utility_in' },
    { device: 'meters-1', point: 'meter.it.energy', role: 'ups_out' },
    { device: 'meters-1', point: 'meter.cooling.energy', role: 'cooling' },
    { device: 'meters-1', point: 'meter.other.energy', role: 'other' },
  ],
  ups: {
    units: [1, 2, 3, 4].map((n) => ({ device: `ups-z${n}`, zone: `z${n}`, capacityKw: 1200, loadPoint: 'output.realpower' })),
    pollMs: 5000,
    deadtimeMs: 15_000,
    uMax: 1,
  },
  feeds: {
    device: 'ats-1',
    sourcePoint: 'ats.source',
    feeds: [
      { id: 'A', availablePoint: 'feed.a.available', powerPoint: 'feed.a.realpower', energyPoint: 'feed.a.energy', capacityKw: 40_000 },
      { id: 'B', availablePoint: 'feed.b.available', powerPoint: 'feed.b.realpower', energyPoint: 'feed.b.energy', capacityKw: 40_000 },
    ],
    demand: { device: 'meters-1', point: 'meter.intake.energy', role: 'utility_in' },
    margin: 0.1,
    failAfterMs: 10_000,
  },
  tank: {
    device: 'chiller-plant',
    layerPoints: [1, 2, 3, 4].map((k) => `tank.layer.${k}.temperature`),
    volumeM3: 500,
    limitC: 18,
    loops: ['a', 'b'].map((l) => ({ flowPoint: `chw.${l}.flow`, flowUnit: 'm3/h' as const, supplyPoint: `chw.${l}.supply.temperature`, returnPoint: `chw.${l}.return.temperature` })),
    itPower: { device: 'meters-1', point: 'meter.it.realpower' },
    restartMin: 8,
    marginMin: 5,
  },
  chiller: { device: 'chiller-plant', flowPoint: 'chiller.1.flow', flowUnit: 'm3/h', supplyPoint: 'chiller.1.supply.temperature', returnPoint: 'chiller.1.return.temperature', powerPoint: 'chiller.1.realpower', powerUnit: 'kW' },
  ashraeClass: 'A1',
  circuitRatingA: 32,
};
