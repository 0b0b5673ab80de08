/**
 * Option tables of the OPC-UA and MQTT driver READMEs, generated from their TypeBox schemas so the
 * docs cannot drift (readme.test.ts in each folder fails when a README is out of date).
 *
 *   npx tsx agent/drivers/opcua/doc-table.ts     # rewrite the generated parts of both READMEs
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TSchema } from '@sinclair/typebox';
import { OpcuaArray, OpcuaDeviceConfig, OpcuaPoint, OpcuaProfileSection } from './config.js';
import { MqttArray, MqttDeviceConfig, MqttPoint, MqttProfileSection, MqttTopic } from '../mqtt/config.js';

type S = TSchema & Record<string, unknown>;
const esc = (x: string) => x.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function typeOf(s: S): string {
  if (s.anyOf) {
    const xs = s.anyOf as S[];
    if (xs.every((x) => x.const !== undefined)) return xs.map((x) => `\`${JSON.stringify(x.const)}\``).join(' \\| ');
    return xs.map(typeOf).join(' \\| ');
  }
  if (s.type === 'array') return `list of ${(s.items as S).title ?? typeOf(s.items as S)}`;
  if (s.type === 'object' && s.patternProperties) return 'map';
  return String(s.type ?? 'any');
}

function limits(s: S): string {
  const out: string[] = [];
  if (s.minimum !== undefined || s.maximum !== undefined) out.push(`${s.minimum ?? '…'}..${s.maximum ?? '…'}`);
  if (s.minLength !== undefined) out.push(`length ≥ ${String(s.minLength)}`);
  if (s.pattern) out.push(`\`${esc(String(s.pattern))}\``);
  if (s.minItems !== undefined) out.push(`≥ ${String(s.minItems)} items`);
  return out.join(', ');
}

export function schemaTable(schema: TSchema): string {
  const s = schema as S;
  const required = new Set((s.required as string[] | undefined) ?? []);
  const rows = Object.entries((s.properties ?? {}) as Record<string, S>).map(([k, p]) =>
    `| \`${k}\` | ${typeOf(p)} | ${required.has(k) ? 'yes' : ''} | ${limits(p)} | ${esc(String(p.description ?? ''))} |`);
  return ['| key | type | required | allowed | description |', '|---|---|---|---|---|', ...rows].join('\n');
}

export const BEGIN = (name: string) => `<!-- BEGIN GENERATED ${name}: npx tsx agent/drivers/opcua/doc-table.ts -->`;
export const END = '<!-- END GENERATED -->';

export const READMES: { file: string; tables: [string, TSchema][] }[] = [
  { file: fileURLToPath(new URL('./README.md', import.meta.url)), tables: [['profile.opcua', OpcuaProfileSection], ['point', OpcuaPoint], ['array', OpcuaArray], ['device.opcua', OpcuaDeviceConfig]] },
  { file: fileURLToPath(new URL('../mqtt/README.md', import.meta.url)), tables: [['profile.mqtt', MqttProfileSection], ['topic', MqttTopic], ['point', MqttPoint], ['array', MqttArray], ['device.mqtt', MqttDeviceConfig]] },
];

/** The README text with every generated block replaced by the current tables. */
export function regenerate(text: string, tables: [string, TSchema][]): string {
  let out = text;
  for (const [name, schema] of tables) {
    const b = BEGIN(name);
    const i = out.indexOf(b);
    const j = out.indexOf(END, i);
    if (i < 0 || j < 0) throw new Error(`README has no generated block '${name}' (add the markers ${b} ... ${END})`);
    out = `${out.slice(0, i + b.length)}\n${schemaTable(schema)}\n${out.slice(j)}`;
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const r of READMES) writeFileSync(r.file, regenerate(readFileSync(r.file, 'utf8'), r.tables));
}
