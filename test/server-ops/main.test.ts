/** The process entry: start without a reachable broker (commands 503, the rest works), first-run admin once, CLI config errors. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test, vi } from 'vitest';
import { silentLogger } from '../../lib/log.js';
import { startServer } from '../../server/main.js';
import { run } from '../../server/cli.js';
import { freePort } from '../support/ports.js';

const dir = mkdtempSync(join(tmpdir(), 'dcim-main-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('starts with the broker down: health answers, commands are 503; the first-run admin is created once and kept', async () => {
  const port = await freePort();
  const config = { site: 'sim1', dataDir: dir, broker: { url: `mqtt://127.0.0.1:${port}` }, auth: { scryptCost: 14 }, agents: [{ id: 'agent-1', key: 'k'.repeat(32) }] };
  let s = await startServer({ config, log: silentLogger, port: 0, dataPlane: false, brokerWaitMs: 300 });
  try {
    expect(s.firstAdmin?.username).toBe('admin');
    expect((await fetch(`${s.url}/api/health`)).status).toBe(200);
    const login = await fetch(`${s.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: s.firstAdmin!.password }) });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const cmd = await fetch(`${s.url}/api/commands`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'silence', zone: 'BR1', agent: 'agent-1' }) });
    expect(cmd.status).toBe(503);
    expect((await cmd.json()).message).toMatch(/not connected to the MQTT broker/);
  } finally { await s.close(); }
  s = await startServer({ config, log: silentLogger, port: 0, dataPlane: false, brokerWaitMs: 300 });
  expect(s.firstAdmin).toBeNull(); // no second generated password on the next start
  await s.close();
}, 30_000);

test('dcim server: a config error names file:line:col and the key; exit code 2', async () => {
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'site: sim1\nauth:\n  scryptCost: 3\nlisten: { port: 8080 }\ncolour: blue\n');
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    expect(await run(['--config', file])).toBe(2);
    const text = err.mock.calls.map((c) => String(c[0])).join('');
    expect(text).toContain(`${file}:3:15 auth.scryptCost: must be >= 14`);
    expect(text).toContain(`${file}:5:1 colour: unknown key`);
    // a broker password without a user name (MQTT sends a password only with a user name)
    writeFileSync(file, 'site: sim1\nbroker:\n  url: mqtt://127.0.0.1:1883\n  passwordEnv: DCIM_MQTT_PASSWORD\n');
    err.mockClear();
    expect(await run(['--config', file])).toBe(2);
    expect(err.mock.calls.map((c) => String(c[0])).join('')).toContain(`${file}:3:3 broker: must have property username when property passwordEnv is present`);
    expect(await run([])).toBe(2);
  } finally { err.mockRestore(); }
});
