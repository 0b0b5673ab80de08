/**
 * A Modbus device profile file (agent/profiles/*.yaml): a device model read like a datasheet.
 * The register map itself is a `ModbusProfileSection` (modbus-schema.ts); this wraps it with the
 * profile's id, description and the parameters its arrays expand with ($racks, $modules).
 *
 *   profile: sim-bms
 *   description: Battery management system, one per battery room
 *   params:
 *     racks: { default: 8, min: 1, max: 100, description: racks in the room }
 *   modbus:
 *     order: ABCD
 *     points: [...]
 *     arrays: [...]
 */
import { Type, type Static } from '@sinclair/typebox';
import { loadConfigFile } from '../config/load.js';
import { ModbusProfileSection } from './modbus-schema.js';

export const ProfileParam = Type.Object(
  {
    default: Type.Integer({ minimum: 0 }),
    min: Type.Optional(Type.Integer({ minimum: 0 })),
    max: Type.Optional(Type.Integer({ minimum: 0 })),
    description: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type ProfileParam = Static<typeof ProfileParam>;

export const ModbusProfileFile = Type.Object(
  {
    profile: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$', description: 'profile id, equal to the file name without .yaml' }),
    description: Type.String({ minLength: 1 }),
    manufacturer: Type.Optional(Type.String()),
    model: Type.Optional(Type.String()),
    kind: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]*$', description: 'device kind, e.g. ups, bms, fire-io, ats, meter, pdu' })),
    protocol: Type.Literal('modbus'),
    /** Parameters a device sets to expand the arrays (count: $name). */
    params: Type.Optional(Type.Record(Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9]*$' }), ProfileParam)),
    modbus: ModbusProfileSection,
  },
  { additionalProperties: false },
);
export type ModbusProfileFile = Static<typeof ModbusProfileFile>;

export class ProfileParamError extends Error {
  constructor(message: string) { super(message); this.name = 'ProfileParamError'; }
}

/** Load and validate a profile file (errors name file:line:col key.path). */
export function loadModbusProfile(file: string): ModbusProfileFile {
  return loadConfigFile(file, ModbusProfileFile);
}

/** The profile's parameter defaults overlaid with a device's values, bounds-checked. */
export function resolveProfileParams(profile: ModbusProfileFile, given: Record<string, number> = {}): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, p] of Object.entries(profile.params ?? {})) {
    const v = given[k] ?? p.default;
    if (!Number.isInteger(v)) throw new ProfileParamError(`profile ${profile.profile}: parameter ${k} must be an integer, got ${v}`);
    if (p.min !== undefined && v < p.min) throw new ProfileParamError(`profile ${profile.profile}: parameter ${k}=${v} is below ${p.min}`);
    if (p.max !== undefined && v > p.max) throw new ProfileParamError(`profile ${profile.profile}: parameter ${k}=${v} is above ${p.max}`);
    out[k] = v;
  }
  for (const k of Object.keys(given)) {
    if (!(k in out)) throw new ProfileParamError(`profile ${profile.profile}: unknown parameter '${k}' (known: ${Object.keys(out).join(', ') || 'none'})`);
  }
  return out;
}
