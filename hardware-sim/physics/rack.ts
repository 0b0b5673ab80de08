/**
 * One battery rack: a lumped hot-spot thermal model, its battery state, and its fire I/O
 * actuators (DC breaker, curtain, nozzle valve, spray valve) plus the self-triggering patch.
 *
 *   C·dT/dt = I²R + f·q_src − h_amb(T − T_amb) − Σ_neighbours G_n(T − T_j)
 *             − G_patch(T − T_agent) − G_nozzle(T − T_agent) − G_spray(T − T_water) − G_gas(T − T_agent)
 *
 * f is the product of the source factors of the agents acting now (patch, nozzle, gas). Each
 * sink is active only while its agent acts: patch for patchDurationS after it fires, nozzle for
 * nozzleDurationS after its valve opens (one charge of agent), spray while water flows, gas for
 * gasHoldS after the room's release. Rates are in config.ts (ThermalParams) and the README.
 */
import type { SiteConfig } from '../config.js';
import { Actuator } from './actuator.js';
import { HeatSource, type HeatSourceParams } from './heat-source.js';

export interface RackEnv {
  ambientC: number;
  /** Temperatures of adjacent racks (same room). */
  neighbours: { temperatureC: number; curtainDown: boolean }[];
  /** The room's DC path is closed (upstream breaker closed). */
  upstreamClosed: boolean;
  chargeInhibited: boolean;
  /** Gas agent acting in the room now. */
  gasActive: boolean;
}

export class Rack {
  temperatureC: number;
  /** Highest hot-spot temperature since start, °C. */
  maxTemperatureC: number;
  /** State of charge, %. */
  soc: number;
  /** DC current through the breaker, A (charge > 0). Set by the power model each step. */
  currentA = 0;
  source: HeatSource | null = null;
  patchFired = false;
  patchFiredAtS: number | null = null;
  patchNeverFires = false;
  nozzleDischargedAtS: number | null = null;
  /** A test-bench heater holds the hot spot at this temperature (fault `rack-heat`), whatever the physics. */
  heldTemperatureC: number | null = null;
  /** Off-gas detector forced on without any heating (fault "off-gas only"). */
  offgasForced = false;
  readonly breaker: Actuator;
  readonly curtain: Actuator;
  readonly nozzle: Actuator;
  readonly spray: Actuator;
  /** Module (1-based) holding the faulty cell; the hottest module. */
  hotModule: number;

  constructor(
    readonly id: string,
    readonly room: string,
    readonly zone: string,
    readonly index: number,
    private readonly cfg: SiteConfig,
  ) {
    this.temperatureC = cfg.thermal.ambientC;
    this.maxTemperatureC = this.temperatureC;
    this.soc = cfg.power.initialChargePct;
    const a = cfg.actuators;
    this.breaker = new Actuator(`${id}.breaker`, a.breakerS);
    this.curtain = new Actuator(`${id}.curtain`, a.curtainS);
    this.nozzle = new Actuator(`${id}.nozzle`, a.nozzleS);
    this.spray = new Actuator(`${id}.spray`, a.sprayS);
    this.hotModule = Math.ceil(cfg.modulesPerRack / 2);
  }

  /** DC path closed: breaker contacts closed (welded counts as closed). */
  get dcClosed(): boolean { return !this.breaker.active; }

  startSource(params: HeatSourceParams, now: number, module?: number): void {
    this.source = new HeatSource(params, now);
    if (module !== undefined) this.hotModule = Math.min(Math.max(1, module), this.cfg.modulesPerRack);
  }

  patchActive(now: number): boolean {
    return this.patchFiredAtS !== null && now - this.patchFiredAtS < this.cfg.thermal.patchDurationS;
  }

  nozzleActive(now: number): boolean {
    return this.nozzleDischargedAtS !== null && now - this.nozzleDischargedAtS < this.cfg.thermal.nozzleDurationS;
  }

  /** Nozzle pressure switch: made once the agent discharged (latched until the cylinder is replaced). */
  get nozzlePressure(): boolean { return this.nozzle.feedback && (this.nozzleDischargedAtS !== null || this.nozzle.hasFault('lies')); }

