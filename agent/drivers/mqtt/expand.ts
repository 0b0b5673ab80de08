/**
 * Expand an MQTT profile section for one device into concrete subscriptions: topics and JSON
 * paths with placeholders filled, arrays unrolled with the device's params. Pure.
 */
import type { MqttPoint, MqttProfileSection, MqttTopic } from './config.js';

export class MqttExpansionError extends Error {
  constructor(message: string) { super(message); this.name = 'MqttExpansionError'; }
}

/** `{name}`, `{name+1}`, `{name-1}`, `{name:2}` (zero-padded to 2). */
export function fill(text: string, vars: Record<string, number | string>, what: string): string {
  return text.replace(/\{([a-zA-Z][a-zA-Z0-9]*)([+-]\d+)?(?::(\d))?\}/g, (_m, k: string, delta?: string, pad?: string) => {
    const v = vars[k];
    if (v === undefined) throw new MqttExpansionError(`${what} '${text}': unknown placeholder {${k}} (known: ${Object.keys(vars).join(', ')})`);
    const s = typeof v === 'number' ? String(v + (delta ? Number(delta) : 0)) : v;
    return pad ? s.padStart(Number(pad), '0') : s;
  });
}

export type PathSegment = string | number;

/** `a.b[3].c` → ['a', 'b', 3, 'c']. */
export function parsePath(path: string): PathSegment[] {
  const out: PathSegment[] = [];
  for (const part of path.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) throw new MqttExpansionError(`JSON path '${path}': cannot read '${part}' (use a.b[0].c)`);
    if (m[1]) out.push(m[1]);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  if (!out.length) throw new MqttExpansionError(`JSON path '${path}' is empty`);
  return out;
}

export function getPath(obj: unknown, path: readonly PathSegment[]): unknown {
  let cur: unknown = obj;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (typeof seg === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[seg];
    } else {
      if (Array.isArray(cur) || !Object.prototype.hasOwnProperty.call(cur, seg)) return undefined;
      cur = (cur as Record<string, unknown>)[seg];
    }
  }
  return cur;
}

export interface ExpandedMqttPoint extends Omit<MqttPoint, 'path' | 'qualityPath'> {
  path: PathSegment[];
  qualityPath?: PathSegment[];
}

export interface Subscription {
  topic: string;
  spec: Omit<MqttTopic, 'points' | 'arrays' | 'topic'>;
  timestampPath?: PathSegment[];
  points: ExpandedMqttPoint[];
}

export function expandMqttProfile(section: MqttProfileSection, ctx: { site: string; device: string; room?: string; params?: Record<string, number> }): Subscription[] {
  const base: Record<string, number | string> = { ...(ctx.params ?? {}), site: ctx.site, device: ctx.device, ...(ctx.room !== undefined ? { room: ctx.room } : {}) };
  const subs = new Map<string, Subscription>();
  const subFor = (t: MqttTopic, topic: string): Subscription => {
    let s = subs.get(topic);
    if (!s) {
      const { points: _p, arrays: _a, topic: _t, ...spec } = t;
      s = { topic, spec, points: [] };
      if (t.timestampPath) s.timestampPath = parsePath(t.timestampPath);
      subs.set(topic, s);
    }
    return s;
  };
  const point = (p: MqttPoint, vars: Record<string, number | string>): ExpandedMqttPoint => {
    const { path, qualityPath, ...rest } = p;
    const e: ExpandedMqttPoint = { ...rest, name: fill(p.name, vars, 'point name'), path: parsePath(fill(path, vars, 'path')) };
    if (qualityPath) e.qualityPath = parsePath(fill(qualityPath, vars, 'qualityPath'));
    return e;
  };
  for (const t of section.topics) {
    const topic = fill(t.topic, base, 'topic');
    if (/[#+]/.test(topic)) throw new MqttExpansionError(`topic '${topic}': wildcards are not allowed (name each topic)`);
    if (t.points.length) {
      const s = subFor(t, topic);
      for (const p of t.points) s.points.push(point(p, base));
    }
    for (const a of t.arrays ?? []) {
      let count: number;
      if (typeof a.count === 'number') count = a.count;
      else {
        const v = ctx.params?.[a.count.slice(1)];
        if (v === undefined) throw new MqttExpansionError(`array {${a.index}} count ${a.count}: the device sets no parameter '${a.count.slice(1)}'`);
        count = v;
      }
      for (let i = 0; i < count; i++) {
        const vars = { ...base, [a.index]: (a.start ?? 1) + i };
        const s = subFor(t, a.topic ? fill(a.topic, vars, 'topic') : topic);
        for (const p of a.points) s.points.push(point(p, vars));
      }
    }
  }
  return [...subs.values()];
}
