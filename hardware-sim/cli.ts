/**
 * `dcim sim [--scenario NAME] [--room BR1 --rack 3] [--config FILE] [--broker URL] [--time-scale X]
 *           [--opcua-user U --opcua-password P] [--control-port N] [--write-log FILE]`
 *
 * Starts the simulated site, prints where each device listens and the control URL, and runs until
 * SIGINT/SIGTERM, then stops every server and exits 0.
 */
import { parseCommandArgs, UsageError } from '../lib/args.js';
import { ConfigError } from '../lib/config/load.js';
import { startSimulator, type SimHandle } from './index.js';
import type { DeviceEndpoint } from './devices.js';

const USAGE = 'dcim sim [--scenario NAME] [--room BR1] [--rack N] [--config FILE] [--broker URL] [--time-scale X] [--opcua-user U --opcua-password P] [--control-port N] [--write-log FILE]';

export function formatEndpoint(e: DeviceEndpoint): string {
  const where = e.protocol === 'modbus' ? `modbus tcp 127.0.0.1:${e.port} unit ${compactIds(e.unitIds ?? [])}`
    : e.protocol === 'opcua' ? `opc.ua ${e.endpointUrl}`
      : `mqtt ${e.host}:${e.port} ${(e.topics ?? []).join(' ')}`;
  const place = [e.room, e.zone].filter(Boolean).join('/');
  return `${e.id.padEnd(14)} ${e.profile.padEnd(18)} ${where}${place ? `  (${place})` : ''}`;
}

function compactIds(ids: number[]): string {
  if (ids.length > 2 && ids.every((v, i) => i === 0 || v === ids[i - 1]! + 1)) return `${ids[0]}..${ids[ids.length - 1]}`;
  return ids.join(',');
}

/** Parse, start, print; resolves with the exit code after a signal (or `until` resolving, for tests). */
export async function run(args: string[], io: { out?: (s: string) => void; err?: (s: string) => void; until?: Promise<void> } = {}): Promise<number> {
  const out = io.out ?? ((s: string) => process.stdout.write(s));
  const err = io.err ?? ((s: string) => process.stderr.write(s));
  let handle: SimHandle;
  try {
    const { values } = parseCommandArgs(args, {
      scenario: { type: 'string' }, room: { type: 'string' }, rack: { type: 'string' }, config: { type: 'string' },
      broker: { type: 'string' }, 'time-scale': { type: 'string' }, 'opcua-user': { type: 'string' }, 'opcua-password': { type: 'string' },
      'control-port': { type: 'string' }, 'write-log': { type: 'string' }, help: { type: 'boolean', short: 'h' },
    }, USAGE);
    if (values.help) { out(`usage: ${USAGE}\n`); return 0; }
    const num = (name: string, v: string | undefined) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a number >= 0, got '${v}'\nusage: ${USAGE}`);
      return n;
    };
    if (Boolean(values['opcua-user']) !== Boolean(values['opcua-password'])) throw new UsageError(`--opcua-user and --opcua-password go together\nusage: ${USAGE}`);
    const rack = num('rack', values.rack);
    handle = await startSimulator({
      ...(values.config ? { config: values.config } : {}),
      ...(values.broker ? { brokerUrl: values.broker } : {}),
      timeScale: num('time-scale', values['time-scale']) ?? 1,
      ...(values['opcua-user'] ? { opcua: { user: values['opcua-user'], password: values['opcua-password']! } } : {}),
      ...(values.scenario ? { scenario: values.scenario, scenarioTarget: { ...(values.room ? { room: values.room } : {}), ...(rack ? { rack } : {}) } } : {}),
      ...(values['control-port'] ? { controlPort: num('control-port', values['control-port'])! } : {}),
      ...(values['write-log'] ? { writeLogFile: values['write-log'] } : {}),
    });
  } catch (e) {
    const error = e as Error;
    err(`dcim sim: ${error instanceof UsageError || error instanceof ConfigError ? error.message : `${error.name}: ${error.message}`}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
  out(`simulated site ${handle.config.site}: ${handle.endpoints.length} devices\n`);
  for (const e of handle.endpoints) out(`${formatEndpoint(e)}\n`);
  out(`control        ${handle.controlUrl}  (GET /truth, POST /faults, GET /writes, ...)\n`);
  await new Promise<void>((resolve) => {
    const done = () => { process.off('SIGINT', done); process.off('SIGTERM', done); resolve(); };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    io.until?.then(done, done);
  });
  await handle.stop();
  out('simulator stopped\n');
  return 0;
}
