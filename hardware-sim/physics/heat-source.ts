/**
 * A thermal-runaway heat source inside one battery rack (pure). Phases:
 *
 * - `heating`: abuse heating (the off-gas phase) q = q0 + ramp·t, capped at maxHeatW. The cell
 *   vents electrolyte vapour from the start, so the rack off-gas detector alarms before any
 *   temperature threshold (R15: 6.4 min of warning).
 * - If the charge path is isolated (DC breaker open, upstream breaker open or charge inhibited)
 *   while the rack is below `pointOfNoReturnC`, the source `decays` (τ = decayTauS) and the runaway
 *   is avoided (R15: stopping the charge at the warning avoided runaway). Re-energised, it heats again.
 * - At `runawayOnsetC` the cell goes into `runaway`: runawayW until the source's energy is spent.
 * - `spent`: all of `energyJ` has been released; q = 0.
 *
 * Suppression never switches the chemistry off; agents only scale q (factors) while they act.
 * The `fast` profile is an internal short: its point of no return is 0 °C, so isolation never
 * stops it (only cooling does); the `slow` profile is charge-driven abuse that isolation stops.
 */
export interface HeatSourceParams {
  q0W: number;
  rampWPerS: number;
  maxHeatW: number;
  pointOfNoReturnC: number;
  decayTauS: number;
  runawayOnsetC: number;
  runawayW: number;
  /** Total heat the source can release, J. */
  energyJ: number;
}

export type HeatSourcePhase = 'heating' | 'decaying' | 'runaway' | 'spent';

export const SOURCE_PROFILES: Record<'slow' | 'fast', HeatSourceParams> = {
  slow: { q0W: 200, rampWPerS: 0.5, maxHeatW: 4000, pointOfNoReturnC: 66, decayTauS: 180, runawayOnsetC: 90, runawayW: 20000, energyJ: 40e6 },
  fast: { q0W: 2000, rampWPerS: 20, maxHeatW: 20000, pointOfNoReturnC: 0, decayTauS: 180, runawayOnsetC: 95, runawayW: 30000, energyJ: 40e6 },
};

export interface HeatSourceState extends HeatSourceParams {
  phase: HeatSourcePhase;
  startedAtS: number;
  /** Heat released now before suppression factors, W. */
  heatW: number;
  /** Heat released so far, J. */
  releasedJ: number;
  runawayAtS: number | null;
}

export class HeatSource {
  phase: HeatSourcePhase = 'heating';
  heatW: number;
  releasedJ = 0;
  runawayAtS: number | null = null;
  private heatingOriginS: number;

  constructor(readonly params: HeatSourceParams, readonly startedAtS: number) {
    this.heatW = params.q0W;
    this.heatingOriginS = startedAtS;
  }

  /** Venting electrolyte vapour (off-gas detector input). */
  get venting(): boolean { return this.phase !== 'spent'; }

  /** Advance by dt to `now`; `isolated` = no charge current path, `temperatureC` = rack hot spot. */
  step(dt: number, now: number, isolated: boolean, temperatureC: number): void {
    const p = this.params;
    if (this.phase === 'heating' || this.phase === 'decaying') {
      if (temperatureC >= p.runawayOnsetC) {
        this.phase = 'runaway';
        this.runawayAtS = now;
      } else if (isolated && temperatureC < p.pointOfNoReturnC) {
        this.phase = 'decaying';
      } else if (this.phase === 'decaying' && !isolated) {
        this.phase = 'heating';
        // continue the ramp from the present heat
        this.heatingOriginS = now - Math.max(0, this.heatW - p.q0W) / Math.max(p.rampWPerS, 1e-9);
      }
    }
    switch (this.phase) {
      case 'heating': this.heatW = Math.min(p.maxHeatW, p.q0W + p.rampWPerS * (now - this.heatingOriginS)); break;
      case 'decaying':
        this.heatW *= Math.exp(-dt / p.decayTauS);
        if (this.heatW < 1) { this.heatW = 0; this.phase = 'spent'; }
        break;
      case 'runaway': this.heatW = p.runawayW; break;
      case 'spent': this.heatW = 0; break;
    }
    this.releasedJ += this.heatW * dt;
    if (this.releasedJ >= p.energyJ && this.phase !== 'spent') { this.phase = 'spent'; this.heatW = 0; }
  }

  state(): HeatSourceState {
    return { ...this.params, phase: this.phase, startedAtS: this.startedAtS, heatW: this.heatW, releasedJ: this.releasedJ, runawayAtS: this.runawayAtS };
  }
}
