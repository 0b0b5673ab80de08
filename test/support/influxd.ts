/**
 * A real InfluxDB 1.x (Debian's influxd) for one test file, config and data in a temp folder,
 * on free ports. Stopped and removed by stop().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './ports.js';

export const INFLUXD_BIN = process.env.INFLUXD_BIN ?? '/usr/bin/influxd';

export interface Influxd {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startInfluxd(): Promise<Influxd> {
  const dir = mkdtempSync(join(tmpdir(), 'dcim-influx-'));
  const port = await freePort();
  const bindPort = await freePort();
  const conf = join(dir, 'influxdb.conf');
  writeFileSync(conf, `
reporting-disabled = true
bind-address = "127.0.0.1:${bindPort}"
[meta]
  dir = "${dir}/meta"
[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  query-log-enabled = false
  wal-fsync-delay = "0s"
[http]
  enabled = true
  bind-address = "127.0.0.1:${port}"
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
[logging]
  level = "error"
`);
  const child: ChildProcess = spawn(INFLUXD_BIN, ['-config', conf], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    const r = await fetch(`${url}/ping`).catch(() => null);
    return r?.status === 204;
  }, { what: `influxd on ${port}`, timeoutMs: 30_000, intervalMs: 100 });
  return {
    url,
    port,
    async stop() {
      if (child.exitCode === null) {
        await new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.kill('SIGTERM'); });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
