/**
 * Turn one read response into raw readings for the points it covers (lib/profile/modbus-codec.ts
 * for multi-register types, fast paths for 16-bit ones). Bit fields become one boolean reading per
 * bit. A value that cannot be decoded is a reading with `parse_error`, never a throw.
 */
import { decodeRegisters } from '../../../lib/profile/modbus-codec.js';
import type { ModbusPointPlan } from '../../config/points.js';
import type { RawReading, RawScalar } from '../types.js';

function bitOf(v: RawScalar, bit: number): boolean {
  if (typeof v === 'bigint') return ((v >> BigInt(bit)) & 1n) === 1n;
  if (typeof v === 'number') return bit < 32 ? ((v >>> bit) & 1) === 1 : Math.floor(v / 2 ** bit) % 2 === 1;
  return false;
}

/** Decode one point from a register response at `offset`. Throws CodecError on a short response. */
export function decodePoint(p: ModbusPointPlan, data: ArrayLike<number> | ArrayLike<boolean>, offset: number): RawScalar {
  if (p.table === 'coil' || p.table === 'discrete') {
    const b = (data as ArrayLike<boolean>)[offset];
    if (b === undefined) throw new Error(`short response: no bit at offset ${offset}`);
    return Boolean(b);
  }
  const regs = data as ArrayLike<number>;
  const w = regs[offset];
  if (w === undefined) throw new Error(`short response: no register at offset ${offset}`);
  switch (p.type) {
    case 'bool': return w !== 0;
    case 'uint16': return p.order === 'BADC' || p.order === 'DCBA' ? ((w & 0xff) << 8) | (w >> 8) : w;
    case 'int16': {
      const v = p.order === 'BADC' || p.order === 'DCBA' ? ((w & 0xff) << 8) | (w >> 8) : w;
      return (v << 16) >> 16;
    }
    default: {
      const n = p.type === 'string' ? (p.length ?? 1) : p.type.endsWith('64') ? 4 : 2;
      if (offset + n > regs.length) throw new Error(`short response: ${p.type} needs ${n} registers at offset ${offset}`);
      const slice = Array.prototype.slice.call(regs, offset, offset + n) as number[];
      return decodeRegisters(slice, p.type, p.order);
    }
  }
}

/** Append the readings of the points of one response. */
export function decodeInto(out: RawReading[], device: string, ts: number, points: readonly ModbusPointPlan[], items: readonly { index: number; offset: number }[], data: ArrayLike<number> | ArrayLike<boolean>): void {
  for (const it of items) {
    const p = points[it.index]!;
    let raw: RawScalar;
    try {
      raw = decodePoint(p, data, it.offset);
    } catch (err) {
      pushError(out, device, ts, p, 'parse_error');
      continue;
    }
    if (p.bits) for (const b of p.bits) out.push({ device, point: b.name, raw: bitOf(raw, b.bit), ts });
    else out.push({ device, point: p.name, raw, ts });
  }
}

/** Readings with an error for a point (every bit of a bit field). */
export function pushError(out: RawReading[], device: string, ts: number, p: ModbusPointPlan, error: string): void {
  if (p.bits) for (const b of p.bits) out.push({ device, point: b.name, raw: null, ts, error });
  else out.push({ device, point: p.name, raw: null, ts, error });
}
