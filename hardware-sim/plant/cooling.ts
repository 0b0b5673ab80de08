/**
 * The chiller plant's physics, pure and synchronous (no I/O, no timers): chillers cool water
 * drawn from the top of a stratified buffer tank and return it to the bottom; loops A and B draw
 * supply water from the bottom, pick up the IT heat and return it to the top. With the chillers
 * stopped the tank's mean temperature rises at exactly dT/dt = Q / (m·c), so the ride-through is
 * computable from the truth. See README.md for the model and its state.
 */
import {
  LOOP_IDS, resolvePlantConfig, WATER_DENSITY_KG_PER_M3 as RHO, WATER_SPECIFIC_HEAT_KJ_PER_KG_K as C,
  type ChillerConfig, type LoopId, type PlantConfig, type PlantConfigInput,
} from './config.js';
import { maxStableStepS, meanTemperature, stepTank } from './tank.js';

export type ChillerRunState = 'running' | 'starting' | 'stopped' | 'tripped';

export interface ChillerState {
  /** `Chiller1`, `Chiller2`, ... (also the OPC-UA folder name). */
  id: string;
  /** 1-based index, as accepted by tripChiller() and friends. */
  index: number;
  state: ChillerRunState;
  /** Compressor delivering cooling (state === 'running'). */
  running: boolean;
  tripped: boolean;
  /** Commanded to run (a trip keeps the command; restore then restarts it). */
  runCommand: boolean;
  /** Seconds until cooling resumes while starting, else 0. */
  restartRemainingS: number;
  supplySetpointC: number;
  /** Leaving (supply) chilled-water temperature, °C. */
  supplyTemperatureC: number;
  /** Entering (return) chilled-water temperature, °C. */
  returnTemperatureC: number;
  flowLps: number;
  /** Cooling delivered, kW thermal. */
  coolingKw: number;
  /** Electrical input, kW. */
  powerKw: number;
  /** coolingKw / powerKw (0 when not cooling). */
  cop: number;
}

export interface LoopState {
  id: LoopId;
  valveOpenPct: number;
  flowLps: number;
  supplyTemperatureC: number;
  returnTemperatureC: number;
  /** Heat carried from the rooms to the tank, kW. */
  heatKw: number;
  pumpPowerKw: number;
}

export interface TankState {
  volumeM3: number;
  capacityM3: number;
  levelPct: number;
  massKg: number;
  /** Mass-weighted mean temperature, °C. */
  temperatureC: number;
  /** Layer temperatures, °C, index 0 = layer 1 = bottom. */
  layerTemperaturesC: number[];
  /** Water leaving the bottom to the loops (= loop supply), °C. */
  outletTemperatureC: number;
  /** Mixed loop return water entering the top, °C. */
  inletTemperatureC: number;
}

export interface PlantState {
  /** Simulated seconds stepped so far. */
  simTimeS: number;
  /** IT heat offered to the loops in the last step, kW. */
  itHeatKw: number;
  /** Heat the loops carried to the tank, kW. */
  heatRemovedKw: number;
  /** Heat the loops could not carry (valves closed, coils at their limit), kW. */
  unremovedHeatKw: number;
  /** Cooling delivered by all chillers, kW. */
  coolingKw: number;
  /** Chillers + loop pumps, kW electrical (the cooling-plant meter). */
  totalPowerKw: number;
  /** Chilled-water supply to the rooms (tank outlet), °C. */
  supplyTemperatureC: number;
  /** Mixed return from the rooms, °C. */
  returnTemperatureC: number;
  chillers: ChillerState[];
  loops: Record<LoopId, LoopState>;
  tank: TankState;
}

interface ChillerRuntime {
  cfg: ChillerConfig;
  state: ChillerRunState;
  runCommand: boolean;
  restartRemainingS: number;
  setpointC: number;
}

/** Part-load efficiency factor (1 at full load, 0.8 with no load): COP = copNominal × f(PLR). */
export function copCurve(plr: number): number {
  const x = Math.min(1, Math.max(0, plr));
  return 0.8 + 0.4 * x - 0.2 * x * x;
}

export class PlantInputError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'PlantInputError';
  }
}

const MAX_SUBSTEP_S = 10;

export class CoolingPlant {
  readonly config: PlantConfig;
  private readonly chillers: ChillerRuntime[];
  private readonly valves: Record<LoopId, number>;
  private layers: number[];
  private volumeM3: number;
  private itHeatKw = 0;
  private simTimeS = 0;
  private snapshot: PlantState;

