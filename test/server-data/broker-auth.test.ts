/**
 * The server against Mosquitto configured as the README's production section says: no anonymous
 * clients, one account per agent and for the server, and the README's ACL file itself. The server's
 * ingest (data plane) and its command link both log in; an agent's event and telemetry are stored,
 * and an agent cannot read another agent's commands.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, expect, test } from 'vitest';
import { silentLogger } from '../../lib/log.js';
import { topic } from '../../lib/mqtt-contract.js';
import { startServer } from '../../server/main.js';
import { startMosquitto } from '../support/mosquitto.js';
import { waitFor } from '../support/ports.js';
import { event, telemetry } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'dcim-broker-auth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The ACL block of the README's production section, as an operator would copy it. */
function readmeAcl(): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const block = readme.split('```').find((b) => b.trim().startsWith('# /etc/mosquitto/dcim.acl'));
  if (!block) throw new Error('README: no ACL block for /etc/mosquitto/dcim.acl');
  return block.trim();
}

test('README production broker (no anonymous, accounts, its ACL): the server logs in with broker.username/passwordEnv, stores an agent\'s events and telemetry; agents are confined to their topics', async () => {
  const pw = join(dir, 'passwd');
  execFileSync('mosquitto_passwd', ['-c', '-b', pw, 'dcim-server', 'server-secret-1']);
  execFileSync('mosquitto_passwd', ['-b', pw, 'edge-1', 'edge-secret-1']);
  execFileSync('mosquitto_passwd', ['-b', pw, 'edge-2', 'edge-secret-2']);
  writeFileSync(join(dir, 'dcim.acl'), `${readmeAcl()}\n`);
  const broker = await startMosquitto({ extraConfig: `allow_anonymous false\npassword_file ${pw}\nacl_file ${join(dir, 'dcim.acl')}` });
  // A wrong password is a clear start error naming the cause, not a hang and not a silent server.
  process.env.DCIM_TEST_MQTT_PASSWORD = 'wrong';
  await expect(startServer({
    log: silentLogger, port: 0, brokerWaitMs: 500,
    config: { site: 'sim1', dataDir: join(dir, 'data-bad'), broker: { url: broker.url, username: 'dcim-server', passwordEnv: 'DCIM_TEST_MQTT_PASSWORD' }, auth: { scryptCost: 14 } },
  })).rejects.toThrow(/refused ingest's connection: Connection refused: Not authorized.*broker\.passwordEnv/);
  process.env.DCIM_TEST_MQTT_PASSWORD = 'server-secret-1';
  const server = await startServer({
    log: silentLogger, port: 0, brokerWaitMs: 5000,
    config: { site: 'sim1', dataDir: join(dir, 'data'), broker: { url: broker.url, username: 'dcim-server', passwordEnv: 'DCIM_TEST_MQTT_PASSWORD', clientId: 'dcim-server-auth-test' }, agents: [{ id: 'edge-1', key: 'edge-1-command-key-0123456789' }], auth: { scryptCost: 14 } },
  });
  const edge1 = await mqtt.connectAsync(broker.url, { clientId: 'edge-1', username: 'edge-1', password: 'edge-secret-1' });
  const edge2 = await mqtt.connectAsync(broker.url, { clientId: 'edge-2', username: 'edge-2', password: 'edge-secret-2' });
  try {
    expect(server.dataPlane).toBe(true);
    const login = await server.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: server.firstAdmin!.password } });
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const batches = async (stream: string) => (await server.app.inject({ method: 'GET', url: `/api/sites/sim1/batches?agent=edge-1&stream=${stream}`, headers: { cookie } })).json() as { seq: number }[];

    const now = Date.now();
    await edge1.publishAsync(topic('sim1', 'edge-1', 'event'), JSON.stringify(event('edge-1', 1, { kind: 'alarm', ts: now, message: 'UPS on battery' })), { qos: 1 });
    await edge1.publishAsync(topic('sim1', 'edge-1', 'telemetry'), JSON.stringify(telemetry('edge-1', 1, [{ d: 'ups-z1', n: 'ups.load', v: 42, t: now, q: 0 }])), { qos: 1 });
    // stored by ingest (its own login) and seen by the operational side
    await waitFor(async () => (await batches('event')).length === 1 && (await batches('telemetry')).length === 1 || undefined, { what: 'the event and the batch stored', timeoutMs: 10_000 });
    expect((await batches('event')).map((b) => b.seq)).toEqual([1]);
    expect(server.ops.counters.events).toBeGreaterThanOrEqual(1);

    // The ACL: edge-2 may not publish as edge-1 (the broker drops it), nor read edge-1's commands.
    await edge2.publishAsync(topic('sim1', 'edge-1', 'event'), JSON.stringify(event('edge-1', 2, { kind: 'alarm', ts: now, message: 'forged' })), { qos: 1 });
    const seen: string[] = [];
    edge2.on('message', (t) => seen.push(t));
    await edge2.subscribeAsync(topic('sim1', 'edge-1', 'cmd'), { qos: 1 });
    await edge1.publishAsync(topic('sim1', 'edge-1', 'event'), JSON.stringify(event('edge-1', 3, { kind: 'alarm', ts: now + 1, message: 'UPS back on mains' })), { qos: 1 });
    await waitFor(async () => (await batches('event')).some((b) => b.seq === 3) || undefined, { what: 'the next genuine event', timeoutMs: 10_000 });
    expect((await batches('event')).map((b) => b.seq)).toEqual([1, 3]);
    expect(seen).toEqual([]);
  } finally {
    delete process.env.DCIM_TEST_MQTT_PASSWORD;
    await edge1.endAsync();
    await edge2.endAsync();
    await server.close();
    await broker.stop();
  }
}, 60_000);
