/**
 * Active faults: injected by id, cleared by id. Model faults change the physics (an actuator
 * stuck, a feed lost); point faults change only what a device reports (stuck, offset, spike,
 * dither); protocol faults change how it answers (offline, exception); camera/env faults are
 * delegated to the MQTT device simulators.
 */
import type { ModbusTable } from '../lib/profile/modbus-schema.js';
import { parseFaultSpec, FaultSpecError, type FaultSpec } from './fault-spec.js';
import { SOURCE_PROFILES } from './physics/heat-source.js';
import type { ActuatorFault } from './physics/actuator.js';
import type { SiteModel } from './site-model.js';

export { FaultSpecError };

/** Fault hooks of the delegated simulators (MQTT cameras and env gateways, OPC-UA plant), when they run. */
export interface DelegateFaultHooks {
  camera?(cameraId: string, mode: 'truncated' | 'nan' | 'wrong_types' | 'oversize' | 'offline' | 'occluded' | 'frozen' | null): Promise<void> | void;
  cameraRegionOffset?(cameraId: string, rackIndex: number, offsetC: number): void;
  env?(gatewayId: string, mode: 'truncated' | 'nan' | 'wrong_types' | 'oversize' | 'offline' | null): Promise<void> | void;
  /** One rack-inlet sensor: stuck, silent or offset (null/0 clears). */
  envSensor?(rackId: string, position: 'inlet_top' | 'inlet_middle' | 'inlet_bottom', mode: 'stuck' | 'silent' | 'offset', on: boolean, offsetC?: number): void;
  /** OPC-UA plant node status fault (hardware-sim/plant/opcua-server.ts setNodeFault). */
  opcuaNode?(nodeId: string, mode: 'bad' | 'uncertain' | null): void;
}

export interface ActiveFault { id: string; spec: FaultSpec; injectedAtS: number }

type PointValue = number | boolean | string | bigint;

interface PointFault { id: string; spec: Extract<FaultSpec, { kind: 'stuck' | 'offset' | 'spike' | 'dither' }>; captured?: PointValue; remaining: number }

export class FaultRegistry {
  private readonly active = new Map<string, ActiveFault>();
  private readonly undo = new Map<string, () => void>();
  private readonly pointFaults = new Map<string, PointFault[]>();
  private next = 1;

  constructor(
    private readonly model: SiteModel,
    /** Current reported value of a device point (for `stuck` without a value). */
    private readonly readPoint: (device: string, point: string, unitId: number) => PointValue | undefined,
    /** Device ids: the Modbus devices, and the others (cameras, env gateways, the plant). */
    private readonly knownDevices: () => { modbus: string[]; other: string[] },
    public delegates: DelegateFaultHooks = {},
  ) {}

  list(): ActiveFault[] { return [...this.active.values()]; }

  /** Validate and apply a fault; returns its id. Throws FaultSpecError for a bad or inapplicable spec. */
  async inject(input: unknown): Promise<string> {
    const spec = parseFaultSpec(input);
    const id = `f${this.next++}`;
    this.undo.set(id, await this.apply(id, spec));
    this.active.set(id, { id, spec, injectedAtS: this.model.now });
    return id;
  }

  /** Clear a fault by id; false when no such fault is active. */
  clear(id: string): boolean {
    const u = this.undo.get(id);
    if (!u) return false;
    u();
    this.undo.delete(id);
    this.active.delete(id);
    return true;
  }

  private cameraIds(): string[] { return this.knownDevices().other.filter((d) => d.startsWith('cam-')); }

  /** Device-level faults (offline, exception, point faults) apply to the Modbus devices. */
  private device(id: string): void {
    const { modbus, other } = this.knownDevices();
    if (modbus.includes(id)) return;
    if (other.includes(id)) throw new FaultSpecError(`'${id}' is not a Modbus device: use the camera, env or opcua-node fault kinds`);
    throw new FaultSpecError(`unknown device '${id}' (have ${modbus.join(', ')})`);
  }

  isOffline(device: string): 'silent' | 'refuse' | null {
    for (const f of this.active.values()) {
      if (f.spec.kind === 'offline' && f.spec.device === device) return f.spec.mode ?? 'silent';
      if (f.spec.kind === 'building-power-cut' && f.spec.offline) return 'silent';
    }
    return null;
  }

  /** Exception code for a request on [address, address+count) of a table, if a fault covers it. */
  exceptionFor(device: string, unitId: number, table: ModbusTable, address: number, count: number): number | undefined {
    for (const f of this.active.values()) {
      const s = f.spec;
      if (s.kind !== 'exception' || s.device !== device || s.table !== table) continue;
      if (s.unitId !== undefined && s.unitId !== unitId) continue;
      if (address <= s.to && address + count - 1 >= s.from) return s.code ?? 4;
    }
    return undefined;
  }

