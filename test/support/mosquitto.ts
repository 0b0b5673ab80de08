/**
 * A real Mosquitto broker on 127.0.0.1 for one test file: own port, own temp config, optional
 * persistence directory (so a stop/start keeps persistent sessions, as in production).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './ports.js';

export const MOSQUITTO_BIN = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';

export interface Mosquitto {
  url: string;
  port: number;
  dir: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ host: '127.0.0.1', port });
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
}

const tempDirs = new Set<string>();
// Brokers are stopped and started again inside a test (outages), so their folders live until the
// test process ends; then they are removed.
process.once('exit', () => { for (const d of tempDirs) rmSync(d, { recursive: true, force: true }); });

export async function startMosquitto(opts: { extraConfig?: string } = {}): Promise<Mosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'dcim-mosq-'));
  tempDirs.add(dir);
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence true',
    `persistence_location ${dir}/`,
    'max_queued_messages 100000',
    'log_dest none',
    // As root, mosquitto would drop to the `mosquitto` user and could not write its persistence
    // file into this 0700 folder: sessions and retained messages would not survive a restart.
    process.getuid?.() === 0 ? 'user root' : '',
    opts.extraConfig ?? '',
  ].join('\n'));
  let child: ChildProcess | null = null;
  const m: Mosquitto = {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    dir,
    async start() {
      child = spawn(MOSQUITTO_BIN, ['-c', conf], { stdio: 'ignore' });
      await waitFor(() => portOpen(port), { what: `mosquitto on ${port}`, timeoutMs: 10_000 });
    },
    async stop() {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null) return;
      await new Promise<void>((resolve) => { c.once('exit', () => resolve()); c.kill('SIGTERM'); });
    },
  };
  await m.start();
  return m;
}
