/**
 * The agent end to end against the simulated site (hardware-sim startSimulator, every Modbus
 * device: UPS ×4, BMS ×4, fire I/O ×4, ATS, meters, a PDU gateway with 20 unit ids), configured by
 * agent/config/from-sim.ts, publishing to a real Mosquitto.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/log.js';
import type { AgentBirth } from '../../lib/mqtt-contract.js';
import { createAgent } from '../../agent/agent.js';
import { fromSim } from '../../agent/config/from-sim.js';
import { resolveAgentConfig } from '../../agent/config/load.js';
import { startSimulator, type SimHandle } from '../../hardware-sim/index.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { waitFor } from '../support/ports.js';
import { collect } from './helpers.js';

let broker: Mosquitto;
let sim: SimHandle;
let dir: string;
beforeAll(async () => {
  broker = await startMosquitto();
  sim = await startSimulator({ opcuaEnabled: false });
  dir = mkdtempSync(join(tmpdir(), 'dcim-sim-e2e-'));
});
afterAll(async () => {
  await sim.stop();
  await broker.stop();
  rmSync(broker.dir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

describe('agent against the simulated site', () => {
  it('reads every Modbus device of the site and publishes their points', async () => {
    const loaded = resolveAgentConfig(fromSim(sim.endpoints, { brokerUrl: broker.url, dataDir: join(dir, 'data'), protocols: ['modbus'], agent: 'edge-sim' }));
    const ids = loaded.devices.map((d) => d.id);
    expect(ids.length).toBe(4 * 3 + 2 + 20);
    const sub = await collect(broker.url, 'sim1', 'edge-sim');
    const agent = createAgent({ loaded, log: silentLogger, buffer: 'memory' });
    await agent.start();
    try {
      const seen = new Set<string>();
      await waitFor(() => { for (const b of sub.telemetry) for (const p of b.points) seen.add(p.d); return ids.every((id) => seen.has(id)); }, { what: 'a point from every device', timeoutMs: 30_000 });
      const birth = sub.retained.get('dcim/v1/sim1/edge-sim/birth') as AgentBirth;
      expect(birth.devices.map((d) => d.id).sort()).toEqual([...ids].sort());
      const bms = birth.devices.find((d) => d.id === 'bms-br1')!;
      expect(bms.points.length).toBeGreaterThan(8 * 17 * 3);
      const pts = sub.telemetry.flatMap((b) => b.points);
      const t = pts.find((p) => p.d === 'fire-br1' && p.n === 'rack.1.probe.a.temperature');
      expect(t).toMatchObject({ q: 0 });
      expect(typeof t!.v).toBe('number');
      expect(pts.filter((p) => p.q === 2).map((p) => `${p.d} ${p.n} ${p.r}`)).toEqual([]);
      await waitFor(async () => ((await (await fetch(`http://127.0.0.1:${agent.healthPort}/healthz`)).json()) as { status: string }).status === 'ok', { what: 'healthz ok' });
    } finally {
      await agent.stop();
      await sub.close();
    }
  });

  it('reads the chiller plant (OPC-UA), the cameras and inlet sensors (MQTT) with the shipped profiles', async () => {
    const full = await startSimulator({ brokerUrl: broker.url });
    const raw = fromSim(full.endpoints, { brokerUrl: broker.url, dataDir: join(dir, 'data-full'), protocols: ['opcua', 'mqtt'], agent: 'edge-full' });
    const loaded = resolveAgentConfig(raw);
    const sub = await collect(broker.url, 'sim1', 'edge-full');
    const agent = createAgent({ loaded, log: silentLogger, buffer: 'memory' });
    await agent.start();
    try {
      const latest = new Map<string, { v: unknown; q: number; r?: string }>();
      const want = ['chiller-plant chw.a.supply.temperature', 'chiller-plant tank.level', 'chiller-plant tank.layer.4.temperature', 'chiller-plant chiller.2.running', 'cam-br1 camera.region.8.temperature.max', 'cam-br4 camera.region.1.temperature.mean', 'env-sr1 rack.1.inlet.temperature', 'env-sr2 rack.10.inlet.humidity'];
      await waitFor(() => {
        for (const b of sub.telemetry) for (const p of b.points) latest.set(`${p.d} ${p.n}`, p);
        return want.every((k) => latest.get(k)?.q === 0);
      }, { what: `good values for ${want.join(', ')}`, timeoutMs: 40_000 });
      expect(typeof latest.get('chiller-plant chiller.2.running')!.v).toBe('boolean');
      expect(latest.get('cam-br1 camera.region.8.temperature.max')!.v).toEqual(expect.any(Number));
      const bad = [...latest].filter(([, p]) => p.q === 2).map(([k, p]) => `${k} ${p.r}`);
      expect(bad).toEqual([]);
    } finally {
      await agent.stop();
      await sub.close();
      await full.stop();
    }
  });

  it('runs the fire runtime inside the agent: every zone publishes its retained state through the agent', async () => {
    const loaded = resolveAgentConfig(fromSim(sim.endpoints, { brokerUrl: broker.url, dataDir: join(dir, 'data-fire'), protocols: ['modbus'], agent: 'edge-fire', fire: true }));
    expect(loaded.config.fire?.zones.map((z) => z.id)).toEqual(['z1', 'z2', 'z3', 'z4']);
    const sub = await collect(broker.url, 'sim1', 'edge-fire');
    const agent = createAgent({ loaded, log: silentLogger, buffer: 'memory' });
    await agent.start();
    try {
      expect(agent.fire).not.toBeNull();
      await waitFor(() => ['z1', 'z2', 'z3', 'z4'].every((z) => sub.retained.has(`dcim/v1/sim1/edge-fire/state/fire/${z}`)), { what: 'state/fire/z1..z4', timeoutMs: 30_000 });
      expect(sub.retained.get('dcim/v1/sim1/edge-fire/state/fire/z1')).toMatchObject({ v: 1, zone: 'z1', room: 'BR1' });
      expect(agent.fire!.state().map((d) => d.zone)).toEqual(['z1', 'z2', 'z3', 'z4']);
    } finally {
      await agent.stop();
      await sub.close();
    }
  });
});
