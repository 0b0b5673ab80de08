/**
 * Address lookup and encoding of a device's expanded profile (pure). Engineering value →
 * raw (value − offset) / scale, rounded and saturated to the type's range as real devices do →
 * registers through lib/profile/modbus-codec.ts in the point's byte order.
 */
import type { ExpandedPoint } from '../../lib/profile/expand.js';
import { encodeRegisters, decodeRegisters } from '../../lib/profile/modbus-codec.js';
import { registerCount, type ModbusTable, type ModbusType } from '../../lib/profile/modbus-schema.js';

export type EngValue = number | boolean | string | bigint;

const LIMITS: Partial<Record<ModbusType, [bigint, bigint]>> = {
  int16: [-32768n, 32767n], uint16: [0n, 65535n], int32: [-(2n ** 31n), 2n ** 31n - 1n], uint32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n], uint64: [0n, 2n ** 64n - 1n],
};

/** Engineering value → raw value of the point's type (scale/offset inverted, saturated). */
export function toRaw(pt: ExpandedPoint, value: EngValue): number | bigint | string | boolean {
  if (pt.type === 'string') return String(value);
  if (pt.type === 'bool') return Boolean(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') return 0;
  const scale = pt.scale ?? 1;
  const offset = pt.offset ?? 0;
  if (pt.type === 'float32' || pt.type === 'float64') return (Number(value) - offset) / scale;
  const lim = LIMITS[pt.type]!;
  let raw: bigint;
  if (typeof value === 'bigint' && scale === 1 && offset === 0) raw = value;
  else {
    const x = (Number(value) - offset) / scale;
    raw = Number.isFinite(x) ? BigInt(Math.round(x)) : 0n;
  }
  if (raw < lim[0]) raw = lim[0];
  if (raw > lim[1]) raw = lim[1];
  return raw;
}

/** Raw registers written by a client → engineering value. */
export function fromRegisters(pt: ExpandedPoint, regs: number[]): number {
  const raw = decodeRegisters(regs, pt.type, pt.order);
  return Number(raw) * (pt.scale ?? 1) + (pt.offset ?? 0);
}

export function encodePoint(pt: ExpandedPoint, value: EngValue): number[] {
  return encodeRegisters(toRaw(pt, value), pt.type, pt.order, pt.length);
}

export interface RegisterSlot { pt: ExpandedPoint; word: number }

export class RegisterMap {
  readonly bits: Record<'coil' | 'discrete', Map<number, ExpandedPoint>> = { coil: new Map(), discrete: new Map() };
  readonly regs: Record<'input' | 'holding', Map<number, RegisterSlot>> = { input: new Map(), holding: new Map() };
  /** Highest address defined in each table; requests beyond it get exception 2 (illegal data address). */
  readonly end: Record<ModbusTable, number> = { coil: -1, discrete: -1, input: -1, holding: -1 };
  readonly byName = new Map<string, ExpandedPoint>();

  constructor(readonly points: ExpandedPoint[]) {
    for (const pt of points) {
      this.byName.set(pt.name, pt);
      for (const b of pt.bits ?? []) this.byName.set(b.name, pt);
      if (pt.table === 'coil' || pt.table === 'discrete') {
        this.bits[pt.table].set(pt.address, pt);
        this.end[pt.table] = Math.max(this.end[pt.table], pt.address);
      } else {
        const n = registerCount(pt.type, pt.length);
        for (let w = 0; w < n; w++) this.regs[pt.table].set(pt.address + w, { pt, word: w });
        this.end[pt.table] = Math.max(this.end[pt.table], pt.address + n - 1);
      }
    }
  }

  inRange(table: ModbusTable, address: number, count: number): boolean {
    return count > 0 && address + count - 1 <= this.end[table];
  }
}
