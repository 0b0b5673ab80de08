/**
 * Expand an OPC-UA profile section for one device: arrays unrolled with the device's params,
 * `{index}` / `{index+k}` / `{index-k}` placeholders filled in names and node ids. Pure.
 */
import type { OpcuaPoint, OpcuaProfileSection } from './config.js';

export class OpcuaExpansionError extends Error {
  constructor(message: string) { super(message); this.name = 'OpcuaExpansionError'; }
}

export function fillPlaceholders(text: string, idx: Record<string, number | string>, what: string): string {
  return text.replace(/\{([a-zA-Z][a-zA-Z0-9]*)([+-]\d+)?\}/g, (_m, k: string, delta?: string) => {
    const v = idx[k];
    if (v === undefined) throw new OpcuaExpansionError(`${what} '${text}': unknown placeholder {${k}}`);
    return typeof v === 'number' ? String(v + (delta ? Number(delta) : 0)) : v;
  });
}

export function arrayCount(count: number | string, params: Record<string, number>, index: string): number {
  if (typeof count === 'number') return count;
  const v = params[count.slice(1)];
  if (v === undefined) throw new OpcuaExpansionError(`array {${index}} count ${count}: the device sets no parameter '${count.slice(1)}'`);
  return v;
}

export function expandOpcuaProfile(section: OpcuaProfileSection, params: Record<string, number> = {}): OpcuaPoint[] {
  const out: OpcuaPoint[] = [];
  const one = (p: OpcuaPoint, idx: Record<string, number>) =>
    out.push({ ...p, name: fillPlaceholders(p.name, idx, 'point name'), nodeId: fillPlaceholders(p.nodeId, idx, 'node id') });
  for (const p of section.points) one(p, {});
  for (const a of section.arrays ?? []) {
    const n = arrayCount(a.count, params, a.index);
    for (let i = 0; i < n; i++) for (const p of a.points) one(p, { [a.index]: (a.start ?? 1) + i });
  }
  return out;
}
