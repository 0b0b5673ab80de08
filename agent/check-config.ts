/**
 * `dcim check-config FILE`: validate an agent config and its profiles without starting anything.
 * Prints `OK` with a summary (devices, points per device and poll group with the planned reads,
 * poll groups, fire zones, point names outside agent/points/vocabulary.yaml as warnings), or every
 * problem on its own line as `file:line:col key.path: message`, and exits 1.
 */
import { ConfigError, formatIssue } from '../lib/config/load.js';
import { parseCommandArgs, UsageError } from '../lib/args.js';
import { loadAgentConfig, type LoadedAgentConfig } from './config/load.js';
import { ModbusDriver, modbusDriverConfig } from './drivers/modbus/index.js';
import { loadVocabulary } from './points/vocabulary.js';

const USAGE = 'dcim check-config FILE';

export function summarise(loaded: LoadedAgentConfig): string {
  const { config, devices } = loaded;
  const lines = [`OK ${loaded.file}: site ${config.site}, agent ${config.agent}, ${devices.length} device${devices.length === 1 ? '' : 's'}, ${devices.reduce((n, d) => n + d.points.length, 0)} points`];
  lines.push(`poll groups: ${Object.entries(config.pollGroups).map(([g, ms]) => `${g} ${ms} ms`).join(', ')}`);
  const w = Math.max(6, ...devices.map((d) => d.id.length));
  for (const d of devices) {
    const where = d.config.modbus ? `${d.config.modbus.host}:${d.config.modbus.port} unit ${d.config.modbus.unitId}` : d.config.opcua?.endpoint ?? d.config.mqtt?.broker ?? '';
    let groups = '';
    if (d.modbusPoints) {
      const per = new Map<string, number>();
      for (const p of d.modbusPoints) per.set(p.pollGroup, (per.get(p.pollGroup) ?? 0) + (p.bits?.length ?? 1));
      const reads = new Map(new ModbusDriver(modbusDriverConfig(d, config.pollGroups)).plan().map((g) => [g.group, g.requests.length]));
      groups = ` (${[...per].map(([g, n]) => `${g} ${n} in ${reads.get(g) ?? 0} read${reads.get(g) === 1 ? '' : 's'}`).join(', ')})`;
    }
    lines.push(`  ${d.id.padEnd(w)}  ${d.protocol.padEnd(6)} ${d.profile.profile.padEnd(12)} ${String(d.points.length).padStart(5)} points${groups}  ${where}${d.config.enabled ? '' : '  [disabled]'}`);
  }
  if (config.fire) lines.push(`fire zones: ${config.fire.zones.map((z) => `${z.id} (${z.room}, ${z.racks} racks)`).join(', ')}`);
  // Point names outside the vocabulary are allowed in site profiles, but said (STYLE.md lesson 6).
  const vocab = loadVocabulary();
  const warned = new Set<string>();
  for (const d of devices) {
    for (const def of d.points) {
      for (const problem of vocab.check(def)) {
        const key = `${d.profileFile}|${problem}`;
        if (!warned.has(key)) { warned.add(key); if (warned.size <= 10) lines.push(`warning: ${d.profileFile}: ${problem}`); }
      }
    }
  }
  if (warned.size > 10) lines.push(`warning: ... ${warned.size - 10} more vocabulary warnings`);
  return lines.join('\n');
}

export async function run(args: string[]): Promise<number> {
  let file: string | undefined;
  try {
    const parsed = parseCommandArgs(args, {}, USAGE);
    if (parsed.positionals.length !== 1) throw new UsageError(`expected one FILE\nusage: ${USAGE}`);
    file = parsed.positionals[0]!;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  try {
    process.stdout.write(`${summarise(loadAgentConfig(file))}\n`);
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const i of err.issues) process.stdout.write(`${formatIssue(i)}\n`);
      process.stdout.write(`${err.issues.length} problem${err.issues.length === 1 ? '' : 's'} in ${file}\n`);
      return 1;
    }
    throw err;
  }
}