  constructor(config: PlantConfigInput | PlantConfig = {}) {
    this.config = resolvePlantConfig(config);
    this.chillers = this.config.chillers.map((cfg) => ({
      cfg, state: cfg.running ? 'running' : 'stopped', runCommand: cfg.running, restartRemainingS: 0, setpointC: cfg.supplySetpointC,
    }));
    this.valves = { A: this.config.loops.A.valveOpenPct, B: this.config.loops.B.valveOpenPct };
    this.layers = new Array<number>(this.config.tank.layers).fill(this.config.tank.initialTemperatureC);
    this.volumeM3 = this.config.tank.volumeM3;
    this.snapshot = this.compute();
  }

  /** A plain-object snapshot of the truth (a new object each call; safe to keep). */
  get state(): PlantState {
    return structuredClone(this.snapshot);
  }

  /** Advance the physics by dtSimSeconds of simulated time with itHeatKw of IT heat on the loops. */
  step(dtSimSeconds: number, itHeatKw: number): void {
    if (!Number.isFinite(dtSimSeconds) || dtSimSeconds < 0) throw new PlantInputError(`step: dtSimSeconds must be a finite number >= 0, got ${dtSimSeconds}`);
    if (!Number.isFinite(itHeatKw)) throw new PlantInputError(`step: itHeatKw must be a finite number, got ${itHeatKw}`);
    this.itHeatKw = Math.max(0, itHeatKw);
    let left = dtSimSeconds;
    while (left > 1e-9) {
      const out = this.flows();
      let h = Math.min(left, MAX_SUBSTEP_S, maxStableStepS(this.layerMassKg(), out.tank));
      for (const c of this.chillers) if (c.state === 'starting' && c.restartRemainingS > 1e-9) h = Math.min(h, c.restartRemainingS);
      stepTank(this.layers, this.layerMassKg(), out.tank, h);
      for (const c of this.chillers) {
        if (c.state !== 'starting') continue;
        c.restartRemainingS -= h;
        if (c.restartRemainingS <= 1e-9) { c.restartRemainingS = 0; c.state = 'running'; }
      }
      this.simTimeS += h;
      left -= h;
    }
    this.snapshot = this.compute();
  }

  /** Trip chiller i (1-based index or id `Chiller1`): cooling and flow stop at once; it stays off until restored. */
  tripChiller(i: number | string): void {
    const c = this.chiller(i);
    c.state = 'tripped';
    c.restartRemainingS = 0;
    this.refresh();
  }

  /** Clear a trip: a chiller commanded to run restarts (cooling after restartDelayS); else it is stopped. */
  restoreChiller(i: number | string): void {
    const c = this.chiller(i);
    if (c.state !== 'tripped') return;
    this.beginStart(c);
    this.refresh();
  }

  /** Command a chiller to run (a tripped chiller keeps the command and waits for restoreChiller). */
  startChiller(i: number | string): void {
    const c = this.chiller(i);
    c.runCommand = true;
    if (c.state === 'stopped') this.beginStart(c);
    this.refresh();
  }

  /** Command a chiller to stop. */
  stopChiller(i: number | string): void {
    const c = this.chiller(i);
    c.runCommand = false;
    if (c.state === 'running' || c.state === 'starting') { c.state = 'stopped'; c.restartRemainingS = 0; }
    this.refresh();
  }

  /** Change a chiller's leaving-water setpoint, °C. */
  setChillerSetpoint(i: number | string, setpointC: number): void {
    if (!Number.isFinite(setpointC) || setpointC < 0 || setpointC > 30) throw new PlantInputError(`setChillerSetpoint: ${setpointC} °C is outside 0..30`);
    this.chiller(i).setpointC = setpointC;
    this.refresh();
  }

  /** Set a loop's valve position, % open (0 closes the loop). */
  setLoopValve(loop: LoopId, openPct: number): void {
    if (!LOOP_IDS.includes(loop)) throw new PlantInputError(`setLoopValve: unknown loop '${String(loop)}'; use 'A' or 'B'`);
    if (!Number.isFinite(openPct) || openPct < 0 || openPct > 100) throw new PlantInputError(`setLoopValve: ${openPct} % is outside 0..100`);
    this.valves[loop] = openPct;
    this.refresh();
  }

  /** Change the water volume (a leak, a refill); layer temperatures are kept. */
  setTankVolume(volumeM3: number): void {
    if (!Number.isFinite(volumeM3) || volumeM3 <= 0 || volumeM3 > this.config.tank.capacityM3) {
      throw new PlantInputError(`setTankVolume: ${volumeM3} m³ must be > 0 and <= capacity ${this.config.tank.capacityM3} m³`);
    }
    this.volumeM3 = volumeM3;
    this.refresh();
  }

