/**
 * The agent against the real simulator (hardware-sim, ports 0): the config built by fromSim()
 * loads, and every point of every simulated Modbus device reads with good quality (the simulator
 * serves its truth through the same profiles the agent reads with).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Point } from '../../lib/points.js';
import { silentLogger } from '../../lib/log.js';
import { startSimulator, type SimHandle } from '../../hardware-sim/index.js';
import { fromSim } from './from-sim.js';
import { resolveAgentConfig } from './load.js';
import { normalise, type PointDef } from '../points/normalise.js';
import { systemClock } from '../drivers/types.js';
import { createModbusDrivers } from '../drivers/modbus/index.js';
import { waitFor } from '../../test/support/ports.js';

let sim: SimHandle;
beforeAll(async () => { sim = await startSimulator({ opcuaEnabled: false, timeScale: 0, config: { racksPerRoom: 2, pduRacks: 4 } }); }, 30_000);
afterAll(async () => { await sim?.stop(); });

describe('fromSim against the running simulator', () => {
  it('every point of every simulated Modbus device reads good', { timeout: 30_000 }, async () => {
    const loaded = resolveAgentConfig(fromSim(sim.endpoints, { protocols: ['modbus'], fire: true, pollGroups: { fast: 50, normal: 100, slow: 200 } }));
    const ids = loaded.devices.map((d) => d.id);
    expect(ids).toEqual(expect.arrayContaining(['ups-z1', 'bms-br1', 'fire-br4', 'ats-1', 'meters-1', 'pdu-gw-1-u1', 'pdu-gw-1-u4']));
    expect(loaded.config.fire!.zones.map((z) => z.id).sort()).toEqual(['z1', 'z2', 'z3', 'z4']);
    const latest = new Map<string, Point>();
    const defs = new Map(loaded.devices.map((d) => [d.id, new Map<string, PointDef>(d.points.map((p) => [p.name, p]))]));
    const drivers = createModbusDrivers(loaded);
    for (const d of drivers) {
      await d.start({ log: silentLogger, clock: systemClock, count: () => undefined, sink: (rs) => { for (const r of rs) latest.set(`${r.device}/${r.point}`, normalise(r, defs.get(r.device)!.get(r.point)!, 'sim1')); } });
    }
    try {
      const total = loaded.devices.reduce((n, d) => n + d.points.length, 0);
      await waitFor(() => latest.size === total, { what: `all ${total} points read`, timeoutMs: 15_000 });
      await waitFor(() => [...latest.values()].every((p) => p.quality === 'good'), {
        what: `good quality everywhere; not good: ${[...latest.values()].filter((p) => p.quality !== 'good').slice(0, 5).map((p) => `${p.device}/${p.name} ${p.quality} ${p.reason}`).join(', ')}`,
        timeoutMs: 15_000,
      });
      expect(latest.get('ups-z1/ups.load')!.unit).toBe('%');
      expect(typeof latest.get('bms-br1/rack.2.module.17.temperature.max')!.value).toBe('number');
      expect(drivers.every((d) => d.linkState() === 'up')).toBe(true);
      // An actuator write to the simulated fire I/O, read back (the coil the simulator keeps).
      const fire = drivers.find((d) => d.deviceId === 'fire-br1')!;
      expect(await fire.write({ device: 'fire-br1', point: 'rack.2.breaker.open.cmd', value: true })).toEqual({ ok: true, readBack: true });
      await waitFor(() => latest.get('fire-br1/rack.2.breaker.open.cmd')?.value === true, { what: 'the written coil polled back' });
      expect(await fire.write({ device: 'fire-br1', point: 'rack.2.smoke', value: true })).toEqual({ ok: false, error: 'not_writable' });
    } finally {
      await Promise.all(drivers.map((d) => d.stop()));
    }
  });
});
