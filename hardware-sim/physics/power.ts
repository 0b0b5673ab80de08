/**
 * Site power (pure): dual utility feed with ATS, UPS zones with their battery rooms, server-rack
 * A/B power strips (the IT load) and the site meters that integrate power into energy.
 *
 * - Feed A (main) and B (reserve). When the connected feed is lost the ATS waits
 *   `atsTransferDelayS`, then connects the other feed if it is available (no automatic
 *   re-transfer). With no feed connected the building bus is dead and every UPS zone runs on battery.
 * - A UPS zone is online when the bus is live and its rectifier has no fault; on battery otherwise,
 *   drawing output/efficiency from the racks whose DC path is closed. A UPS fault puts the zone on
 *   bypass (output straight from the bus, no battery protection). Low battery below the threshold.
 * - Server rack k's strips: side A from zone ((k−1) mod Z)+1, side B from the next zone. A dead
 *   zone's side drops to 0 W and the other side carries the rack.
 * - Meters: IT = Σ UPS outputs; intake = Σ UPS inputs + cooling + lighting; other = intake − IT −
 *   cooling. True PUE = intake energy / IT energy.
 */
import type { SiteConfig } from '../config.js';
import type { BatteryRoom } from './battery-room.js';

export type FeedId = 'A' | 'B';

export class Feed {
  available = true;
  breakerClosed = true;
  energyWh = 0;
  powerW = 0;
  constructor(readonly id: FeedId, readonly voltageV: number) {}
  get live(): boolean { return this.available && this.breakerClosed; }
  get voltage(): number { return this.available ? this.voltageV : 0; }
  get currentA(): number { return this.voltage > 0 ? this.powerW / (Math.sqrt(3) * this.voltage * 0.95) : 0; }
}

export interface TransferRecord { from: FeedId | 'none'; to: FeedId; lostAtS: number; transferredAtS: number }

export class Ats {
  source: FeedId | 'none' = 'A';
  /** Sim time the connected feed was lost and the transfer timer started. */
  lostAtS: number | null = null;
  transfers: TransferRecord[] = [];
  constructor(public delayS: number) {}
  get transferring(): boolean { return this.lostAtS !== null; }

  step(now: number, feeds: Record<FeedId, Feed>): void {
    const connected = this.source === 'none' ? null : feeds[this.source];
    if (connected?.live) { this.lostAtS = null; return; }
    if (this.lostAtS === null) this.lostAtS = now;
    if (now - this.lostAtS < this.delayS) return;
    const from = this.source;
    const other: FeedId[] = from === 'A' ? ['B'] : from === 'B' ? ['A'] : ['A', 'B'];
    const target = other.find((f) => feeds[f].live);
    if (target) {
      this.transfers.push({ from, to: target, lostAtS: this.lostAtS, transferredAtS: now });
      this.source = target;
      this.lostAtS = null;
    } else if (from !== 'none' && !connected?.live) {
      this.source = 'none';
    }
  }
}

export class UpsZone {
  rectifierFault = false;
  /** Internal fault → on bypass. */
  fault = false;
  /** Emergency power off (whole-building cut by the fire department). */
  epo = false;
  outputW = 0;
  inputW = 0;
  chargeW = 0;
  onBattery = false;
  outputLive = true;
  lowBatteryPct: number;
  /** Sim time the zone's battery ran out (output dropped), null = never. */
  droppedAtS: number | null = null;

  constructor(readonly id: string, readonly index: number, readonly room: BatteryRoom, private readonly cfg: SiteConfig) {
    this.lowBatteryPct = cfg.power.lowBatteryPct;
  }

  /** Racks that can deliver or take battery power. */
  private dcRacks() {
    if (this.room.upstream.active) return [];
    return this.room.racks.filter((r) => r.dcClosed);
  }

  get chargePct(): number {
    const racks = this.room.racks;
    return racks.reduce((s, r) => s + r.soc, 0) / racks.length;
  }