  /** Set the tank temperature: one value for every layer, or one per layer (bottom first). */
  setTankTemperature(temperatureC: number | readonly number[]): void {
    const next = typeof temperatureC === 'number' ? this.layers.map(() => temperatureC) : [...temperatureC];
    if (next.length !== this.layers.length || next.some((x) => !Number.isFinite(x))) {
      throw new PlantInputError(`setTankTemperature: give one number or ${this.layers.length} finite layer temperatures`);
    }
    this.layers = next;
    this.refresh();
  }

  /**
   * Cooling energy stored below limitC, kWh: ρ·c·Σ V_k·max(0, limitC − T_k) (η = 1: layers are the truth).
   */
  storedCoolingKwh(limitC: number): number {
    const layerM3 = this.volumeM3 / this.layers.length;
    let kj = 0;
    for (const t of this.layers) kj += RHO * layerM3 * C * Math.max(0, limitC - t);
    return kj / 3600;
  }

  /** Energy-balance ride-through, s: storedCoolingKwh / (IT heat + shell gain − chiller cooling). Infinity if not discharging. */
  energyRideThroughSeconds(limitC: number): number {
    const s = this.snapshot;
    const net = s.heatRemovedKw + this.config.tank.ambientGainKw - s.coolingKw;
    if (net <= 0) return Number.POSITIVE_INFINITY;
    return (this.storedCoolingKwh(limitC) * 3600) / net;
  }

  /**
   * Truth: seconds until the loop supply temperature reaches limitC if the IT heat stays at its
   * last value and nobody acts (trips stay tripped, starting chillers come online). Computed by
   * stepping a copy of the plant; Infinity when not reached within maxSeconds (default 7 days).
   */
  rideThroughSeconds(limitC: number, opts: { itHeatKw?: number; maxSeconds?: number; resolutionS?: number } = {}): number {
    const heat = opts.itHeatKw ?? this.itHeatKw;
    const maxS = opts.maxSeconds ?? 7 * 86_400;
    const res = opts.resolutionS ?? 5;
    const copy = this.clone();
    copy.step(0, heat);
    let prev = copy.snapshot.supplyTemperatureC;
    if (prev >= limitC) return 0;
    for (let t = 0; t < maxS; t += res) {
      copy.step(res, heat);
      const cur = copy.snapshot.supplyTemperatureC;
      if (cur >= limitC) return t + (res * (limitC - prev)) / (cur - prev);
      prev = cur;
    }
    return Number.POSITIVE_INFINITY;
  }

  /** An independent copy with the same config and state. */
  clone(): CoolingPlant {
    const p = new CoolingPlant(this.config);
    p.chillers.forEach((c, i) => Object.assign(c, { ...this.chillers[i], cfg: this.chillers[i].cfg }));
    p.valves.A = this.valves.A;
    p.valves.B = this.valves.B;
    p.layers = [...this.layers];
    p.volumeM3 = this.volumeM3;
    p.itHeatKw = this.itHeatKw;
    p.simTimeS = this.simTimeS;
    p.refresh();
    return p;
  }

  private beginStart(c: ChillerRuntime): void {
    if (!c.runCommand) { c.state = 'stopped'; return; }
    c.state = c.cfg.restartDelayS > 0 ? 'starting' : 'running';
    c.restartRemainingS = c.cfg.restartDelayS;
  }

  private chiller(i: number | string): ChillerRuntime {
    const idx = typeof i === 'string' ? Number(/^Chiller(\d+)$/.exec(i)?.[1] ?? NaN) : i;
    const c = Number.isInteger(idx) ? this.chillers[idx - 1] : undefined;
    if (!c) throw new PlantInputError(`unknown chiller ${JSON.stringify(i)}: use 1..${this.chillers.length} or 'Chiller1'..'Chiller${this.chillers.length}'`);
    return c;
  }

  private layerMassKg(): number {
    return (this.volumeM3 * RHO) / this.layers.length;
  }

  private refresh(): void {
    this.snapshot = this.compute();
  }