  /** Apply point faults to a reported value (engineering units). `consume` = a real read (spikes count down). */
  applyPoint(device: string, unitId: number, point: string, value: PointValue, consume = true): PointValue {
    const list = this.pointFaults.get(`${device}|${point}`);
    if (!list?.length) return value;
    let v = value;
    for (const f of [...list]) {
      const s = f.spec;
      if (s.unitId !== undefined && s.unitId !== unitId) continue;
      switch (s.kind) {
        case 'stuck': v = s.value ?? f.captured ?? v; break;
        case 'offset': if (typeof v === 'number') v += s.delta; break;
        case 'dither': {
          const half = Math.floor((this.model.now * 2) / s.periodS) % 2;
          v = half === 0 ? s.center + s.amplitude : s.center - s.amplitude;
          break;
        }
        case 'spike':
          v = s.value;
          if (consume && --f.remaining <= 0) this.clear(f.id);
          break;
      }
    }
    return v;
  }

  /** Does a point fault touch this point (used for status-bit faults)? */
  hasPointFault(device: string, point: string): boolean {
    return (this.pointFaults.get(`${device}|${point}`)?.length ?? 0) > 0;
  }

  private addPointFault(id: string, spec: PointFault['spec'], captured?: PointValue): () => void {
    const key = `${spec.device}|${spec.point}`;
    const list = this.pointFaults.get(key) ?? [];
    list.push({ id, spec, captured, remaining: spec.kind === 'spike' ? (spec.samples ?? 1) : 0 });
    this.pointFaults.set(key, list);
    return () => {
      const l = this.pointFaults.get(key)?.filter((f) => f.id !== id) ?? [];
      if (l.length) this.pointFaults.set(key, l); else this.pointFaults.delete(key);
    };
  }

