/**
 * Encoding and decoding of typed values to and from 16-bit Modbus registers, for every type and
 * byte/word order of the profile schema. Pure; the simulator encodes its truth with it and the
 * agent decodes with it (interop tests against mbpoll and pymodbus keep both honest).
 */
import type { ByteOrder, ModbusType } from './modbus-schema.js';
import { registerCount } from './modbus-schema.js';

export type RawValue = number | bigint | string | boolean;

/** Big-endian bytes (A first) → wire bytes in the given order. The same permutation decodes. */
function permute(bytes: Uint8Array, order: ByteOrder): Uint8Array {
  const n = bytes.length;
  if (order === 'ABCD' || n === 1) return bytes;
  const out = new Uint8Array(n);
  if (order === 'DCBA') {
    for (let i = 0; i < n; i++) out[i] = bytes[n - 1 - i]!;
  } else if (order === 'BADC') {
    for (let i = 0; i < n; i += 2) { out[i] = bytes[i + 1]!; out[i + 1] = bytes[i]!; }
  } else {
    // CDAB: words reversed, bytes inside a word kept.
    const words = n / 2;
    for (let w = 0; w < words; w++) { out[w * 2] = bytes[(words - 1 - w) * 2]!; out[w * 2 + 1] = bytes[(words - 1 - w) * 2 + 1]!; }
  }
  return out;
}

function toRegisters(bytes: Uint8Array): number[] {
  const regs: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) regs.push((bytes[i]! << 8) | bytes[i + 1]!);
  return regs;
}

function toBytes(regs: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(regs.length * 2);
  for (let i = 0; i < regs.length; i++) { out[i * 2] = (regs[i]! >> 8) & 0xff; out[i * 2 + 1] = regs[i]! & 0xff; }
  return out;
}

export class CodecError extends Error {
  constructor(message: string) { super(message); this.name = 'CodecError'; }
}

/** Encode a raw (unscaled) value into registers. Integers are range-checked; strings are ASCII, NUL-padded. */
export function encodeRegisters(value: RawValue, type: ModbusType, order: ByteOrder = 'ABCD', length?: number): number[] {
  const n = registerCount(type, length);
  const buf = new DataView(new ArrayBuffer(n * 2));
  const int = (lo: number | bigint, hi: number | bigint) => {
    const v = typeof value === 'bigint' ? value : BigInt(Math.round(Number(value)));
    if (v < BigInt(lo) || v > BigInt(hi)) throw new CodecError(`${String(value)} does not fit ${type}`);
    return v;
  };
  switch (type) {
    case 'bool': buf.setUint16(0, value ? 1 : 0); break;
    case 'int16': buf.setInt16(0, Number(int(-32768, 32767))); break;
    case 'uint16': buf.setUint16(0, Number(int(0, 65535))); break;
    case 'int32': buf.setInt32(0, Number(int(-2147483648, 2147483647))); break;
    case 'uint32': buf.setUint32(0, Number(int(0, 4294967295))); break;
    case 'float32': buf.setFloat32(0, Number(value)); break;
    case 'int64': buf.setBigInt64(0, int(-(2n ** 63n), 2n ** 63n - 1n)); break;
    case 'uint64': buf.setBigUint64(0, int(0n, 2n ** 64n - 1n)); break;
    case 'float64': buf.setFloat64(0, Number(value)); break;
    case 'string': {
      const s = String(value);
      for (let i = 0; i < Math.min(s.length, n * 2); i++) buf.setUint8(i, s.charCodeAt(i) & 0x7f);
      break;
    }
  }
  const bytes = new Uint8Array(buf.buffer);
  // Strings are a byte sequence; only byte-swap within words applies to them.
  if (type === 'string') return toRegisters(order === 'BADC' || order === 'DCBA' ? permute(bytes, 'BADC') : bytes);
  return toRegisters(permute(bytes, order));
}

/**
 * Decode registers into a raw value. 64-bit integers come back as bigint when they exceed
 * Number.MAX_SAFE_INTEGER, else as number.
 */
export function decodeRegisters(regs: ArrayLike<number>, type: ModbusType, order: ByteOrder = 'ABCD'): RawValue {
  const n = type === 'string' ? regs.length : registerCount(type);
  if (regs.length < n) throw new CodecError(`${type} needs ${n} registers, got ${regs.length}`);
  const wire = toBytes(Array.from({ length: n }, (_, i) => regs[i]!));
  if (type === 'string') {
    const b = order === 'BADC' || order === 'DCBA' ? permute(wire, 'BADC') : wire;
    let s = '';
    for (const c of b) { if (c === 0) break; s += String.fromCharCode(c); }
    return s.trimEnd();
  }
  const bytes = permute(wire, order);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const big = (v: bigint) => (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v);
  switch (type) {
    case 'bool': return dv.getUint16(0) !== 0;
    case 'int16': return dv.getInt16(0);
    case 'uint16': return dv.getUint16(0);
    case 'int32': return dv.getInt32(0);
    case 'uint32': return dv.getUint32(0);
    case 'float32': return dv.getFloat32(0);
    case 'int64': return big(dv.getBigInt64(0));
    case 'uint64': return big(dv.getBigUint64(0));
    case 'float64': return dv.getFloat64(0);
  }
}
