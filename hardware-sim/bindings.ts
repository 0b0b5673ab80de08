/**
 * Binds each profile point of a simulated device to the model: a getter for the true value (in
 * engineering units, before the profile's scale) and, for writable points, a setter. Points are
 * matched by their template name (indexes replaced by {rack}, {module}).
 */
import type { ExpandedPoint } from '../lib/profile/expand.js';
import type { ModbusDeviceSpec } from './devices.js';
import type { SiteModel } from './site-model.js';

export type TrueValue = number | boolean | string | bigint;
type Getter = (idx: Record<string, number>, unitId: number) => TrueValue;
type Setter = (idx: Record<string, number>, unitId: number, value: number | boolean) => void;

export class BindingError extends Error {
  constructor(message: string) { super(message); this.name = 'BindingError'; }
}

/** `rack.3.module.5.voltage` with indexes {rack:3, module:5} → `rack.{rack}.module.{module}.voltage`. */
export function templateName(pt: ExpandedPoint): string {
  const keys = Object.keys(pt.indexes);
  let i = 0;
  return pt.name.split('.').map((seg) => (/^\d+$/.test(seg) && i < keys.length ? `{${keys[i++]}}` : seg)).join('.');
}

const bits = (...flags: boolean[]) => flags.reduce((w, f, i) => w | (f ? 1 << i : 0), 0);
const wh = (v: number) => BigInt(Math.floor(v));

function upsGetters(m: SiteModel, spec: ModbusDeviceSpec): Record<string, Getter> {
  const z = () => m.zones[spec.index! - 1]!;
  const vin = (k: number) => () => (m.busLive && !z().rectifierFault ? 230 + [0.1, -0.2, 0.4][k]! : 0);
  const vout = () => (z().outputLive ? m.cfg.power.upsOutputVoltageV : 0);
  return {
    'input.L1-N.voltage': vin(0), 'input.L2-N.voltage': vin(1), 'input.L3-N.voltage': vin(2),
    'input.frequency': () => (m.busLive && !z().rectifierFault ? 50 : 0),
    'output.voltage': vout,
    'output.frequency': () => (z().outputLive ? 50 : 0),
    'ups.load': () => (z().outputW / m.cfg.power.upsRatedW) * 100,
    'output.realpower': () => z().outputW,
    'battery.charge': () => z().chargePct,
    'battery.temperature': () => z().room.racks.reduce((s, r) => s + r.temperatureC, 0) / z().room.racks.length,
    'battery.runtime': () => z().runtimeS,
    'battery.voltage': () => z().room.racks.reduce((s, r) => s + r.voltage, 0) / z().room.racks.length,
    'battery.current': () => z().room.racks.reduce((s, r) => s + r.currentA, 0),
    'ups.status.flags': () => {
      const u = z();
      return bits(u.outputLive && !u.onBattery && !u.bypass, u.onBattery && u.outputLive, u.lowBattery, u.bypass, u.charging, u.fault || u.rectifierFault || u.epo);
    },
    'battery.charge.low': () => z().lowBatteryPct,
    'device.model': () => 'SIM-UPS-400',
  };
}

function bmsGetters(m: SiteModel, spec: ModbusDeviceSpec): Record<string, Getter> {
  const room = () => m.rooms[spec.index! - 1]!;
  const rack = (i: Record<string, number>) => room().rack(i.rack!);
  const amb = m.cfg.thermal.ambientC;
  const modTemps = (r: ReturnType<typeof rack>) => Array.from({ length: m.cfg.modulesPerRack }, (_, k) => r.moduleTemperature(k + 1, amb));
  return {
    'bms.racks': () => m.cfg.racksPerRoom,
    'bms.modules': () => m.cfg.modulesPerRack,
    'rack.{rack}.temperature.max': (i) => Math.max(...modTemps(rack(i)).map((t) => t.max)),
    'rack.{rack}.temperature.min': (i) => Math.min(...modTemps(rack(i)).map((t) => t.min)),
    'rack.{rack}.soc': (i) => rack(i).soc,
    'rack.{rack}.current': (i) => rack(i).currentA,
    'rack.{rack}.voltage': (i) => rack(i).voltage,
    'rack.{rack}.status': (i) => {
      const r = rack(i);
      return bits(r.currentA > 0.01, r.currentA < -0.01, r.dcClosed, Math.max(...modTemps(r).map((t) => t.max)) >= 55);
    },
    'rack.{rack}.module.{module}.temperature.max': (i) => rack(i).moduleTemperature(i.module!, amb).max,
    'rack.{rack}.module.{module}.temperature.min': (i) => rack(i).moduleTemperature(i.module!, amb).min,
    'rack.{rack}.module.{module}.voltage': (i) => rack(i).moduleVoltage(i.module!),
  };
}

