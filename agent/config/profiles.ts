/**
 * Finding and loading profile files: every `*.yaml`/`*.yml` in agent/profiles/ (always) and in
 * the paths a config lists (files or folders, relative to the config). One profile per file;
 * ids are unique. Each profile is validated by agent/config/profile-schema.ts and checked for
 * what a schema cannot say (writable input registers, string without length, bit beyond width).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, parseConfig, semanticIssue, type ConfigIssue } from '../../lib/config/load.js';
import { registerCount } from '../../lib/profile/modbus-schema.js';
import type { ModbusPoint, ModbusArray } from '../../lib/profile/modbus-schema.js';
import { Profile, protocolOf } from './profile-schema.js';

/** agent/profiles/ in this checkout. */
export const BUILTIN_PROFILE_DIR = fileURLToPath(new URL('../profiles/', import.meta.url));

export interface LoadedProfile {
  profile: Profile;
  file: string;
  text: string;
}

function listYaml(path: string, issues: ConfigIssue[], origin: { file: string; text: string; segments: (string | number)[] } | null): string[] {
  let st;
  try { st = statSync(path); } catch {
    if (origin) issues.push(semanticIssue(origin.text, origin.file, origin.segments, `no such profile file or folder: ${path}`));
    return [];
  }
  if (st.isFile()) return [path];
  return readdirSync(path).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(path, f));
}

const INT_BITS: Record<string, number> = { int16: 16, uint16: 16, int32: 32, uint32: 32, int64: 64, uint64: 64 };

function checkModbusPoints(points: ModbusPoint[], base: (string | number)[], text: string, file: string, issues: ConfigIssue[]): void {
  points.forEach((p, i) => {
    const at = [...base, i];
    if (p.writable && (p.table === 'input' || p.table === 'discrete')) issues.push(semanticIssue(text, file, [...at, 'writable'], `${p.table === 'input' ? 'an input register' : 'a discrete input'} is read-only; only coil and holding points can be writable`));
    if ((p.table === 'coil' || p.table === 'discrete') && p.type !== 'bool') issues.push(semanticIssue(text, file, [...at, 'type'], `${p.table} points are bits: type must be bool`));
    if (p.type === 'string' && p.length === undefined) issues.push(semanticIssue(text, file, [...at, 'type'], 'type string needs `length` (registers)'));
    if (p.bits) {
      const width = INT_BITS[p.type];
      if (!width) issues.push(semanticIssue(text, file, [...at, 'bits'], `bit fields need an integer type (int16..uint64), not ${p.type}`));
      else p.bits.forEach((b, j) => { if (b.bit >= width) issues.push(semanticIssue(text, file, [...at, 'bits', j, 'bit'], `must be < ${width} for ${p.type}`)); });
    }
    if (p.range && p.range.min > p.range.max) issues.push(semanticIssue(text, file, [...at, 'range', 'max'], `must be >= range.min (${p.range.min})`));
    if (p.address + registerCount(p.type, p.length) - 1 > 65535 && p.table !== 'coil' && p.table !== 'discrete') issues.push(semanticIssue(text, file, [...at, 'address'], 'value runs past register 65535'));
  });
}

function checkModbusArrays(arrays: ModbusArray[], base: (string | number)[], text: string, file: string, issues: ConfigIssue[]): void {
  arrays.forEach((a, i) => {
    checkModbusPoints(a.points, [...base, i, 'points'], text, file, issues);
    if (a.arrays) checkModbusArrays(a.arrays as ModbusArray[], [...base, i, 'arrays'], text, file, issues);
  });
}

/** Parse and check one profile file. Throws ConfigError. */
export function loadProfileFile(file: string): LoadedProfile {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (err) {
    throw new ConfigError([{ file, line: 0, col: 0, path: '', message: `cannot read: ${(err as Error).message}` }]);
  }
  const profile = parseConfig(text, Profile, file);
  const issues: ConfigIssue[] = [];
  const present = protocolOf(profile);
  if (present !== profile.protocol) issues.push(semanticIssue(text, file, ['protocol'], `protocol is ${profile.protocol}: the profile needs a ${profile.protocol} section and no other protocol section`));
  if (profile.modbus) {
    checkModbusPoints(profile.modbus.points, ['modbus', 'points'], text, file, issues);
    checkModbusArrays(profile.modbus.arrays ?? [], ['modbus', 'arrays'], text, file, issues);
  }
  if (issues.length) throw new ConfigError(issues);
  return { profile, file, text };
}

/**
 * Load every profile from agent/profiles/ and from `paths` (relative to `baseDir`). Returns the
 * profiles by id and the issues found (bad files, duplicate ids); never throws.
 */
export function loadProfiles(paths: string[], baseDir: string, origin?: { file: string; text: string }): { profiles: Map<string, LoadedProfile>; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const files = new Set<string>(listYaml(BUILTIN_PROFILE_DIR, issues, null).map((f) => resolve(f)));
  paths.forEach((p, i) => {
    for (const f of listYaml(resolve(baseDir, p), issues, origin ? { ...origin, segments: ['profiles', i] } : null)) files.add(resolve(f));
  });
  const profiles = new Map<string, LoadedProfile>();
  for (const f of files) {
    try {
      const lp = loadProfileFile(f);
      const prev = profiles.get(lp.profile.profile);
      if (prev) issues.push(semanticIssue(lp.text, f, ['profile'], `duplicate profile id '${lp.profile.profile}' (also in ${prev.file})`));
      else profiles.set(lp.profile.profile, lp);
    } catch (err) {
      if (err instanceof ConfigError) issues.push(...err.issues);
      else issues.push({ file: f, line: 0, col: 0, path: '', message: (err as Error).message });
    }
  }
  return { profiles, issues };
}
