/**
 * The listed releasing panel of a battery room (FS-14; FIRE-SAFETY.md §6.1 Q5, "panel" wiring).
 * Pure and steppable; the room owns one when `panel.enabled`.
 *
 * The agent cannot block it: the agent's release coils are request *inputs* (a rising edge starts
 * a sequence), and the panel's own detectors start the same sequence. A started sequence sounds
 * the pre-discharge signals, counts its own delay and releases, whatever the agent does later
 * (killed, coil dropped, network gone). Only the physical abort holds the gas countdown (restarted
 * in full when released, FS-16), the lock-off blocks the gas, and the manual station releases at
 * once (handled by the room, FS-16: manual release overrides abort).
 */
import type { SiteConfig } from '../config.js';
import type { Actuator } from './actuator.js';

export type PanelCause = 'agent-request' | 'panel-detector';

export interface PanelSequence {
  cause: PanelCause;
  startedAtS: number;
  /** Sim time of the release, null while held by the abort. */
  releaseAtS: number | null;
  releasedAtS: number | null;
}

export interface PanelState {
  nozzleRequests: boolean[];
  gasRequest: boolean;
  nozzles: (PanelSequence | null)[];
  gas: PanelSequence | null;
  /** Pre-discharge sounders/strobes driven by the panel itself. */
  signalling: boolean;
}

/** What the panel needs of its room (kept narrow so the panel is testable alone). */
export interface PanelRoom {
  racks: { temperatureC: number; nozzle: Actuator }[];
  gas: Actuator;
  abort: boolean;
  lockoff: boolean;
  roomSmoke: boolean;
  gasReleasedAtS: number | null;
}

export class ReleasingPanel {
  readonly nozzleRequests: boolean[];
  gasRequest = false;
  readonly nozzles: (PanelSequence | null)[];
  gas: PanelSequence | null = null;
  private readonly hotSince: (number | null)[];
  private gasHotSince: number | null = null;

  constructor(private readonly cfg: SiteConfig['panel'], private readonly room: PanelRoom) {
    const n = room.racks.length;
    this.nozzleRequests = new Array<boolean>(n).fill(false);
    this.nozzles = new Array<PanelSequence | null>(n).fill(null);
    this.hotSince = new Array<number | null>(n).fill(null);
  }

  /** The agent wrote a rack's nozzle release coil (a request input of the panel). */
  requestNozzle(rackIndex: number, value: boolean, now: number): void {
    const i = rackIndex - 1;
    if (value && !this.nozzleRequests[i]) this.startNozzle(i, 'agent-request', now);
    this.nozzleRequests[i] = value;
  }

  /** The agent wrote the room gas release coil (a request input of the panel). */
  requestGas(value: boolean, now: number): void {
    if (value && !this.gasRequest) this.startGas('agent-request', now);
    this.gasRequest = value;
  }

  get signalling(): boolean {
    const counting = (s: PanelSequence | null) => s !== null && s.releasedAtS === null;
    // Gas signals stay on after the release until the room is reset (FS-15 step 6).
    return this.nozzles.some(counting) || this.gas !== null;
  }

  nextEventS(): number {
    let t = Infinity;
    for (const s of this.nozzles) if (s && s.releasedAtS === null && s.releaseAtS !== null) t = Math.min(t, s.releaseAtS);
    if (this.gas && this.gas.releasedAtS === null && this.gas.releaseAtS !== null) t = Math.min(t, this.gas.releaseAtS);
    this.hotSince.forEach((h, i) => { if (h !== null && !this.nozzles[i]) t = Math.min(t, h + this.cfg.confirmS); });
    if (this.gasHotSince !== null && !this.gas) t = Math.min(t, this.gasHotSince + this.cfg.confirmS);
    return t;
  }

  /** Advance to `now`, before the room's actuators step. */
  step(now: number): void {
    const { cfg, room } = this;
    // Own detectors, each confirmed for confirmS.
    room.racks.forEach((r, i) => {
      const hot = r.temperatureC >= cfg.nozzleDetectorC;
      this.hotSince[i] = hot ? (this.hotSince[i] ?? now) : null;
      if (hot && now - this.hotSince[i]! >= cfg.confirmS - 1e-9 && !this.nozzles[i]) this.startNozzle(i, 'panel-detector', now);
    });
    const gasHot = room.roomSmoke && room.racks.some((r) => r.temperatureC >= cfg.gasDetectorC);
    this.gasHotSince = gasHot ? (this.gasHotSince ?? now) : null;
    if (gasHot && now - this.gasHotSince! >= cfg.confirmS - 1e-9 && !this.gas) this.startGas('panel-detector', now);
    // Nozzle countdowns.
    this.nozzles.forEach((s, i) => {
      if (s && s.releasedAtS === null && s.releaseAtS !== null && now >= s.releaseAtS - 1e-9) {
        s.releasedAtS = now;
        room.racks[i]!.nozzle.write(true, now);
      }
    });
    // Gas countdown: the abort holds it; released, the delay restarts in full.
    const g = this.gas;
    if (g && g.releasedAtS === null) {
      if (room.gasReleasedAtS !== null) g.releasedAtS = room.gasReleasedAtS; // the manual station got there first
      else if (room.abort || room.lockoff) g.releaseAtS = null;
      else if (g.releaseAtS === null) g.releaseAtS = now + cfg.gasDelayS;
      else if (now >= g.releaseAtS - 1e-9) {
        g.releasedAtS = now;
        room.gas.write(true, now);
      }
    }
  }

  /** After maintenance (refill-nozzle / refill-gas): the panel is ready again. */
  resetNozzle(i: number): void { this.nozzles[i] = null; this.hotSince[i] = null; }
  resetGas(): void { this.gas = null; this.gasHotSince = null; }

  state(): PanelState {
    const copy = (s: PanelSequence | null) => (s ? { ...s } : null);
    return { nozzleRequests: [...this.nozzleRequests], gasRequest: this.gasRequest, nozzles: this.nozzles.map(copy), gas: copy(this.gas), signalling: this.signalling };
  }

  private startNozzle(i: number, cause: PanelCause, now: number): void {
    if (this.nozzles[i]) return;
    this.nozzles[i] = { cause, startedAtS: now, releaseAtS: now + this.cfg.nozzleDelayS, releasedAtS: null };
  }

  private startGas(cause: PanelCause, now: number): void {
    if (this.gas) return;
    const held = this.room.abort || this.room.lockoff;
    this.gas = { cause, startedAtS: now, releaseAtS: held ? null : now + this.cfg.gasDelayS, releasedAtS: null };
  }
}