/** Probe readings: probes sit near the hot spot but read a little lower than it. */
export const PROBE_GAIN = { a: 0.95, b: 0.92 } as const;

function fireGetters(m: SiteModel, spec: ModbusDeviceSpec): { get: Record<string, Getter>; set: Record<string, Setter> } {
  const room = () => m.rooms[spec.index! - 1]!;
  const rack = (i: Record<string, number>) => room().rack(i.rack!);
  const amb = m.cfg.thermal.ambientC;
  const probe = (g: number) => (i: Record<string, number>) => amb + g * (rack(i).temperatureC - amb);
  const roomAct = (name: keyof ReturnType<typeof room>['actuators']): [Getter, Setter] => [
    () => room().actuators[name]!.cmd,
    (_i, _u, v) => room().actuators[name]!.write(Boolean(v), m.now),
  ];
  const rackAct = (name: 'breaker' | 'curtain' | 'nozzle' | 'spray'): [Getter, Setter] => [
    (i) => rack(i)[name].cmd,
    (i, _u, v) => rack(i)[name].write(Boolean(v), m.now),
  ];
  const acts: Record<string, [Getter, Setter]> = {
    'room.upstream.breaker.open.cmd': roomAct('upstream'),
    'room.charge.inhibit.cmd': roomAct('charge-inhibit'),
    'room.drain.pump.cmd': roomAct('pump'),
    // With a releasing panel (FS-14) the agent's release coils are the panel's request inputs.
    'room.gas.release.cmd': room().panel ? [() => room().panel!.gasRequest, (_i, _u, v) => room().panel!.requestGas(Boolean(v), m.now)] : roomAct('gas'),
    'room.hvac.stop.cmd': roomAct('hvac'),
    'room.dampers.close.cmd': roomAct('dampers'),
    'room.predischarge.cmd': roomAct('predischarge'),
    'rack.{rack}.breaker.open.cmd': rackAct('breaker'),
    'rack.{rack}.curtain.down.cmd': rackAct('curtain'),
    'rack.{rack}.nozzle.release.cmd': room().panel
      ? [(i) => room().panel!.nozzleRequests[i.rack! - 1] ?? false, (i, _u, v) => room().panel!.requestNozzle(i.rack!, Boolean(v), m.now)]
      : rackAct('nozzle'),
    'rack.{rack}.spray.cmd': rackAct('spray'),
  };
  const get: Record<string, Getter> = {
    'room.upstream.breaker.open': () => room().upstream.feedback,
    'room.charge.inhibited': () => room().chargeInhibit.feedback,
    'room.drain.pump.running': () => room().pump.feedback,
    'room.water.supply.ok': () => room().waterSupplyOk,
    'room.gas.pressure': () => room().gasPressure,
    'room.hvac.stopped': () => room().hvac.feedback,
    'room.dampers.closed': () => room().dampers.feedback,
    'room.abort': () => room().abort,
    'room.abort.circuit.ok': () => room().abortCircuitOk,
    'room.manual.release': () => room().manualRelease,
    'room.lockoff': () => room().lockoff,
    'room.smoke': () => room().roomSmoke,
    'room.tank.level': () => room().tankLevel,
    'room.gas.store.pressure': () => room().gasStorePct,
    'room.lfl': () => room().lflPct,
    'room.co': () => room().coPpm,
    'room.temperature': () => room().roomTemperatureC,
    'rack.{rack}.smoke': (i) => rack(i).smoke,
    'rack.{rack}.offgas': (i) => rack(i).offgas,
    'rack.{rack}.patch.fired': (i) => rack(i).patchFired,
    'rack.{rack}.breaker.open': (i) => rack(i).breaker.feedback,
    'rack.{rack}.curtain.down': (i) => rack(i).curtain.feedback,
    'rack.{rack}.nozzle.pressure': (i) => rack(i).nozzlePressure,
    'rack.{rack}.spray.flow': (i) => rack(i).spray.feedback,
    'rack.{rack}.probe.a.temperature': probe(PROBE_GAIN.a),
    'rack.{rack}.probe.b.temperature': probe(PROBE_GAIN.b),
    'rack.{rack}.breaker.current': (i) => (room().upstream.active ? 0 : rack(i).currentA),
  };
  const set: Record<string, Setter> = {};
  for (const [k, [g, s]] of Object.entries(acts)) { get[k] = g; set[k] = s; }
  return { get, set };
}

