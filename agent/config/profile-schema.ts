/**
 * A profile: one device model, read like a datasheet (STYLE.md lesson 3). One YAML file per
 * profile, named after it; `protocol` names the one protocol section present. A new vendor is a
 * new profile file, no code. A superset of lib/profile/profile-file.ts (Modbus profiles the
 * simulator also serves), adding OPC-UA and MQTT sections and a device kind.
 *
 * ```yaml
 * profile: sim-ups
 * description: Simulated UPS
 * manufacturer: dcim simulator
 * model: SIM-UPS-400
 * kind: ups
 * protocol: modbus
 * params:                         # optional: values devices set for `count: $racks`
 *   racks: { default: 8, min: 1, max: 100 }
 * modbus:
 *   order: ABCD
 *   points:
 *     - { name: ups.load, table: input, address: 6, type: uint16, scale: 0.1, unit: '%' }
 * ```
 */
import { Type, type Static } from '@sinclair/typebox';
import { ModbusProfileSection } from '../../lib/profile/modbus-schema.js';
import { ProfileParam } from '../../lib/profile/profile-file.js';
import { OpcuaProfileSection } from '../drivers/opcua/config.js';
import { MqttProfileSection } from '../drivers/mqtt/config.js';

export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';

export const PROTOCOLS = ['modbus', 'opcua', 'mqtt'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const Profile = Type.Object(
  {
    profile: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$', description: 'profile id, named by devices (`profile: sim-ups`); by convention the file name' }),
    description: Type.String({ minLength: 1, description: 'what the device is' }),
    manufacturer: Type.Optional(Type.String()),
    model: Type.Optional(Type.String({ description: 'model name (and firmware the map was written for)' })),
    kind: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]*$', description: 'device kind, e.g. ups, bms, fire-io, ats, meter, pdu, chiller, camera, env' })),
    protocol: Type.Union(PROTOCOLS.map((p) => Type.Literal(p)), { description: 'modbus | opcua | mqtt: the section below that holds the map' }),
    params: Type.Optional(Type.Record(Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9]*$' }), ProfileParam, { description: 'parameters a device sets (`params: { racks: 8 }`) to expand arrays with `count: $racks`; default and bounds' })),
    modbus: Type.Optional(ModbusProfileSection),
    opcua: Type.Optional(OpcuaProfileSection),
    mqtt: Type.Optional(MqttProfileSection),
  },
  { additionalProperties: false },
);
export type Profile = Static<typeof Profile>;

/** The protocol of a device: the one protocol section present (undefined if none or several). */
export function protocolOf(x: Partial<Record<Protocol, unknown>>): Protocol | undefined {
  const present = PROTOCOLS.filter((p) => x[p] !== undefined);
  return present.length === 1 ? present[0] : undefined;
}

/** The profile's parameter defaults overlaid with a device's values; returns the values and the problems found. */
export function profileParams(profile: Profile, given: Record<string, number> = {}): { values: Record<string, number>; problems: string[] } {
  const values: Record<string, number> = {};
  const problems: string[] = [];
  // OPC-UA and MQTT profiles may leave parameters undeclared: the device's values are used as given.
  if (!profile.params && profile.protocol !== 'modbus') return { values: { ...given }, problems };
  for (const [k, p] of Object.entries(profile.params ?? {})) {
    const v = given[k] ?? p.default;
    if (p.min !== undefined && v < p.min) problems.push(`${k}=${v} is below ${p.min} (profile ${profile.profile})`);
    else if (p.max !== undefined && v > p.max) problems.push(`${k}=${v} is above ${p.max} (profile ${profile.profile})`);
    values[k] = v;
  }
  for (const k of Object.keys(given)) {
    if (!(k in values)) problems.push(`unknown parameter '${k}' (profile ${profile.profile} takes ${Object.keys(values).join(', ') || 'none'})`);
  }
  return { values, problems };
}
