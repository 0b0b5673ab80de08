/**
 * Load an agent config: schema validation with file:line:col key.path errors (lib/config/load.ts),
 * then the checks a schema cannot make (profile exists and speaks the device's protocol, poll
 * groups exist, device ids unique, profile parameters given, fire zones name real devices, fire
 * stages in order). Every issue is collected and thrown together as one ConfigError.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { stringify } from 'yaml';
import { ConfigError, parseConfig, semanticIssue, type ConfigIssue } from '../../lib/config/load.js';
import { AgentConfig, DEFAULT_POLL_GROUP, DEFAULT_POLL_GROUPS, type Device } from './schema.js';
import { profileParams, protocolOf, type Profile, type Protocol } from './profile-schema.js';
import { loadProfiles, type LoadedProfile } from './profiles.js';
import { devicePoints, type ModbusPointPlan } from './points.js';
import { fireOrderProblems } from '../fire/config-schema.js';
import type { PointDef } from '../points/normalise.js';

export interface ResolvedDevice {
  id: string;
  protocol: Protocol;
  /** The device entry as validated (defaults applied). */
  config: Device;
  profile: Profile;
  profileFile: string;
  /** Profile parameters after defaults (e.g. { racks: 8, modules: 17 }). */
  params: Record<string, number>;
  kind?: string;
  /** Every point the device reports, expanded (arrays, bit fields), for the normaliser and the birth message. */
  points: PointDef[];
  /** Modbus devices: the expanded register map, each point with its poll group. */
  modbusPoints?: ModbusPointPlan[];
}

export interface LoadedAgentConfig {
  file: string;
  /** The validated config: defaults applied, poll groups merged with the defaults, paths absolute. */
  config: AgentConfig;
  profiles: Map<string, LoadedProfile>;
  /** Enabled and disabled devices in file order. */
  devices: ResolvedDevice[];
}

export interface LoadOptions {
  /** Folder that relative paths are resolved against (default: the config file's folder). */
  baseDir?: string;
}

/** Load and check an agent config file. Throws ConfigError listing every issue. */
export function loadAgentConfig(file: string, opts: LoadOptions = {}): LoadedAgentConfig {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (err) {
    throw new ConfigError([{ file, line: 0, col: 0, path: '', message: `cannot read: ${(err as Error).message}` }]);
  }
  return loadAgentConfigText(text, file, { baseDir: opts.baseDir ?? dirname(resolve(file)) });
}

/** Check a config object built in code (e.g. fromSim) exactly as a file would be. */
export function resolveAgentConfig(obj: unknown, opts: LoadOptions & { file?: string } = {}): LoadedAgentConfig {
  return loadAgentConfigText(stringify(obj), opts.file ?? '(generated)', { baseDir: opts.baseDir ?? process.cwd() });
}

export function loadAgentConfigText(text: string, file: string, opts: { baseDir: string }): LoadedAgentConfig {
  const config = parseConfig(text, AgentConfig, file);
  const issues: ConfigIssue[] = [];
  const at = (segments: (string | number)[], message: string) => issues.push(semanticIssue(text, file, segments, message));

  const { profiles, issues: profileIssues } = loadProfiles(config.profiles, opts.baseDir, { file, text });
  issues.push(...profileIssues);

  const groups = { ...DEFAULT_POLL_GROUPS, ...config.pollGroups } as Record<string, number>;
  const groupList = Object.keys(groups).join(', ');
  const ids = new Map<string, number>();
  const devices: ResolvedDevice[] = [];

  config.devices.forEach((d, i) => {
    const prev = ids.get(d.id);
    if (prev !== undefined) at(['devices', i, 'id'], `duplicate device id '${d.id}' (also devices[${prev}])`);
    else ids.set(d.id, i);
    const protocol = protocolOf(d);
    if (!protocol) { at(['devices', i], 'a device needs exactly one of modbus, opcua, mqtt'); return; }
    const lp = profiles.get(d.profile);
    if (!lp) {
      const known = [...profiles.keys()].sort();
      at(['devices', i, 'profile'], `unknown profile '${d.profile}'; known: ${known.length ? known.join(', ') : '(none found)'}`);
      return;
    }
    const pproto = lp.profile.protocol;
    if (pproto !== protocol) { at(['devices', i, protocol], `profile '${d.profile}' is a ${pproto} profile; give the device a ${pproto} section`); return; }
    const defaultGroup = d.pollGroup ?? DEFAULT_POLL_GROUP;
    if (d.pollGroup !== undefined && groups[d.pollGroup] === undefined) at(['devices', i, 'pollGroup'], `unknown poll group '${d.pollGroup}'; defined: ${groupList}`);
    const { values: params, problems } = profileParams(lp.profile, d.params ?? {});
    for (const m of problems) at(['devices', i, 'params'], m);
    if (problems.length) return;
    let pts;
    try {
      pts = devicePoints(lp.profile, params, defaultGroup);
    } catch (err) {
      at(['devices', i, d.params ? 'params' : 'profile'], (err as Error).message);
      return;
    }
    const missing = new Set<string>();
    for (const p of pts.modbus ?? []) if (groups[p.pollGroup] === undefined && p.pollGroup !== d.pollGroup) missing.add(p.pollGroup);
    for (const g of missing) at(['devices', i, 'profile'], `profile '${d.profile}' uses poll group '${g}', which pollGroups does not define (${groupList})`);
    const seen = new Set<string>();
    const dups = new Set<string>();
    for (const p of pts.defs) { if (seen.has(p.name)) dups.add(p.name); seen.add(p.name); }
    if (dups.size) at(['devices', i, 'profile'], `profile '${d.profile}' gives several points the same name: ${[...dups].slice(0, 5).join(', ')}${dups.size > 5 ? ', ...' : ''}`);
    const rd: ResolvedDevice = { id: d.id, protocol, config: d, profile: lp.profile, profileFile: lp.file, params, points: pts.defs };
    const kind = d.kind ?? lp.profile.kind;
    if (kind) rd.kind = kind;
    if (pts.modbus) rd.modbusPoints = pts.modbus;
    devices.push(rd);
  });

  if (config.fire) checkFire(config, ids, at);
  if (issues.length) { issues.sort((a, b) => (a.file === b.file ? a.line - b.line || a.col - b.col : a.file < b.file ? -1 : 1)); throw new ConfigError(issues); }

  config.pollGroups = groups;
  config.dataDir = resolve(opts.baseDir, config.dataDir);
  if (config.broker?.passwordFile) config.broker.passwordFile = resolve(opts.baseDir, config.broker.passwordFile);
  const fire = config.fire;
  if (fire) {
    if (fire.journalDir) fire.journalDir = resolve(opts.baseDir, fire.journalDir);
    if (fire.commandKeyFile) fire.commandKeyFile = resolve(opts.baseDir, fire.commandKeyFile);
    if (fire.local?.socket) fire.local.socket = resolve(opts.baseDir, fire.local.socket);
    if (fire.local?.keyFile) fire.local.keyFile = resolve(opts.baseDir, fire.local.keyFile);
  }
  return { file, config, profiles, devices };
}

function checkFire(config: AgentConfig, ids: Map<string, number>, at: (s: (string | number)[], m: string) => void): void {
  const fire = config.fire!;
  for (const p of fireOrderProblems(fire)) at(['fire', ...p.path], p.message);
  fire.zones.forEach((z, i) => {
    for (const k of ['fireIo', 'bms', 'camera'] as const) {
      const dev = z[k];
      if (dev !== undefined && !ids.has(dev)) at(['fire', 'zones', i, k], `no device '${dev}' in devices`);
    }
  });
}
