/** Chilled-water plant figures (SERVER.md R08; F17–F19). */

/** ρ·c_p of water, kJ/(m³·K) (≈ 4.19 MJ/(m³·K) in SERVER.md; 4.186 at 1000 kg/m³). */
export const RHO_CP_WATER = 4186;
export const KW_PER_TON = 3.51685;

/** F17: Q̇ [kW] = V̇ [L/s] / 1000 · ρ·c_p · (T_return − T_supply). */
export function coolingKw(flowLps: number, supplyC: number, returnC: number, rhoCp = RHO_CP_WATER): number {
  return (flowLps / 1000) * rhoCp * (returnC - supplyC);
}

export function tons(kw: number): number {
  return kw / KW_PER_TON;
}

/** F19: COP = Q̇ / P_el and kW/ton = P_el / tons. */
export function chillerEfficiency(flowLps: number, supplyC: number, returnC: number, electricKw: number): { coolingKw: number; tons: number; cop: number; kwPerTon: number } {
  const q = coolingKw(flowLps, supplyC, returnC);
  const t = tons(q);
  return { coolingKw: q, tons: t, cop: q / electricKw, kwPerTon: electricKw / t };
}
