/**
 * Request planning, a pure function (STYLE.md lesson 8): the points of one poll group become the
 * fewest reads that respect the protocol and device limits. Neighbouring points of the same
 * table are merged while the read stays within `maxRegisters` words (`maxBits` for coils and
 * discrete inputs) and the unused space between two points is at most `maxGap`. Overlapping
 * points (a word and a value inside it) share one read.
 */
import type { ModbusTable } from '../../../lib/profile/modbus-schema.js';

export interface PlanPoint {
  table: ModbusTable;
  address: number;
  /** Registers (register tables) or bits (coil, discrete) the point occupies. */
  count: number;
}

export interface PlanLimits {
  /** Words per register read, 1..125. */
  maxRegisters: number;
  /** Bits per coil / discrete-input read, 1..2000. */
  maxBits: number;
  /** Unused registers (or bits) allowed between two merged points. */
  maxGap: number;
}

export interface PlannedRequest {
  table: ModbusTable;
  address: number;
  length: number;
  /** Indexes into the input, with the point's offset inside the response. */
  items: { index: number; offset: number }[];
}

export interface Plan {
  requests: PlannedRequest[];
  /** Points that cannot be read within the limits (e.g. a 64-register string with maxRegisters 60). */
  unreadable: number[];
}

export const TABLE_ORDER: ModbusTable[] = ['coil', 'discrete', 'holding', 'input'];

export function isBitTable(t: ModbusTable): boolean {
  return t === 'coil' || t === 'discrete';
}

export function planRequests(points: readonly PlanPoint[], limits: PlanLimits): Plan {
  const requests: PlannedRequest[] = [];
  const unreadable: number[] = [];
  const byTable = new Map<ModbusTable, number[]>();
  points.forEach((p, i) => {
    const list = byTable.get(p.table) ?? [];
    list.push(i);
    byTable.set(p.table, list);
  });
  for (const table of TABLE_ORDER) {
    const idx = byTable.get(table);
    if (!idx) continue;
    const max = isBitTable(table) ? limits.maxBits : limits.maxRegisters;
    idx.sort((a, b) => points[a]!.address - points[b]!.address || points[b]!.count - points[a]!.count || a - b);
    let cur: PlannedRequest | null = null;
    let end = 0;
    for (const i of idx) {
      const p = points[i]!;
      const pEnd = p.address + p.count;
      if (p.count > max || p.count < 1 || pEnd > 65536) { unreadable.push(i); continue; }
      if (cur && p.address - end <= limits.maxGap && Math.max(end, pEnd) - cur.address <= max) {
        end = Math.max(end, pEnd);
        cur.length = end - cur.address;
        cur.items.push({ index: i, offset: p.address - cur.address });
        continue;
      }
      cur = { table, address: p.address, length: p.count, items: [{ index: i, offset: 0 }] };
      end = pEnd;
      requests.push(cur);
    }
  }
  unreadable.sort((a, b) => a - b);
  return { requests, unreadable };
}
