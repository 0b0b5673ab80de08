/**
 * The stratified buffer tank as a column of fully mixed layers (index 0 = bottom). Energy is
 * conserved exactly by the explicit upwind scheme: over a step the tank's heat content changes
 * by (heat brought by the return water − heat removed by the chillers + shell gain) × dt.
 *
 *   bottom  ← chiller outlet water enters (primary flow), loop supply water leaves (secondary flow)
 *   top     ← loop return water enters (secondary flow), chiller inlet water leaves (primary flow)
 *   between layers the net flow (secondary − primary) moves down (discharge) or up (charge).
 */
import { WATER_SPECIFIC_HEAT_KJ_PER_KG_K as C } from './config.js';

export interface TankFlows {
  /** Primary (chiller) flow, kg/s, entering the bottom at chillerOutletC and leaving from the top. */
  primaryKgPerS: number;
  chillerOutletC: number;
  /** Secondary (loop) flow, kg/s, leaving the bottom and returning to the top at returnC. */
  secondaryKgPerS: number;
  returnC: number;
  /** Exchange between adjacent layers, kg/s each way. */
  mixingKgPerS: number;
  /** Heat through the shell, kW, spread evenly over the layers. */
  gainKw: number;
}

/** Largest step (s) that keeps the explicit scheme stable: no layer takes in more than half its mass. */
export function maxStableStepS(layerMassKg: number, f: TankFlows): number {
  const through = Math.max(f.primaryKgPerS, f.secondaryKgPerS) + 2 * f.mixingKgPerS;
  return through > 0 ? (0.5 * layerMassKg) / through : Number.POSITIVE_INFINITY;
}

/** Advance the layer temperatures (°C, bottom first) by dtS seconds in place. */
export function stepTank(layers: number[], layerMassKg: number, f: TankFlows, dtS: number): void {
  const n = layers.length;
  const t = layers.slice();
  const dT = new Array<number>(n).fill(0);
  // Boundary inflows.
  dT[0] += f.primaryKgPerS * (f.chillerOutletC - t[0]);
  dT[n - 1] += f.secondaryKgPerS * (f.returnC - t[n - 1]);
  // Net internal flow: positive moves water downward (layer k+1 → k).
  const down = f.secondaryKgPerS - f.primaryKgPerS;
  for (let k = 0; k < n - 1; k++) {
    if (down > 0) dT[k] += down * (t[k + 1] - t[k]);
    else if (down < 0) dT[k + 1] += -down * (t[k] - t[k + 1]);
    if (f.mixingKgPerS > 0) {
      dT[k] += f.mixingKgPerS * (t[k + 1] - t[k]);
      dT[k + 1] += f.mixingKgPerS * (t[k] - t[k + 1]);
    }
  }
  const gainPerLayer = f.gainKw / n / C; // kg·K/s equivalent
  for (let k = 0; k < n; k++) layers[k] = t[k] + ((dT[k] + gainPerLayer) * dtS) / layerMassKg;
}

/** Mass-weighted mean temperature of equal layers, °C. */
export function meanTemperature(layers: readonly number[]): number {
  let s = 0;
  for (const x of layers) s += x;
  return s / layers.length;
}
