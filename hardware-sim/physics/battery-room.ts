/**
 * One battery room BR{n} (UPS zone z{n}): its racks and the room-level fire I/O — upstream DC
 * breaker, charge inhibit, drain pump and underground tank, water supply, gas release and store,
 * HVAC, dampers, pre-discharge signals, abort / manual release / lock-off inputs, room smoke,
 * flammable gas (LFL) and CO. Pure and steppable.
 *
 * The simulated releasing panel is independent of the agent (FS-14): a manual release releases
 * gas even with the abort held; the abort held blocks the agent's release coil; a lock-off makes
 * the gas system inoperative (no release at all). With `panel.enabled` the room also has a
 * listed releasing panel (releasing-panel.ts) with its own detectors and countdowns, and the
 * agent's release coils are its request inputs.
 */
import type { SiteConfig } from '../config.js';
import { Actuator } from './actuator.js';
import { Rack, type RackEnv } from './rack.js';
import { ReleasingPanel } from './releasing-panel.js';

/** Spray water per rack while flowing, m³/s (100 L/min). */
const SPRAY_FLOW_M3_PER_S = 100 / 60000;
const TANK_CAPACITY_M3 = 30;
/** Gas store drains over this many seconds once released. */
const GAS_DISCHARGE_S = 10;
/** Below this store pressure a release delivers nothing. */
const GAS_MIN_PCT = 50;

export class BatteryRoom {
  readonly racks: Rack[] = [];
  readonly upstream: Actuator;
  readonly chargeInhibit: Actuator;
  readonly pump: Actuator;
  readonly gas: Actuator;
  readonly hvac: Actuator;
  readonly dampers: Actuator;
  readonly predischarge: Actuator;
  waterSupplyOk = true;
  gasStorePct = 100;
  gasReleasedAtS: number | null = null;
  tankLevelPct = 5;
  /** Water on the room floor while the drain pump is off, m³ (truth only). */
  floorWaterM3 = 0;
  lflPct = 0;
  coPpm = 0;
  abort = false;
  abortCircuitOk = true;
  manualRelease = false;
  lockoff = false;
  smokeForced: boolean | null = null;
  tankLevelForcedPct: number | null = null;
  private gasAtReleasePct = 0;
  private manualOperated = false;
  /** The releasing panel, when the site wires releases through one (FS-14). */
  readonly panel: ReleasingPanel | null;

  constructor(readonly id: string, readonly zone: string, readonly index: number, private readonly cfg: SiteConfig) {
    const a = cfg.actuators;
    this.upstream = new Actuator(`${id}.upstream`, a.upstreamBreakerS);
    this.chargeInhibit = new Actuator(`${id}.charge-inhibit`, a.chargeInhibitS);
    this.pump = new Actuator(`${id}.pump`, a.pumpS);
    this.gas = new Actuator(`${id}.gas`, a.gasS);
    this.hvac = new Actuator(`${id}.hvac`, a.hvacS);
    this.dampers = new Actuator(`${id}.dampers`, a.dampersS);
    this.predischarge = new Actuator(`${id}.predischarge`, 0);
    for (let r = 1; r <= cfg.racksPerRoom; r++) {
      const rack = new Rack(`${id}-R${String(r).padStart(2, '0')}`, id, zone, r, cfg);
      rack.spray.enabled = () => this.waterSupplyOk;
      this.racks.push(rack);
    }
    // The panel blocks the agent's release while the abort is held or the system is locked off.
    this.gas.enabled = () => !this.lockoff && (!this.abort || this.manualRelease);
    this.panel = cfg.panel.enabled ? new ReleasingPanel(cfg.panel, this) : null;
  }

  /** Maintenance after an incident: replace patches, refill nozzle cylinders and the gas store, empty the tank. */
  maintain(action: 'replace-patch' | 'refill-nozzle' | 'refill-gas' | 'empty-tank', rackIndex?: number): void {
    const racks = rackIndex === undefined ? this.racks : [this.rack(rackIndex)];
    switch (action) {
      case 'replace-patch': for (const r of racks) { r.patchFired = false; r.patchFiredAtS = null; } break;
      case 'refill-nozzle': for (const r of racks) { r.nozzleDischargedAtS = null; r.nozzle.reset(); this.panel?.resetNozzle(r.index - 1); } break;
      case 'refill-gas': this.gasStorePct = 100; this.gasReleasedAtS = null; this.gasAtReleasePct = 0; this.gas.reset(); this.panel?.resetGas(); break;
      case 'empty-tank': this.tankLevelPct = 0; break;
    }
  }