function atsGetters(m: SiteModel): { get: Record<string, Getter>; set: Record<string, Setter> } {
  const f = (id: 'A' | 'B') => m.feeds[id];
  const feed = (id: 'A' | 'B', key: string): Record<string, Getter> => ({
    [`feed.${key}.voltage`]: () => f(id).voltage,
    [`feed.${key}.current`]: () => f(id).currentA,
    [`feed.${key}.realpower`]: () => f(id).powerW,
    [`feed.${key}.energy`]: () => wh(f(id).energyWh),
    [`feed.${key}.breaker.closed`]: () => f(id).breakerClosed,
    [`feed.${key}.available`]: () => f(id).available,
  });
  return {
    get: {
      ...feed('A', 'a'), ...feed('B', 'b'),
      'ats.source': () => (m.ats.source === 'A' ? 1 : m.ats.source === 'B' ? 2 : 0),
      'ats.transferring': () => m.ats.transferring,
      'ats.transfer.delay': () => m.ats.delayS,
    },
    set: { 'ats.transfer.delay': (_i, _u, v) => { m.ats.delayS = Number(v); } },
  };
}

function meterGetters(m: SiteModel): Record<string, Getter> {
  const out: Record<string, Getter> = {};
  for (const id of ['intake', 'it', 'cooling', 'other'] as const) {
    out[`meter.${id}.realpower`] = () => m.meters[id].powerW;
    out[`meter.${id}.energy`] = () => wh(m.meters[id].energyWh);
  }
  return out;
}

function pduGetters(m: SiteModel): Record<string, Getter> {
  const pdu = (u: number) => {
    const p = m.pdus[u - 1];
    if (!p) throw new BindingError(`pdu-gw-1 has no unit ${u}`);
    return p;
  };
  const v = m.cfg.power.pduVoltageV;
  return {
    'pdu.a.voltage': (_i, u) => (pdu(u).sideAW > 0 || m.zones[pdu(u).zoneA - 1]!.outputLive ? v : 0),
    'pdu.a.current': (_i, u) => pdu(u).sideAW / v,
    'pdu.a.realpower': (_i, u) => pdu(u).sideAW,
    'pdu.a.energy': (_i, u) => Math.floor(pdu(u).energyAWh) % 2 ** 32,
    'pdu.b.voltage': (_i, u) => (pdu(u).sideBW > 0 || m.zones[pdu(u).zoneB - 1]!.outputLive ? v : 0),
    'pdu.b.current': (_i, u) => pdu(u).sideBW / v,
    'pdu.b.realpower': (_i, u) => pdu(u).sideBW,
    'pdu.b.energy': (_i, u) => Math.floor(pdu(u).energyBWh) % 2 ** 32,
  };
}

export interface DeviceBinding {
  get(pt: ExpandedPoint, unitId: number): TrueValue;
  /** Undefined when the point is not writable in the model. */
  setter(pt: ExpandedPoint): ((unitId: number, value: number | boolean) => void) | undefined;
}

/** Bind every point of a device; throws BindingError naming any profile point the model lacks. */
export function bindDevice(m: SiteModel, spec: ModbusDeviceSpec, points: ExpandedPoint[]): DeviceBinding {
  let get: Record<string, Getter>;
  let set: Record<string, Setter> = {};
  switch (spec.kind) {
    case 'ups': get = upsGetters(m, spec); set = { 'battery.charge.low': (_i, _u, v) => { m.zones[spec.index! - 1]!.lowBatteryPct = Number(v); } }; break;
    case 'bms': get = bmsGetters(m, spec); break;
    case 'fire': ({ get, set } = fireGetters(m, spec)); break;
    case 'ats': ({ get, set } = atsGetters(m)); break;
    case 'meters': get = meterGetters(m); break;
    case 'pdu': get = pduGetters(m); break;
  }
  const missing = [...new Set(points.map(templateName))].filter((t) => !get[t]);
  if (missing.length) throw new BindingError(`${spec.id} (${spec.profile}): the simulator has no value for ${missing.join(', ')}`);
  return {
    get: (pt, unitId) => get[templateName(pt)]!(pt.indexes, unitId),
    setter: (pt) => {
      const s = set[templateName(pt)];
      return s ? (unitId, value) => s(pt.indexes, unitId, value) : undefined;
    },
  };
}
