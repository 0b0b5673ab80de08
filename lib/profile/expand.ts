/**
 * Expand a Modbus profile section into a flat list of concrete points: arrays are unrolled
 * with the device's parameters, `{index}` placeholders filled and addresses offset. Pure.
 */
import type { ModbusArray, ModbusPoint, ModbusProfileSection, ByteOrder } from './modbus-schema.js';

export interface ExpandedPoint extends ModbusPoint {
  order: ByteOrder;
  /** Values of the array indexes this point was expanded with, e.g. { rack: 3, module: 5 }. */
  indexes: Record<string, number>;
}

export class ProfileExpansionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProfileExpansionError';
  }
}

function fill(name: string, indexes: Record<string, string>): string {
  return name.replace(/\{([a-zA-Z][a-zA-Z0-9]*)\}/g, (m, k: string) => {
    const v = indexes[k];
    if (v === undefined) throw new ProfileExpansionError(`point name ${name}: unknown placeholder {${k}}`);
    return v;
  });
}

export function expandModbusProfile(
  section: ModbusProfileSection,
  params: Record<string, number> = {},
): ExpandedPoint[] {
  const defaultOrder: ByteOrder = section.order ?? 'ABCD';
  const out: ExpandedPoint[] = [];
  const emit = (p: ModbusPoint, base: number, idx: Record<string, number>, names: Record<string, string>) => {
    const address = p.address + base;
    if (address > 65535) throw new ProfileExpansionError(`point ${p.name}: address ${address} beyond 65535 after expansion`);
    out.push({
      ...p,
      name: fill(p.name, names),
      address,
      order: p.order ?? defaultOrder,
      indexes: { ...idx },
      ...(p.bits ? { bits: p.bits.map((b) => ({ ...b, name: fill(b.name, names) })) } : {}),
    });
  };
  const walk = (arr: ModbusArray, base: number, idx: Record<string, number>, names: Record<string, string>) => {
    let count: number;
    if (typeof arr.count === 'number') count = arr.count;
    else {
      const key = arr.count.slice(1);
      const v = params[key];
      if (v === undefined) throw new ProfileExpansionError(`array {${arr.index}} count ${arr.count}: the device sets no parameter '${key}'`);
      count = v;
    }
    const start = arr.start ?? 1;
    for (let i = 0; i < count; i++) {
      const value = start + i;
      const at = base + i * arr.stride;
      const nIdx = { ...idx, [arr.index]: value };
      const nNames = { ...names, [arr.index]: arr.pad ? String(value).padStart(arr.pad, '0') : String(value) };
      for (const p of arr.points) emit(p, at, nIdx, nNames);
      for (const sub of (arr.arrays ?? []) as ModbusArray[]) walk(sub, at, nIdx, nNames);
    }
  };
  for (const p of section.points) emit(p, 0, {}, {});
  for (const a of section.arrays ?? []) walk(a, 0, {}, {});
  return out;
}