  get availableWh(): number {
    return this.dcRacks().reduce((s, r) => s + (r.soc / 100) * this.cfg.power.rackCapacityWh, 0);
  }

  get runtimeS(): number {
    if (this.outputW <= 0) return 86400;
    return Math.min(86400, Math.floor((this.availableWh * this.cfg.power.upsEfficiency * 3600) / this.outputW));
  }

  get lowBattery(): boolean { return this.chargePct < this.lowBatteryPct; }
  get bypass(): boolean { return this.fault; }
  get charging(): boolean { return this.chargeW > 0; }

  /** Whether the output will be live this step (before the load is known). */
  decideOutput(busLive: boolean): void {
    const inputOk = busLive && !this.rectifierFault;
    if (this.epo) { this.outputLive = false; this.onBattery = false; return; }
    if (this.fault) { this.outputLive = busLive; this.onBattery = false; return; }
    this.onBattery = !inputOk;
    this.outputLive = inputOk || this.availableWh > 0.001;
  }

  /** Apply the load for dt: battery discharge/charge and rack currents. */
  applyLoad(dt: number, now: number, loadW: number, busLive: boolean): void {
    const p = this.cfg.power;
    this.outputW = this.outputLive ? loadW : 0;
    const racks = this.dcRacks();
    for (const r of this.room.racks) r.currentA = 0;
    this.chargeW = 0;
    if (this.onBattery && this.outputLive) {
      const perRack = this.outputW / p.upsEfficiency / Math.max(1, racks.length);
      for (const r of racks) {
        r.soc = Math.max(0, r.soc - (perRack * dt / 3600 / p.rackCapacityWh) * 100);
        r.currentA = -perRack / r.voltage;
      }
      if (this.availableWh <= 0.001) { this.outputLive = false; this.outputW = 0; this.droppedAtS ??= now; }
      this.inputW = 0;
      return;
    }
    const canCharge = busLive && !this.rectifierFault && !this.fault && !this.epo && !this.room.chargeInhibit.active;
    if (canCharge) {
      for (const r of racks) {
        if (r.soc >= 100) continue;
        const taper = r.soc > 95 ? (100 - r.soc) / 5 : 1;
        const w = p.chargeRateC * p.rackCapacityWh * Math.max(0.05, taper);
        r.soc = Math.min(100, r.soc + (w * dt / 3600 / p.rackCapacityWh) * 100);
        r.currentA = w / r.voltage;
        this.chargeW += w;
      }
    }
    this.inputW = this.epo || !busLive ? 0 : this.fault ? this.outputW : this.outputW / p.upsEfficiency + this.chargeW / p.upsEfficiency;
  }
}

export class PduRack {
  sideAW = 0;
  sideBW = 0;
  energyAWh = 0;
  energyBWh = 0;
  constructor(readonly unitId: number, readonly room: string, readonly nominalW: number, readonly zoneA: number, readonly zoneB: number) {}
}

export class Meter {
  energyWh: number;
  powerW = 0;
  constructor(readonly id: string, initialWh: number) { this.energyWh = initialWh; }
  integrate(powerW: number, dt: number): void {
    this.powerW = powerW;
    this.energyWh += (powerW * dt) / 3600;
  }
}

/** Deterministic ±25 % spread of server-rack loads by index. */
export function rackLoadW(cfg: SiteConfig, k: number): number {
  return cfg.power.itLoadPerRackW * (0.75 + 0.5 * (((k * 37) % 100) / 100));
}

export function buildPdus(cfg: SiteConfig): PduRack[] {
  const out: PduRack[] = [];
  const perRoom = Math.ceil(cfg.pduRacks / cfg.serverRooms);
  for (let k = 1; k <= cfg.pduRacks; k++) {
    const room = `SR${Math.min(cfg.serverRooms, Math.floor((k - 1) / perRoom) + 1)}`;
    out.push(new PduRack(k, room, rackLoadW(cfg, k), ((k - 1) % cfg.zones) + 1, (k % cfg.zones) + 1));
  }
  return out;
}
