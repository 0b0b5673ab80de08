/** `dcim agent` command line: usage and config errors exit 2 with file:line:col messages; a running agent stops on SIGTERM. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirLock, DataDirLockedError } from '../../agent/buffer/lock.js';

const BIN = fileURLToPath(new URL('../../bin/dcim.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'dcim-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const dcim = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, DCIM_LOG_LEVEL: 'silent' } });

describe('dcim agent', () => {
  it('exits 2 with usage when --config is missing', () => {
    const r = dcim('agent');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--config[\s\S]*usage: dcim agent --config FILE/);
  });

  it('exits 2 naming file:line:col and the key for a bad config', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'site: sim1\nagent: a1\ndevices: []\ntelemetry:\n  batchMaxPoints: 0\n');
    const r = dcim('agent', '--config', file);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${file}:5:19 telemetry.batchMaxPoints: must be >= 1`);
  });
});

describe('data folder lock', () => {
  it('refuses a second live owner and takes over a lock left by a dead process', () => {
    const d = join(dir, 'data');
    const a = DataDirLock.acquire(d);
    writeFileSync(join(d, 'agent.lock'), String(process.ppid));
    expect(() => DataDirLock.acquire(d)).toThrow(DataDirLockedError);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(d, 'agent.lock'), dead.stdout);
    const b = DataDirLock.acquire(d);
    b.release();
    a.release();
  });
});
