/**
 * Child-process entry of the fire-only host: `tsx agent/fire/host-main.ts CONFIG.json`.
 * Prints `READY {"pid":…,"socket":…}` on stdout once every zone has recovered; stops cleanly on
 * SIGTERM/SIGINT. With `--standby` it loads everything, prints `LOADED`, and starts only when a
 * line `GO CONFIG.json` arrives on stdin: the SIGKILL suite keeps one warm standby so a restart
 * costs recovery time, not module loading.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createLogger } from '../../lib/log.js';
import { startFireHost, type FireHostConfig } from './host.js';

async function configFile(): Promise<string> {
  const args = process.argv.slice(2);
  if (args[0] !== '--standby') return args[0] ?? '';
  process.stdout.write('LOADED\n');
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    const m = /^GO (.+)$/.exec(line.trim());
    if (m) { rl.close(); return m[1]!; }
  }
  return '';
}

const file = await configFile();
if (!file) {
  process.stderr.write('usage: tsx agent/fire/host-main.ts CONFIG.json | --standby (then "GO CONFIG.json" on stdin)\n');
  process.exit(2);
}
const cfg = JSON.parse(readFileSync(file, 'utf8')) as FireHostConfig;
const log = createLogger({ name: 'fire-host', level: process.env.DCIM_LOG_LEVEL ?? 'warn' });
const host = await startFireHost(cfg, { log });
process.stdout.write(`READY ${JSON.stringify({ pid: process.pid, socket: host.runtime.socketPath })}\n`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await host.stop();
  process.exit(0);
};
process.on('SIGTERM', () => { void stop(); });
process.on('SIGINT', () => { void stop(); });
