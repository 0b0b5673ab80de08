/**
 * Staleness decided once per agent cycle: an MQTT device that goes silent (no error, just no
 * messages) turns its points uncertain `stale` with their last value and time; a fresh message
 * makes them good again. Device → real Mosquitto → agent → same broker → subscriber.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/log.js';
import { createAgent } from '../../agent/agent.js';
import { loadAgentConfig } from '../../agent/config/load.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { waitFor } from '../support/ports.js';
import { collect } from './helpers.js';

let broker: Mosquitto;
let dir: string;
beforeAll(async () => { broker = await startMosquitto(); dir = mkdtempSync(join(tmpdir(), 'dcim-stale-')); });
afterAll(async () => { await broker.stop(); rmSync(broker.dir, { recursive: true, force: true }); rmSync(dir, { recursive: true, force: true }); });

describe('staleness', () => {
  it('a silent MQTT device goes uncertain/stale once, then good again on a fresh message', async () => {
    mkdirSync(join(dir, 'profiles'));
    writeFileSync(join(dir, 'profiles', 'test-inlet.yaml'), stringify({
      profile: 'test-inlet', description: 'one inlet sensor', protocol: 'mqtt',
      mqtt: { topics: [{ topic: 'plant/{device}/t', timestampPath: 'ts', staleAfterMs: 400, points: [{ name: 'rack.1.inlet.temperature', path: 'v', unit: '°C' }] }] },
    }));
    writeFileSync(join(dir, 'agent.yaml'), stringify({
      site: 'sim1', agent: 'edge-s', dataDir: 'data', broker: { url: broker.url }, profiles: ['profiles'],
      devices: [{ id: 'env-1', profile: 'test-inlet', mqtt: { broker: broker.url } }],
      telemetry: { batchMaxMs: 50 }, health: { port: 0 },
    }));
    const sub = await collect(broker.url, 'sim1', 'edge-s');
    const agent = createAgent({ loaded: loadAgentConfig(join(dir, 'agent.yaml')), log: silentLogger, buffer: 'memory' });
    const dev = await mqtt.connectAsync(broker.url);
    await agent.start();
    try {
      await waitFor(() => agent.driver('env-1')?.linkState() === 'up', { what: 'device subscribed' });
      const t0 = Date.now();
      await dev.publishAsync('plant/env-1/t', JSON.stringify({ ts: t0, v: 24.5 }), { qos: 1 });
      const pts = () => sub.telemetry.flatMap((b) => b.points).filter((p) => p.n === 'rack.1.inlet.temperature');
      await waitFor(() => pts().some((p) => p.q === 1), { what: 'stale point', timeoutMs: 10_000 });
      expect(pts().map((p) => [p.v, p.q, p.r ?? null, p.t])).toEqual([[24.5, 0, null, t0], [24.5, 1, 'stale', t0]]);
      expect(agent.metrics.total('dcim_points_stale_total')).toBe(1);
      await dev.publishAsync('plant/env-1/t', JSON.stringify({ ts: t0 + 1, v: 24.5 }), { qos: 1 });
      await waitFor(() => pts().length >= 3, { what: 'good again' });
      expect(pts()[2]).toMatchObject({ v: 24.5, q: 0, t: t0 + 1 });
    } finally {
      await dev.endAsync();
      await agent.stop();
      await sub.close();
    }
  });
});
