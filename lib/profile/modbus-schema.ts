/**
 * Modbus part of a device profile (a device model, read like a datasheet). Shared by the agent
 * (which reads devices through it) and the hardware simulator (which serves its truth through
 * the same maps), so a register map is written once, as data.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

export const MODBUS_TABLES = ['coil', 'discrete', 'input', 'holding'] as const;
export type ModbusTable = (typeof MODBUS_TABLES)[number];

export const MODBUS_TYPES = ['bool', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'int64', 'uint64', 'float64', 'string'] as const;
export type ModbusType = (typeof MODBUS_TYPES)[number];

/**
 * Byte/word order of multi-register values, named after the order of bytes A (most significant)
 * to D as they appear on the wire: ABCD big-endian (Modbus default), CDAB word-swapped,
 * BADC byte-swapped, DCBA little-endian. For 64-bit values the same swap applies per pair
 * (ABCD → ABCDEFGH, CDAB → GHEFCDAB, BADC → BADCFEHG, DCBA → HGFEDCBA).
 */
export const BYTE_ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;
export type ByteOrder = (typeof BYTE_ORDERS)[number];

const lit = <T extends readonly string[]>(xs: T) => Type.Union(xs.map((x) => Type.Literal(x)) as TSchema[]) as unknown as ReturnType<typeof Type.Unsafe<T[number]>>;

export const BitField = Type.Object(
  {
    bit: Type.Integer({ minimum: 0, maximum: 63, description: 'bit number, 0 = least significant' }),
    name: Type.String({ minLength: 1, description: 'point name of this bit (a boolean point)' }),
    description: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const ModbusPoint = Type.Object(
  {
    name: Type.String({ minLength: 1, description: 'point name (NUT style); `{index}` placeholders inside arrays' }),
    table: lit(MODBUS_TABLES),
    address: Type.Integer({ minimum: 0, maximum: 65535, description: 'zero-based register or bit address' }),
    type: lit(MODBUS_TYPES),
    order: Type.Optional(lit(BYTE_ORDERS)),
    length: Type.Optional(Type.Integer({ minimum: 1, maximum: 64, description: 'registers, for type string' })),
    scale: Type.Optional(Type.Number({ description: 'value = raw * scale + offset' })),
    offset: Type.Optional(Type.Number()),
    unit: Type.Optional(Type.String()),
    group: Type.Optional(Type.String({ description: 'poll group name (device decides the interval)' })),
    description: Type.Optional(Type.String()),
    range: Type.Optional(Type.Object({ min: Type.Number(), max: Type.Number() }, { additionalProperties: false, description: 'physical range; outside → quality bad, out_of_range' })),
    map: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'raw value → text' })),
    bits: Type.Optional(Type.Array(BitField, { description: 'each bit becomes its own boolean point; the word itself is not reported unless `name` is kept' })),
    writable: Type.Optional(Type.Boolean({ description: 'the agent may write it (actuators)' })),
    fire: Type.Optional(Type.Boolean({ description: 'fire-relevant: never held back by report-by-exception' })),
  },
  { additionalProperties: false },
);
export type ModbusPoint = Static<typeof ModbusPoint>;

/** A repeated block of points (racks × modules), expanded with the device's parameters. */
export const ModbusArray = Type.Recursive((Self) =>
  Type.Object(
    {
      index: Type.String({ pattern: '^[a-z][a-zA-Z0-9]*$', description: 'placeholder name used as {index} in point names' }),
      count: Type.Union([Type.Integer({ minimum: 0, maximum: 100000 }), Type.String({ pattern: '^\\$[a-zA-Z][a-zA-Z0-9]*$' })], { description: 'how many; a number or $param from the device' }),
      stride: Type.Integer({ minimum: 0, description: 'address step per index, added to every address inside' }),
      start: Type.Optional(Type.Integer({ minimum: 0, description: 'first index value (default 1)' })),
      pad: Type.Optional(Type.Integer({ minimum: 0, maximum: 6, description: 'zero-pad the index in names (default none)' })),
      points: Type.Array(ModbusPoint),
      arrays: Type.Optional(Type.Array(Self)),
    },
    { additionalProperties: false },
  ),
);
export type ModbusArray = Static<typeof ModbusArray>;

export const ModbusProfileSection = Type.Object(
  {
    order: Type.Optional(lit(BYTE_ORDERS)),
    points: Type.Array(ModbusPoint),
    arrays: Type.Optional(Type.Array(ModbusArray)),
  },
  { additionalProperties: false },
);
export type ModbusProfileSection = Static<typeof ModbusProfileSection>;

/** How many 16-bit registers a value of this type occupies. */
export function registerCount(type: ModbusType, length?: number): number {
  switch (type) {
    case 'bool': case 'int16': case 'uint16': return 1;
    case 'int32': case 'uint32': case 'float32': return 2;
    case 'int64': case 'uint64': case 'float64': return 4;
    case 'string': return length ?? 1;
  }
}