  /** Instantaneous flows and temperatures for the current state. */
  private flows() {
    const top = this.layers[this.layers.length - 1];
    const supply = this.layers[0];
    const chillers = this.chillers.map((c) => {
      const flowing = c.state === 'running' || c.state === 'starting';
      const flowLps = flowing ? c.cfg.flowLps : 0;
      let out = top;
      let coolingKw = 0;
      let powerKw = 0;
      if (c.state === 'running') {
        const m = flowLps * RHO / 1000;
        out = top > c.setpointC ? Math.max(c.setpointC, top - c.cfg.capacityKw / (m * C)) : top;
        coolingKw = m * C * (top - out);
        powerKw = coolingKw / (c.cfg.copNominal * copCurve(coolingKw / c.cfg.capacityKw)) + c.cfg.auxKw;
      } else if (c.state === 'starting') {
        powerKw = c.cfg.auxKw;
      }
      return { c, flowLps, in: top, out, coolingKw, powerKw };
    });
    const loopsRaw = LOOP_IDS.map((id) => {
      const cfg = this.config.loops[id];
      const flowLps = (cfg.nominalFlowLps * this.valves[id]) / 100;
      return { id, cfg, flowLps, pumpPowerKw: cfg.pumpKwAtNominal * (this.valves[id] / 100) ** 3 };
    });
    const totalLoopFlow = loopsRaw.reduce((s, l) => s + l.flowLps, 0);
    const loops = loopsRaw.map((l) => {
      const m = l.flowLps * RHO / 1000;
      const offered = totalLoopFlow > 0 ? (this.itHeatKw * l.flowLps) / totalLoopFlow : 0;
      const heatKw = Math.min(offered, m * C * l.cfg.maxDeltaTK);
      return { ...l, heatKw, supply, ret: m > 0 ? supply + heatKw / (m * C) : supply };
    });
    const primary = chillers.reduce((s, c) => s + c.flowLps, 0);
    const chillerOutletC = primary > 0 ? chillers.reduce((s, c) => s + c.flowLps * c.out, 0) / primary : top;
    const heatRemovedKw = loops.reduce((s, l) => s + l.heatKw, 0);
    const returnC = totalLoopFlow > 0 ? loops.reduce((s, l) => s + l.flowLps * l.ret, 0) / totalLoopFlow : supply;
    return {
      chillers, loops, heatRemovedKw, returnC, supply,
      tank: {
        primaryKgPerS: primary * RHO / 1000, chillerOutletC,
        secondaryKgPerS: totalLoopFlow * RHO / 1000, returnC,
        mixingKgPerS: this.config.tank.mixingKgPerS, gainKw: this.config.tank.ambientGainKw,
      },
    };
  }

  private compute(): PlantState {
    const f = this.flows();
    const chillers: ChillerState[] = f.chillers.map((x, i) => ({
      id: `Chiller${i + 1}`, index: i + 1, state: x.c.state, running: x.c.state === 'running', tripped: x.c.state === 'tripped',
      runCommand: x.c.runCommand, restartRemainingS: x.c.restartRemainingS, supplySetpointC: x.c.setpointC,
      supplyTemperatureC: x.out, returnTemperatureC: x.in, flowLps: x.flowLps, coolingKw: x.coolingKw, powerKw: x.powerKw,
      cop: x.coolingKw > 0 ? x.coolingKw / x.powerKw : 0,
    }));
    const loops = Object.fromEntries(f.loops.map((l) => [l.id, {
      id: l.id, valveOpenPct: this.valves[l.id], flowLps: l.flowLps, supplyTemperatureC: l.supply,
      returnTemperatureC: l.ret, heatKw: l.heatKw, pumpPowerKw: l.pumpPowerKw,
    } satisfies LoopState])) as Record<LoopId, LoopState>;
    const coolingKw = chillers.reduce((s, c) => s + c.coolingKw, 0);
    const pumps = f.loops.reduce((s, l) => s + l.pumpPowerKw, 0);
    return {
      simTimeS: this.simTimeS,
      itHeatKw: this.itHeatKw,
      heatRemovedKw: f.heatRemovedKw,
      unremovedHeatKw: Math.max(0, this.itHeatKw - f.heatRemovedKw),
      coolingKw,
      totalPowerKw: chillers.reduce((s, c) => s + c.powerKw, 0) + pumps,
      supplyTemperatureC: f.supply,
      returnTemperatureC: f.returnC,
      chillers,
      loops,
      tank: {
        volumeM3: this.volumeM3,
        capacityM3: this.config.tank.capacityM3,
        levelPct: (100 * this.volumeM3) / this.config.tank.capacityM3,
        massKg: this.volumeM3 * RHO,
        temperatureC: meanTemperature(this.layers),
        layerTemperaturesC: [...this.layers],
        outletTemperatureC: f.supply,
        inletTemperatureC: f.returnC,
      },
    };
  }
}
