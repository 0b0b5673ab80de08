/**
 * The agent end to end in-process: a Modbus device (in-process server) and the chiller plant's
 * OPC-UA server → normaliser → telemetry on a real Mosquitto; /metrics and /healthz; events;
 * fire-relevant points and staleness; bad Modbus answers as bad points.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/log.js';
import { createAgent } from '../../agent/agent.js';
import { loadAgentConfig } from '../../agent/config/load.js';
import { FixtureServer } from '../../agent/drivers/modbus/fixture-server.js';
import { CoolingPlant } from '../../hardware-sim/plant/cooling.js';
import { startChillerOpcua, type ChillerOpcuaServer } from '../../hardware-sim/plant/opcua-server.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { waitFor } from '../support/ports.js';
import { writeAgentSetup } from './fixtures.js';
import { collect } from './helpers.js';
import { writeFileSync, mkdirSync } from 'node:fs';
import { stringify } from 'yaml';

let broker: Mosquitto;
let modbus: FixtureServer;
let plant: ChillerOpcuaServer;
let dir: string;
beforeAll(async () => {
  broker = await startMosquitto();
  modbus = new FixtureServer({ registers: { holding: { 0: [10, 215] } } });
  await modbus.start(0);
  plant = await startChillerOpcua(new CoolingPlant(), { port: 0, updateMs: 100 });
  dir = mkdtempSync(join(tmpdir(), 'dcim-agent-'));
});
afterAll(async () => {
  await plant.stop();
  await modbus.stop();
  await broker.stop();
  rmSync(broker.dir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

describe('agent end to end', () => {
  it('polls Modbus and OPC-UA devices, publishes birth and telemetry, serves /metrics and /healthz', async () => {
    mkdirSync(join(dir, 'profiles'), { recursive: true });
    writeFileSync(join(dir, 'profiles', 'test-plant.yaml'), stringify({
      profile: 'test-plant', description: 'chiller plant subset', kind: 'chiller', protocol: 'opcua',
      opcua: { points: [
        { name: 'chw.supply.temperature', nodeId: 'ns=1;s=Plant.SupplyTemperature', unit: '°C', samplingIntervalMs: 100 },
        { name: 'tank.level', nodeId: 'ns=1;s=BufferTank.Level', unit: '%', mode: 'read' },
      ] },
    }));
    const file = writeAgentSetup({
      dir, brokerUrl: broker.url, modbusPort: modbus.port,
      extraDevices: [{ id: 'chiller-plant', profile: 'test-plant', opcua: { endpoint: plant.endpointUrl, publishingIntervalMs: 100, readIntervalMs: 100 } }],
    });
    const sub = await collect(broker.url, 'sim1', 'edge-t');
    const agent = createAgent({ loaded: loadAgentConfig(file), log: silentLogger, link: { reconnectPeriodMs: 100 } });
    const seen: string[] = [];
    agent.onPoints((pts) => { for (const p of pts) seen.push(`${p.name}:${p.quality}`); });
    await agent.start();
    try {
      const points = () => sub.telemetry.flatMap((b) => b.points);
      await waitFor(() => points().some((p) => p.n === 'tank.level') && points().some((p) => p.n === 'chw.supply.temperature') && points().some((p) => p.n === 'battery.temperature'), { what: 'points from both devices', timeoutMs: 20_000 });
      expect(points().find((p) => p.n === 'battery.temperature')).toMatchObject({ d: 'dev-1', v: 21.5, q: 0 });
      expect(points().find((p) => p.n === 'battery.charge')).toMatchObject({ d: 'dev-1', v: 10, q: 0 });
      expect(sub.retained.get('dcim/v1/sim1/edge-t/birth')).toMatchObject({
        site: 'sim1', agent: 'edge-t', epoch: agent.epoch,
        devices: [
          { id: 'dev-1', profile: 'test-counter', protocol: 'modbus', room: 'BR1', zone: 'z1', points: [{ name: 'battery.charge', unit: '%' }, { name: 'battery.temperature', unit: '°C' }] },
          { id: 'chiller-plant', protocol: 'opcua', kind: 'chiller' },
        ],
      });
      // Fire-relevant battery.temperature is sent every poll; unchanged battery.charge is held back until its heartbeat.
      const before = points().filter((p) => p.n === 'battery.temperature').length;
      await waitFor(() => points().filter((p) => p.n === 'battery.temperature').length >= before + 3, { what: 'fire point every poll' });
      expect(points().filter((p) => p.n === 'battery.charge').length).toBeLessThan(points().filter((p) => p.n === 'battery.temperature').length);

      modbus.set('holding', 0, 11);
      await waitFor(() => points().some((p) => p.n === 'battery.charge' && p.v === 11), { what: 'changed value reported' });

      const base = `http://127.0.0.1:${agent.healthPort}`;
      const health = await (await fetch(`${base}/healthz`)).json() as Record<string, unknown>;
      expect(health).toMatchObject({ status: 'ok', site: 'sim1', agent: 'edge-t', link: 'up', devices: { 'dev-1': 'up', 'chiller-plant': 'up' } });
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toMatch(/^dcim_points_total\{device="dev-1"\} \d+$/m);
      expect(metrics).toMatch(/^dcim_link_up 1$/m);
      expect(metrics).toMatch(/^dcim_queue_depth\{stream="telemetry"\} \d+$/m);
      expect(metrics).toMatch(/^dcim_device_up\{device="chiller-plant"\} 1$/m);
      expect(metrics).toMatch(/^# TYPE dcim_poll_duration_ms summary$/m);

      await plant.stop();
      await waitFor(() => points().some((p) => p.n === 'tank.level' && p.q === 2 && p.r === 'comm_failure'), { what: 'comm_failure after OPC-UA server stop', timeoutMs: 20_000 });
      await waitFor(() => sub.events.some((e) => e.kind === 'device.status' && e.device === 'chiller-plant' && (e.data as { state: string }).state !== 'up'), { what: 'device.status event' });
      expect((await (await fetch(`${base}/healthz`)).json() as { status: string }).status).toBe('degraded');
      expect(seen).toContain('tank.level:bad');
      plant = await startChillerOpcua(new CoolingPlant(), { port: plant.port, updateMs: 100 });
      await waitFor(() => sub.events.some((e) => e.kind === 'device.status' && e.device === 'chiller-plant' && (e.data as { state: string }).state === 'up' && e.seq > 2), { what: 'device up again', timeoutMs: 30_000 });
      expect(sub.events[0]).toMatchObject({ kind: 'agent.lifecycle', seq: 1 });
      expect(sub.events.map((e) => e.seq)).toEqual(sub.events.map((_, i) => i + 1));
    } finally {
      await agent.stop();
      await sub.close();
    }
  });
});
