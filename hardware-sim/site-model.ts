/**
 * The whole simulated site as one pure, steppable model (no I/O, no timers): battery rooms with
 * racks and fire I/O, UPS zones, feeds and ATS, server-rack power strips, meters and the cooling
 * plant (hardware-sim/plant). `step(dtSimSeconds)` advances the one sim clock; scheduled actions
 * (scenario steps) run at their sim time inside step.
 */
import type { SiteConfig } from './config.js';
import { BatteryRoom } from './physics/battery-room.js';
import { Ats, Feed, Meter, UpsZone, buildPdus, type FeedId, type PduRack } from './physics/power.js';
import { CoolingPlant } from './plant/cooling.js';

/**
 * Largest physics sub-step, s. Steps are cut to land exactly on actuator feedback times, ATS
 * transfer deadlines and scheduled actions, so delays are exact whatever the step.
 */
export const MAX_SUBSTEP_S = 1;
/** The cooling plant is stepped in chunks of this many sim seconds (its own sub-steps inside). */
const PLANT_CHUNK_S = 10;

interface Scheduled { atS: number; seq: number; label: string; run: () => void }

export class SiteModel {
  now = 0;
  readonly rooms: BatteryRoom[] = [];
  readonly zones: UpsZone[] = [];
  readonly feeds: Record<FeedId, Feed>;
  readonly ats: Ats;
  readonly pdus: PduRack[];
  readonly plant: CoolingPlant;
  readonly meters: Record<'intake' | 'it' | 'cooling' | 'other', Meter>;
  /** Labels of scheduled actions already run, with their sim time (scenario progress). */
  readonly done: { atS: number; label: string }[] = [];
  private schedule: Scheduled[] = [];
  private seq = 0;
  private busWasLive = true;
  private chillersTrippedByPower: number[] = [];
  /** Cooling-plant electrical power, W, refreshed after each plant step (its state is a deep copy). */
  private plantPowerW = 0;

  constructor(readonly cfg: SiteConfig) {
    for (let z = 1; z <= cfg.zones; z++) {
      const room = new BatteryRoom(`BR${z}`, `z${z}`, z, cfg);
      this.rooms.push(room);
      this.zones.push(new UpsZone(`z${z}`, z, room, cfg));
    }
    this.feeds = { A: new Feed('A', cfg.power.feedVoltageV), B: new Feed('B', cfg.power.feedVoltageV) };
    this.ats = new Ats(cfg.power.atsTransferDelayS);
    this.pdus = buildPdus(cfg);
    this.plant = new CoolingPlant(cfg.plant ?? {});
    const e0 = cfg.power.initialEnergyWh;
    this.meters = {
      intake: new Meter('intake', e0),
      it: new Meter('it', Math.round(e0 / 1.4)),
      cooling: new Meter('cooling', Math.round(e0 * 0.25 / 1.4)),
      other: new Meter('other', Math.round(e0 * 0.15 / 1.4)),
    };
    this.feeds.A.energyWh = e0;
    this.plantPowerW = this.plant.state.totalPowerKw * 1000;
    this.settle();
  }

  room(id: string): BatteryRoom {
    const r = this.rooms.find((x) => x.id === id);
    if (!r) throw new RangeError(`no battery room '${id}' (have ${this.rooms.map((x) => x.id).join(', ')})`);
    return r;
  }

  zone(id: string): UpsZone {
    const z = this.zones.find((x) => x.id === id);
    if (!z) throw new RangeError(`no UPS zone '${id}' (have ${this.zones.map((x) => x.id).join(', ')})`);
    return z;
  }

  get busLive(): boolean {
    return this.ats.source !== 'none' && this.feeds[this.ats.source].live;
  }

  /** Run `run` when the sim clock reaches `atS` (at once if already past). */
  at(atS: number, label: string, run: () => void): void {
    this.schedule.push({ atS, seq: this.seq++, label, run });
    this.schedule.sort((a, b) => a.atS - b.atS || a.seq - b.seq);
  }