  get offgas(): boolean { return this.offgasForced || (this.source?.venting ?? false); }

  get smoke(): boolean {
    const t = this.cfg.thermal.smokeC;
    return (this.source !== null && this.source.phase !== 'spent' && this.temperatureC >= t) || this.temperatureC >= t + 30;
  }

  /** Heat flows at this instant, W (positive = into the rack). For the truth and the tests. */
  heatFlows(now: number, env: RackEnv): Record<string, number> {
    const th = this.cfg.thermal;
    const T = this.temperatureC;
    let factor = 1;
    if (this.patchActive(now)) factor *= th.patchSourceFactor;
    if (this.nozzleActive(now)) factor *= th.nozzleSourceFactor;
    if (env.gasActive) factor *= th.gasSourceFactor;
    const neighbour = env.neighbours.reduce((s, n) => {
      const g = th.neighbourConductanceWPerK * (this.curtain.active || n.curtainDown ? 0.1 : 1);
      return s - g * (T - n.temperatureC);
    }, 0);
    return {
      load: this.currentA * this.currentA * this.cfg.thermal.rackResistanceOhm,
      source: (this.source?.heatW ?? 0) * factor,
      ambient: -th.ambientConductanceWPerK * (T - env.ambientC),
      neighbours: neighbour,
      patch: this.patchActive(now) ? -th.patchConductanceWPerK * (T - th.agentC) : 0,
      nozzle: this.nozzleActive(now) ? -th.nozzleConductanceWPerK * (T - th.agentC) : 0,
      spray: this.spray.active ? -th.sprayConductanceWPerK * (T - th.waterC) : 0,
      gas: env.gasActive ? -th.gasConductanceWPerK * (T - th.agentC) : 0,
    };
  }

  /** Advance actuators and temperature by dt to sim time `now`. */
  step(dt: number, now: number, env: RackEnv): void {
    for (const a of [this.breaker, this.curtain, this.nozzle, this.spray]) a.step(now);
    if (this.nozzle.active && this.nozzleDischargedAtS === null) this.nozzleDischargedAtS = now;
    const isolated = !this.dcClosed || !env.upstreamClosed || env.chargeInhibited;
    this.source?.step(dt, now, isolated, this.temperatureC);
    const flows = this.heatFlows(now, env);
    let q = 0;
    for (const v of Object.values(flows)) q += v;
    this.temperatureC += (q * dt) / this.cfg.thermal.heatCapacityJPerK;
    if (this.heldTemperatureC !== null) this.temperatureC = this.heldTemperatureC;
    if (this.temperatureC > this.maxTemperatureC) this.maxTemperatureC = this.temperatureC;
    if (!this.patchFired && !this.patchNeverFires && this.temperatureC >= this.cfg.thermal.patchTriggerC) {
      this.patchFired = true;
      this.patchFiredAtS = now;
    }
  }

  /** Module temperature (max, min) seen by the BMS: the hot module, falling off with distance. */
  moduleTemperature(module: number, ambientC: number): { max: number; min: number } {
    const rise = this.temperatureC - ambientC;
    const spread = 0.1 * ((module * 7 + this.index * 3) % 5);
    const max = ambientC + rise * 0.6 ** Math.abs(module - this.hotModule) + spread;
    return { max, min: max - 1 - 0.02 * Math.max(0, rise) };
  }

  /** Module voltage: open-circuit voltage from the charge plus IR; a cell in runaway collapses. */
  moduleVoltage(module: number): number {
    const base = 48 + 6.4 * (this.soc / 100) + (this.currentA * this.cfg.thermal.rackResistanceOhm) / this.cfg.modulesPerRack;
    if (module === this.hotModule && this.source?.phase === 'runaway') return Math.max(0, base * 0.2);
    return base;
  }

  get voltage(): number {
    let v = 0;
    for (let m = 1; m <= this.cfg.modulesPerRack; m++) v += this.moduleVoltage(m);
    return v;
  }
}
