/**
 * `dcim agent --config FILE [--health-port N]`: run an edge agent until SIGTERM/SIGINT.
 * Prints one line `READY {"healthPort":…,"epoch":…,"pid":…}` on stdout once started; config
 * errors are printed as file:line:col key.path lines (exit 2).
 */
import { ConfigError } from '../lib/config/load.js';
import { parseCommandArgs, UsageError } from '../lib/args.js';
import { createLogger } from '../lib/log.js';
import { createAgent } from './agent.js';
import { DataDirLockedError } from './buffer/lock.js';
import { loadAgentConfig } from './config/load.js';
import { EmbeddedBrokerError } from './telemetry/embedded-broker.js';

const USAGE = 'dcim agent --config FILE [--health-port N]';

export async function run(args: string[]): Promise<number> {
  let file: string;
  let healthPort: number | undefined;
  try {
    const { values, positionals } = parseCommandArgs(args, { config: { type: 'string', short: 'c' }, 'health-port': { type: 'string' }, help: { type: 'boolean', short: 'h' } }, USAGE);
    if (values.help) { process.stdout.write(`usage: ${USAGE}\n`); return 0; }
    if (!values.config || positionals.length) throw new UsageError(`give the agent config file with --config\nusage: ${USAGE}`);
    file = values.config;
    if (values['health-port'] !== undefined) {
      healthPort = Number(values['health-port']);
      if (!Number.isInteger(healthPort) || healthPort < 0 || healthPort > 65535) throw new UsageError(`--health-port must be 0..65535\nusage: ${USAGE}`);
    }
  } catch (err) {
    process.stderr.write(`dcim agent: ${(err as Error).message}\n`);
    return 2;
  }
  let loaded;
  try {
    loaded = loadAgentConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) { process.stderr.write(`${err.message}\n`); return 2; }
    throw err;
  }
  const log = createLogger({ name: 'agent' });
  const agent = createAgent({ loaded, log, ...(healthPort !== undefined ? { healthPort } : {}) });
  try {
    await agent.start();
  } catch (err) {
    if (err instanceof DataDirLockedError || err instanceof EmbeddedBrokerError) { process.stderr.write(`dcim agent: ${err.message}\n`); await agent.stop().catch(() => undefined); return 1; }
    await agent.stop().catch(() => undefined);
    throw err;
  }
  process.stdout.write(`READY ${JSON.stringify({ healthPort: agent.healthPort, epoch: agent.epoch, pid: process.pid })}\n`);
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    process.once('SIGTERM', done);
    process.once('SIGINT', done);
  });
  log.info('stopping');
  await agent.stop();
  return 0;
}
