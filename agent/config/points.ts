/**
 * The points a device reports, from its profile and parameters: one `PointDef` per reported
 * point (for the normaliser and the birth message). Modbus arrays are expanded by
 * lib/profile/expand.ts and bit fields become one boolean point per bit (the word itself is
 * not reported). OPC-UA and MQTT arrays are expanded here by name only; their drivers expand
 * node ids and JSON paths themselves.
 */
import { expandModbusProfile, ProfileExpansionError, type ExpandedPoint } from '../../lib/profile/expand.js';
import type { PointDef } from '../points/normalise.js';
import type { Profile } from './profile-schema.js';

export interface ModbusPointPlan extends ExpandedPoint {
  /** Poll group (profile `group`, else the device's `pollGroup`, else `normal`). */
  pollGroup: string;
}

export function modbusPointDefs(points: ExpandedPoint[]): PointDef[] {
  const out: PointDef[] = [];
  for (const p of points) {
    if (p.bits) {
      for (const b of p.bits) out.push(withFire({ name: b.name, type: 'bool' }, p.fire));
      continue;
    }
    const d: PointDef = { name: p.name, type: p.type };
    if (p.unit !== undefined) d.unit = p.unit;
    if (p.scale !== undefined) d.scale = p.scale;
    if (p.offset !== undefined) d.offset = p.offset;
    if (p.range) d.range = p.range;
    if (p.map) d.map = p.map;
    out.push(withFire(d, p.fire));
  }
  return out;
}

function withFire(d: PointDef, fire: boolean | undefined): PointDef {
  if (fire) d.fire = true;
  return d;
}

interface GenericPoint { name: string; unit?: string; scale?: number; offset?: number; range?: { min: number; max: number }; map?: Record<string, string>; fire?: boolean; type?: string }
interface GenericArray { index: string; count: number | string; start?: number; points: GenericPoint[] }

function fill(name: string, idx: Record<string, number>): string {
  return name.replace(/\{([a-zA-Z][a-zA-Z0-9]*)([+-]\d+)?\}/g, (_m, k: string, delta?: string) => {
    const v = idx[k];
    if (v === undefined) throw new ProfileExpansionError(`point name ${name}: unknown placeholder {${k}}`);
    return String(v + (delta ? Number(delta) : 0));
  });
}

function genericDefs(points: GenericPoint[], arrays: GenericArray[], params: Record<string, number>): PointDef[] {
  const out: PointDef[] = [];
  const one = (p: GenericPoint, idx: Record<string, number>) => {
    const d: PointDef = { name: fill(p.name, idx) };
    for (const k of ['unit', 'scale', 'offset', 'range', 'map', 'type'] as const) if (p[k] !== undefined) (d as unknown as Record<string, unknown>)[k] = p[k];
    out.push(withFire(d, p.fire));
  };
  for (const p of points) one(p, {});
  for (const a of arrays) {
    let count: number;
    if (typeof a.count === 'number') count = a.count;
    else {
      const v = params[a.count.slice(1)];
      if (v === undefined) throw new ProfileExpansionError(`array {${a.index}} count ${a.count}: the device sets no parameter '${a.count.slice(1)}'`);
      count = v;
    }
    for (let i = 0; i < count; i++) for (const p of a.points) one(p, { [a.index]: (a.start ?? 1) + i });
  }
  return out;
}

export interface DevicePoints {
  defs: PointDef[];
  /** Modbus only: the expanded register map with poll groups. */
  modbus?: ModbusPointPlan[];
}

/** Expand a profile for a device. Throws ProfileExpansionError (missing parameter, bad placeholder). */
export function devicePoints(profile: Profile, params: Record<string, number>, defaultGroup: string): DevicePoints {
  if (profile.modbus) {
    const expanded = expandModbusProfile(profile.modbus, params);
    return { defs: modbusPointDefs(expanded), modbus: expanded.map((p) => ({ ...p, pollGroup: p.group ?? defaultGroup })) };
  }
  if (profile.opcua) return { defs: genericDefs(profile.opcua.points, (profile.opcua.arrays ?? []) as GenericArray[], params) };
  if (profile.mqtt) {
    const defs: PointDef[] = [];
    for (const t of profile.mqtt.topics) defs.push(...genericDefs(t.points, (t.arrays ?? []) as GenericArray[], params));
    return { defs };
  }
  return { defs: [] };
}
