/**
 * Golden cases, one folder each (testcases/<name>/): profile.yaml (an agent profile, validated by
 * the real loader), device.yaml (id, params, mqtt), messages.jsonl (what the device sends, in
 * order: {topic, json | text | base64, padTo?}) and expected.jsonl (the last point per name after
 * the normaliser: {name, value, quality, reason?, ts?, tsIsReceipt?}, and {count, n} for counted
 * payload problems). Pure: decode + normalise, no broker.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../lib/config/load.js';
import type { Point } from '../../../lib/points.js';
import { Profile, profileParams } from '../../config/profile-schema.js';
import { devicePoints } from '../../config/points.js';
import { normaliseAll } from '../../points/normalise.js';
import { Ajv } from 'ajv';
import { MqttDeviceConfig } from './config.js';
import { decodeMessage, type Validator } from './decode.js';
import { expandMqttProfile } from './expand.js';

const ROOT = fileURLToPath(new URL('./testcases/', import.meta.url));
const DeviceFile = Type.Object({ id: Type.Optional(Type.String()), params: Type.Optional(Type.Record(Type.String(), Type.Integer())), mqtt: MqttDeviceConfig }, { additionalProperties: false });
const jsonl = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
const RECEIPT = 1_800_000_000_000;

function payloadOf(m: Record<string, unknown>): Buffer {
  if (typeof m.text === 'string') return Buffer.from(m.text);
  if (typeof m.base64 === 'string') return Buffer.from(m.base64, 'base64');
  const json = m.json as Record<string, unknown>;
  if (typeof m.padTo === 'number') {
    const base = Buffer.byteLength(JSON.stringify({ ...json, padding: '' }));
    return Buffer.from(JSON.stringify({ ...json, padding: 'x'.repeat(m.padTo - base) }));
  }
  return Buffer.from(JSON.stringify(json));
}

describe('mqtt golden cases', () => {
  for (const name of readdirSync(ROOT).sort()) {
    it(name, () => {
      const dir = join(ROOT, name);
      const profile = loadConfigFile(join(dir, 'profile.yaml'), Profile);
      const device = loadConfigFile(join(dir, 'device.yaml'), DeviceFile);
      const { values: params, problems } = profileParams(profile, device.params ?? {});
      expect(problems).toEqual([]);
      const id = device.id ?? 'cam';
      const defs = new Map(devicePoints(profile, params, 'normal').defs.map((d) => [d.name, d]));
      const subs = new Map(expandMqttProfile(profile.mqtt!, { site: 'sim1', device: id, params }).map((s) => [s.topic, s]));
      const ajv = new Ajv({ strict: false });
      const last = new Map<string, Point>();
      const counts = new Map<string, number>();
      for (const m of jsonl(join(dir, 'messages.jsonl'))) {
        const sub = subs.get(m.topic as string);
        expect(sub, `no subscription for ${String(m.topic)} (have ${[...subs.keys()].join(', ')})`).toBeDefined();
        const validate = sub!.spec.schema ? (ajv.compile(sub!.spec.schema) as Validator) : undefined;
        const d = decodeMessage(sub!, id, payloadOf(m), RECEIPT, { maxBytes: device.mqtt.maxPayloadBytes ?? 65536, ...(validate ? { validate } : {}) });
        for (const p of new Set(d.problems)) counts.set(p, (counts.get(p) ?? 0) + 1);
        for (const p of normaliseAll(d.readings, defs, 'sim1')) last.set(p.name, p);
      }
      for (const e of jsonl(join(dir, 'expected.jsonl'))) {
        if ('count' in e) { expect(counts.get(e.count as string) ?? 0, `count of ${String(e.count)}`).toBe(e.n); continue; }
        const p = last.get(e.name as string);
        expect(p, `point ${String(e.name)}`).toBeDefined();
        expect({ value: p!.value, quality: p!.quality, reason: p!.reason }, String(e.name)).toEqual({ value: e.value, quality: e.quality, reason: e.reason });
        if (e.ts !== undefined) expect(p!.ts).toBe(e.ts);
        if (e.tsIsReceipt) expect(p!.ts).toBe(RECEIPT);
      }
    });
  }
});
