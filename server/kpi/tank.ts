/** Chilled-water buffer tank (SERVER.md R21, R22; F20–F22). ρ·c_p in kJ/(m³·K). */

export const RHO_CP_TANK = 4190;

/** F20: design usable energy [kWh] = ρ·c_p·V·(T_lim − T_tank)·η / 3600. */
export function designEnergyKwh(volumeM3: number, tankC: number, limitC: number, eta = 0.9, rhoCp = RHO_CP_TANK): number {
  return (rhoCp * volumeM3 * Math.max(0, limitC - tankC) * eta) / 3600;
}

/** F21: layered remaining energy [kWh] = ρ·c_p·Σ V_k·max(0, T_lim − T_k) / 3600 (η = 1 with ≥ 4 layers). */
export function layeredEnergyKwh(layers: Array<{ volumeM3: number; tempC: number }>, limitC: number, rhoCp = RHO_CP_TANK): number {
  return (rhoCp * layers.reduce((a, l) => a + l.volumeM3 * Math.max(0, limitC - l.tempC), 0)) / 3600;
}

/** F22: ride-through [min] = E / Q̇_load. */
export function rideThroughMin(energyKwh: number, loadKw: number): number {
  return loadKw > 0 ? (energyKwh / loadKw) * 60 : Number.POSITIVE_INFINITY;
}

/** Q̇_load: the measured loop load (flow × ΔT) when available, else IT power plus other heat. */
export function tankLoadKw(m: { flowLps?: number | null; supplyC?: number | null; returnC?: number | null; itKw?: number | null; otherKw?: number | null }, rhoCp = RHO_CP_TANK): { kw: number; source: 'loop' | 'it_power' } | null {
  if (m.flowLps != null && m.supplyC != null && m.returnC != null && m.flowLps > 0) return { kw: (m.flowLps / 1000) * rhoCp * (m.returnC - m.supplyC), source: 'loop' };
  if (m.itKw != null) return { kw: m.itKw + (m.otherKw ?? 0), source: 'it_power' };
  return null;
}

/** R22: alarm `tank.ridethrough.low` when remaining < chiller restart + margin (default 8 + 5 min). */
export function rideThroughAlarm(remainingMin: number, restartMin = 8, marginMin = 5): string | null {
  return remainingMin < restartMin + marginMin ? 'tank.ridethrough.low' : null;
}