  private async apply(id: string, spec: FaultSpec): Promise<() => void> {
    const m = this.model;
    const room = (r: string) => { try { return m.room(r); } catch (e) { throw new FaultSpecError((e as Error).message); } };
    const rack = (r: string, i: number) => { try { return room(r).rack(i); } catch (e) { throw new FaultSpecError((e as Error).message); } };
    switch (spec.kind) {
      case 'offline': this.device(spec.device); return () => {};
      case 'exception':
        this.device(spec.device);
        if (spec.to < spec.from) throw new FaultSpecError(`exception: to (${spec.to}) is below from (${spec.from})`);
        return () => {};
      case 'stuck': case 'offset': case 'spike': case 'dither': {
        this.device(spec.device);
        const current = this.readPoint(spec.device, spec.point, spec.unitId ?? 1);
        if (current === undefined) throw new FaultSpecError(`${spec.device} has no point '${spec.point}'`);
        return this.addPointFault(id, spec, current);
      }
      case 'bms-camera-disagree': {
        const r = rack(spec.room, spec.rack);
        const device = `bms-${spec.room.toLowerCase()}`;
        const delta = spec.bmsDeltaC ?? 60;
        const undos = [`rack.${r.index}.temperature.max`, `rack.${r.index}.temperature.min`,
          ...Array.from({ length: m.cfg.modulesPerRack }, (_, k) => [`rack.${r.index}.module.${k + 1}.temperature.max`, `rack.${r.index}.module.${k + 1}.temperature.min`]).flat()]
          .map((point) => this.addPointFault(id, { kind: 'offset', device, point, delta }));
        const cam = `cam-${spec.room.toLowerCase()}`;
        if (spec.cameraDeltaC) {
          if (!this.delegates.cameraRegionOffset) throw new FaultSpecError('cameraDeltaC needs the camera simulator (start with brokerUrl)');
          this.delegates.cameraRegionOffset(cam, r.index, spec.cameraDeltaC);
        }
        return () => { for (const u of undos) u(); if (spec.cameraDeltaC) this.delegates.cameraRegionOffset?.(cam, r.index, 0); };
      }
      case 'offgas-only': { const r = rack(spec.room, spec.rack); r.offgasForced = true; return () => { r.offgasForced = false; }; }
      case 'actuator': {
        const rm = room(spec.room);
        let act;
        if ((['breaker', 'curtain', 'nozzle', 'spray'] as string[]).includes(spec.actuator)) {
          if (spec.rack === undefined) throw new FaultSpecError(`actuator '${spec.actuator}' is per rack: give rack`);
          act = rack(spec.room, spec.rack)[spec.actuator as 'breaker' | 'curtain' | 'nozzle' | 'spray'];
        } else {
          act = rm.actuators[spec.actuator];
          if (!act) throw new FaultSpecError(`room ${spec.room} has no actuator '${spec.actuator}'`);
        }
        const mode = spec.mode as ActuatorFault;
        if (spec.afterS !== undefined) act.recloseAfterS = spec.afterS;
        act.addFault(mode);
        const a = act;
        return () => a.removeFault(mode);
      }
      case 'patch-fire': {
        const r = rack(spec.room, spec.rack);
        if (!r.patchFired) { r.patchFired = true; r.patchFiredAtS = m.now; }
        return () => {};
      }
      case 'env-sensor': {
        const hook = this.delegates.envSensor;
        if (!hook) throw new FaultSpecError('env-sensor faults need the rack-inlet sensor simulator (start the simulator with brokerUrl)');
        const pos = spec.position ?? 'inlet_middle';
        if (spec.mode === 'offset' && spec.offsetC === undefined) throw new FaultSpecError("env-sensor offset needs 'offsetC'");
        try { hook(spec.rack, pos, spec.mode, true, spec.offsetC); } catch (e) { throw new FaultSpecError((e as Error).message); }
        return () => hook(spec.rack, pos, spec.mode, false);
      }
      case 'opcua-node': {
        const hook = this.delegates.opcuaNode;
        if (!hook) throw new FaultSpecError('opcua-node faults need the OPC-UA plant (opcuaEnabled)');
        try { hook(spec.nodeId, spec.mode); } catch (e) { throw new FaultSpecError((e as Error).message); }
        return () => hook(spec.nodeId, null);
      }
      case 'patch-never-fires': { const r = rack(spec.room, spec.rack); r.patchNeverFires = true; return () => { r.patchNeverFires = false; }; }
      case 'gas-store-low': {
        const rm = room(spec.room);
        const before = rm.gasStorePct;
        rm.gasStorePct = spec.pressurePct ?? 80;
        return () => { if (rm.gasReleasedAtS === null) rm.gasStorePct = before; };
      }
      case 'water-supply-lost': { const rm = room(spec.room); rm.waterSupplyOk = false; return () => { rm.waterSupplyOk = true; }; }
      case 'drain-tank-full': { const rm = room(spec.room); rm.tankLevelForcedPct = spec.levelPct ?? 96; return () => { rm.tankLevelForcedPct = null; }; }
      case 'building-power-cut': {
        m.feeds.A.breakerClosed = false; m.feeds.B.breakerClosed = false;
        for (const z of m.zones) z.epo = true;
        const offline = spec.offline === true;
        if (offline) for (const id of this.cameraIds()) await this.delegates.camera?.(id, 'offline');
        return () => {
          m.feeds.A.breakerClosed = true; m.feeds.B.breakerClosed = true;
          for (const z of m.zones) z.epo = false;
          if (offline) for (const id of this.cameraIds()) void this.delegates.camera?.(id, null);
        };
      }
      case 'feed-loss': { const f = m.feeds[spec.feed]; f.available = false; return () => { f.available = true; }; }
      case 'ups-fault': {
        let z;
        try { z = m.zone(spec.zone); } catch (e) { throw new FaultSpecError((e as Error).message); }
        const zz = z;
        if ((spec.mode ?? 'bypass') === 'bypass') { zz.fault = true; return () => { zz.fault = false; }; }
        zz.rectifierFault = true;
        return () => { zz.rectifierFault = false; };
      }
      case 'rack-heat': {
        const r = rack(spec.room, spec.rack);
        r.heldTemperatureC = spec.temperatureC;
        r.temperatureC = spec.temperatureC;
        return () => { if (r.heldTemperatureC === spec.temperatureC) r.heldTemperatureC = null; };
      }
      case 'reignite': { const r = rack(spec.room, spec.rack); r.startSource(SOURCE_PROFILES[spec.profile ?? 'fast'], m.now); return () => {}; }
      case 'input': {
        const rm = room(spec.room);
        const field = ({ abort: 'abort', 'abort.circuit.ok': 'abortCircuitOk', 'manual.release': 'manualRelease', lockoff: 'lockoff' } as const)[spec.input as 'abort'];
        if (spec.input === 'smoke') { rm.smokeForced = spec.value; return () => { rm.smokeForced = null; }; }
        const before = rm[field];
        rm[field] = spec.value;
        return () => { rm[field] = before; };
      }
      case 'camera': {
        const hook = this.delegates.camera;
        if (!hook) throw new FaultSpecError('camera faults need the camera simulator (start the simulator with brokerUrl)');
        await hook(spec.camera, spec.mode);
        return () => { void hook(spec.camera, null); };
      }
      case 'env': {
        const hook = this.delegates.env;
        if (!hook) throw new FaultSpecError('env faults need the rack-inlet sensor simulator (start the simulator with brokerUrl)');
        await hook(spec.gateway, spec.mode);
        return () => { void hook(spec.gateway, null); };
      }
    }
  }
}