  rack(index: number): Rack {
    const r = this.racks[index - 1];
    if (!r) throw new RangeError(`room ${this.id} has no rack ${index} (1..${this.racks.length})`);
    return r;
  }

  get actuators(): Record<string, Actuator> {
    return { upstream: this.upstream, 'charge-inhibit': this.chargeInhibit, pump: this.pump, gas: this.gas, hvac: this.hvac, dampers: this.dampers, predischarge: this.predischarge };
  }

  /** Earliest sim time an actuator of the room or its racks changes by itself. */
  nextEventS(): number {
    let t = Infinity;
    for (const a of Object.values(this.actuators)) t = Math.min(t, a.nextEventS());
    for (const r of this.racks) for (const a of [r.breaker, r.curtain, r.nozzle, r.spray]) t = Math.min(t, a.nextEventS());
    if (this.panel) t = Math.min(t, this.panel.nextEventS());
    return t;
  }

  gasActive(now: number): boolean {
    return this.gasReleasedAtS !== null && now - this.gasReleasedAtS < this.cfg.thermal.gasHoldS && this.gasAtReleasePct >= GAS_MIN_PCT;
  }

  /** Gas discharge pressure switch (latched once the agent discharged). */
  get gasPressure(): boolean {
    if (this.gas.hasFault('lies')) return this.gas.feedback;
    return this.gasReleasedAtS !== null && this.gasAtReleasePct >= GAS_MIN_PCT;
  }

  get roomTemperatureC(): number {
    const amb = this.cfg.thermal.ambientC;
    return amb + 0.02 * this.racks.reduce((s, r) => s + Math.max(0, r.temperatureC - amb), 0);
  }

  get roomSmoke(): boolean {
    if (this.smokeForced !== null) return this.smokeForced;
    return this.racks.some((r) => r.temperatureC >= 150 || (r.temperatureC >= 100 && !r.curtain.active));
  }

  get tankLevel(): number { return this.tankLevelForcedPct ?? this.tankLevelPct; }

  step(dt: number, now: number): void {
    // The manual station drives the release solenoid itself (once per operation).
    if (this.manualRelease && !this.manualOperated && !this.lockoff && this.gasReleasedAtS === null) this.gas.write(true, now);
    this.manualOperated = this.manualRelease;
    this.panel?.step(now);
    for (const a of Object.values(this.actuators)) a.step(now);
    if (this.gas.active && this.gasReleasedAtS === null) {
      this.gasReleasedAtS = now;
      this.gasAtReleasePct = this.gasStorePct;
    }
    if (this.gasReleasedAtS !== null && this.gasAtReleasePct >= GAS_MIN_PCT) {
      this.gasStorePct = Math.max(0, this.gasAtReleasePct * (1 - (now - this.gasReleasedAtS) / GAS_DISCHARGE_S));
    }
    const amb = this.cfg.thermal.ambientC;
    const gasActive = this.gasActive(now);
    const temps = this.racks.map((r) => ({ temperatureC: r.temperatureC, curtainDown: r.curtain.active }));
    for (const [i, rack] of this.racks.entries()) {
      const env: RackEnv = {
        ambientC: amb,
        neighbours: [temps[i - 1], temps[i + 1]].filter((x): x is { temperatureC: number; curtainDown: boolean } => x !== undefined),
        upstreamClosed: !this.upstream.active,
        chargeInhibited: this.chargeInhibit.active,
        gasActive,
      };
      rack.step(dt, now, env);
    }
    // Water: spray into the sump; the pump moves it to the underground tank.
    const sprayM3 = this.racks.filter((r) => r.spray.active).length * SPRAY_FLOW_M3_PER_S * dt;
    this.floorWaterM3 += sprayM3;
    if (this.pump.active) {
      const moved = this.floorWaterM3;
      this.floorWaterM3 = 0;
      this.tankLevelPct = Math.min(100, this.tankLevelPct + (moved / TANK_CAPACITY_M3) * 100);
    }
    // Flammable gas and CO from cells in runaway; HVAC (not stopped) ventilates.
    const venting = this.racks.filter((r) => r.source?.phase === 'runaway').length;
    const vent = this.hvac.active ? 0 : 1 / 600;
    this.lflPct = Math.min(100, Math.max(0, this.lflPct + dt * (0.05 * venting - vent * this.lflPct)));
    this.coPpm = Math.min(10000, Math.max(0, this.coPpm + dt * (5 * venting - vent * this.coPpm)));
  }
}
