/**
 * Generate the configuration reference tables in agent/config/README.md from the TypeBox
 * schemas, so the docs cannot drift (a test fails when README.md is out of date).
 *
 *   npx tsx agent/config/gen-docs.ts          # rewrite the generated part of README.md
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TSchema } from '@sinclair/typebox';
import { AgentConfig } from './schema.js';
import { Profile } from './profile-schema.js';
import { ModbusPoint, ModbusArray } from '../../lib/profile/modbus-schema.js';
import { ModbusDeviceConfig } from '../drivers/modbus/config.js';

export const README = fileURLToPath(new URL('./README.md', import.meta.url));
export const MODBUS_README = fileURLToPath(new URL('../drivers/modbus/README.md', import.meta.url));
export const BEGIN = '<!-- BEGIN GENERATED: npx tsx agent/config/gen-docs.ts -->';
export const END = '<!-- END GENERATED -->';

type S = TSchema & Record<string, unknown>;

/** Sections whose schema (and reference) belongs to another part: linked, not expanded here. */
const OWNED_ELSEWHERE: Record<string, string> = {
  opcua: 'agent/drivers/opcua/README.md (schema agent/drivers/opcua/config.ts)',
  mqtt: 'agent/drivers/mqtt/README.md (schema agent/drivers/mqtt/config.ts)',
  fire: 'agent/fire/ (schema agent/fire/config-schema.ts)',
};

function typeName(s: S): string {
  if (s.anyOf) return (s.anyOf as S[]).map(typeName).join(' \\| ');
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.$ref || s.$id) return 'array (see below)';
  if (s.type === 'array') return `list of ${typeName(s.items as S)}`;
  if (s.type === 'object' && s.patternProperties) return `map of ${typeName(Object.values(s.patternProperties as Record<string, S>)[0]!)}`;
  return String(s.type ?? 'any');
}

function allowed(s: S): string {
  const out: string[] = [];
  if (s.anyOf && (s.anyOf as S[]).every((x) => x.const !== undefined)) return (s.anyOf as S[]).map((x) => `\`${String(x.const)}\``).join(', ');
  if (s.minimum !== undefined || s.maximum !== undefined) out.push(`${s.minimum ?? '…'}..${s.maximum ?? '…'}`);
  if (s.minLength !== undefined) out.push(`length ≥ ${String(s.minLength)}`);
  if (s.pattern) out.push(`\`${String(s.pattern).replace(/\|/g, '\\|')}\``);
  if (s.minItems !== undefined) out.push(`≥ ${String(s.minItems)} items`);
  return out.join(', ');
}

const esc = (x: string) => x.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function rows(schema: S, prefix: string, out: string[][], depth = 0): void {
  const props = (schema.properties ?? {}) as Record<string, S>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  for (const [k, s] of Object.entries(props)) {
    const path = `${prefix}${k}`;
    const def = s.default !== undefined ? `\`${JSON.stringify(s.default)}\`` : '';
    const req = required.has(k) && s.default === undefined ? 'yes' : '';
    const isObj = s.type === 'object' && s.properties;
    const isArrObj = s.type === 'array' && (s.items as S).type === 'object' && (s.items as S).properties;
    const owner = OWNED_ELSEWHERE[k];
    out.push([`\`${path}\``, isObj ? 'object' : typeName(s), req, def, allowed(s), esc(String(s.description ?? '') + (owner ? `${s.description ? '; ' : ''}reference: ${owner}` : ''))]);
    if (owner) continue;
    if (depth < 6 && isObj) rows(s, `${path}.`, out, depth + 1);
    if (depth < 6 && isArrObj) rows(s.items as S, `${path}[].`, out, depth + 1);
  }
}

function table(title: string, schema: TSchema, prefix = ''): string {
  const out: string[][] = [];
  rows(schema as S, prefix, out);
  const head = '| key | type | required | default | allowed | description |\n|---|---|---|---|---|---|';
  return `### ${title}\n\n${head}\n${out.map((r) => `| ${r.join(' | ')} |`).join('\n')}\n`;
}

/** The generated reference (markdown). */
export function renderReference(): string {
  const arr = (ModbusArray as unknown as S).type === 'object' ? ModbusArray : ModbusArray;
  return [
    table('Agent config file', AgentConfig),
    table('Profile file', Profile),
    table('Modbus profile point (`modbus.points[]`, `modbus.arrays[].points[]`)', ModbusPoint),
    table('Modbus profile array (`modbus.arrays[]`, nested in `arrays`)', arr),
  ].join('\n');
}

/** The generated part of agent/drivers/modbus/README.md. */
export function renderModbusReference(): string {
  return [table('Device section (`devices[].modbus`)', ModbusDeviceConfig, 'modbus.'), table('Profile point (`modbus.points[]`)', ModbusPoint)].join('\n');
}

/** A README with the generated part (between BEGIN and END) replaced. */
export function renderReadme(current: string, render: () => string = renderReference): string {
  const a = current.indexOf(BEGIN);
  const b = current.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${README}: markers ${BEGIN} … ${END} not found`);
  return `${current.slice(0, a + BEGIN.length)}\n\n${render()}\n${current.slice(b)}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(README, renderReadme(readFileSync(README, 'utf8')));
  writeFileSync(MODBUS_README, renderReadme(readFileSync(MODBUS_README, 'utf8'), renderModbusReference));
  process.stdout.write(`wrote ${README}\nwrote ${MODBUS_README}\n`);
}