  /** Advance the sim clock by dtSimSeconds. */
  step(dtSimSeconds: number): void {
    if (!Number.isFinite(dtSimSeconds) || dtSimSeconds < 0) throw new RangeError(`step: dt must be a finite number >= 0, got ${dtSimSeconds}`);
    const end = this.now + dtSimSeconds;
    let plantDt = 0;
    while (this.now < end - 1e-9) {
      this.runDue();
      const h = Math.max(1e-6, Math.min(MAX_SUBSTEP_S, end - this.now, this.nextEventS() - this.now));
      this.now += h;
      this.substep(h);
      plantDt += h;
      if (plantDt >= PLANT_CHUNK_S) { this.stepPlant(plantDt); plantDt = 0; }
    }
    this.runDue();
    if (plantDt > 0) this.stepPlant(plantDt);
  }

  /** Earliest upcoming event: a scheduled action, an actuator change, the ATS transfer deadline. */
  private nextEventS(): number {
    let t = this.schedule[0]?.atS ?? Infinity;
    for (const r of this.rooms) t = Math.min(t, r.nextEventS());
    if (this.ats.lostAtS !== null) t = Math.min(t, this.ats.lostAtS + this.ats.delayS);
    return t <= this.now ? Infinity : t;
  }

  private runDue(): void {
    let ran = false;
    while (this.schedule.length && this.schedule[0]!.atS <= this.now + 1e-9) {
      const s = this.schedule.shift()!;
      s.run();
      this.done.push({ atS: this.now, label: s.label });
      ran = true;
    }
    // React at the action's own time (a feed lost at t starts the ATS timer at t).
    if (ran) this.settle();
  }

  private stepPlant(dt: number): void {
    this.plant.step(dt, this.meters.it.powerW / 1000);
    this.plantPowerW = this.plant.state.totalPowerKw * 1000;
  }

  /** One physics sub-step at the new `now`. */
  private substep(dt: number): void {
    const now = this.now;
    for (const room of this.rooms) room.step(dt, now);
    this.ats.step(now, this.feeds);
    this.power(dt, now);
  }

  /** Zero-length pass so every derived value is consistent now (start, after scheduled actions, after faults). */
  settle(): void {
    this.ats.step(this.now, this.feeds);
    this.power(0, this.now);
  }

  private power(dt: number, now: number): void {
    const bus = this.busLive;
    this.chillerPower(bus);
    for (const z of this.zones) z.decideOutput(bus);
    const load = new Array<number>(this.zones.length + 1).fill(0);
    let itW = 0;
    for (const p of this.pdus) {
      const a = this.zones[p.zoneA - 1]!.outputLive;
      const b = this.zones[p.zoneB - 1]!.outputLive;
      p.sideAW = a ? (b ? p.nominalW / 2 : p.nominalW) : 0;
      p.sideBW = b ? (a ? p.nominalW / 2 : p.nominalW) : 0;
      p.energyAWh += (p.sideAW * dt) / 3600;
      p.energyBWh += (p.sideBW * dt) / 3600;
      load[p.zoneA] = load[p.zoneA]! + p.sideAW;
      load[p.zoneB] = load[p.zoneB]! + p.sideBW;
    }
    let upsInW = 0;
    for (const z of this.zones) {
      z.applyLoad(dt, now, load[z.index]!, bus);
      itW += z.outputW;
      upsInW += z.inputW;
    }
    const coolingW = bus ? this.plantPowerW : 0;
    const lighting = bus ? this.cfg.power.lightingW : 0;
    const intakeW = bus ? upsInW + coolingW + lighting : 0;
    this.meters.it.integrate(itW, dt);
    this.meters.cooling.integrate(coolingW, dt);
    this.meters.other.integrate(Math.max(0, intakeW - itW - coolingW), dt);
    this.meters.intake.integrate(intakeW, dt);
    for (const f of Object.values(this.feeds)) {
      f.powerW = bus && this.ats.source === f.id ? intakeW : 0;
      f.energyWh += (f.powerW * dt) / 3600;
    }
  }

  /** Chillers are not on UPS: a dead bus trips the running ones; power back restores them. */
  private chillerPower(bus: boolean): void {
    if (bus === this.busWasLive) return;
    this.busWasLive = bus;
    const chillers = this.plant.state.chillers;
    if (!bus) {
      this.chillersTrippedByPower = chillers.filter((c) => c.state === 'running' || c.state === 'starting').map((c) => c.index);
      for (const i of this.chillersTrippedByPower) this.plant.tripChiller(i);
    } else {
      for (const i of this.chillersTrippedByPower) this.plant.restoreChiller(i);
      this.chillersTrippedByPower = [];
    }
    this.plantPowerW = this.plant.state.totalPowerKw * 1000;
  }
}
