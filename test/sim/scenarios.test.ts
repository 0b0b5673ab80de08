/**
 * Each scenario run time-scaled (or stepped with advance() where a test plays the agent) and
 * checked against the truth. Writes go through a real modbus-serial client.
 */
import { afterEach, describe, expect, it } from 'vitest';
import ModbusSerial from 'modbus-serial';
import type { ModbusRTU } from 'modbus-serial/ModbusRTU.js';
import { startSimulator, type SimHandle } from '../../hardware-sim/index.js';
import { waitFor } from '../support/ports.js';

let h: SimHandle | undefined;
let client: ModbusRTU | undefined;
afterEach(async () => {
  if (client?.isOpen) await new Promise<void>((r) => client!.close(() => r()));
  client = undefined;
  await h?.stop();
  h = undefined;
});

async function connect(id: string): Promise<ModbusRTU> {
  const ep = h!.endpoints.find((e) => e.id === id)!;
  const Ctor = (ModbusSerial as unknown as { default?: new () => ModbusRTU }).default ?? (ModbusSerial as unknown as new () => ModbusRTU);
  const c = new Ctor();
  await c.connectTCP('127.0.0.1', { port: ep.port! });
  c.setID(1);
  c.setTimeout(2000);
  client = c;
  return c;
}

const small = { racksPerRoom: 4, pduRacks: 8 };
// Fire I/O addresses of rack r (profile sim-fire-io): coils/DIs at 100 + 8(r−1), registers at 100 + 4(r−1).
const coil = (r: number, k: number) => 100 + 8 * (r - 1) + k; // 0 breaker, 1 curtain, 2 nozzle, 3 spray
const di = (r: number, k: number) => 100 + 8 * (r - 1) + k; // 2 patch, 3 breaker.open, 4 curtain.down, 5 nozzle.pressure, 6 spray.flow
const reg = (r: number, k: number) => 100 + 4 * (r - 1) + k; // 0 probe a, 1 probe b, 2 breaker current

describe('scenarios against the truth', () => {
  it('feed-a-loss (time scale 50): the ATS is on B within the configured delay after the loss', async () => {
    h = await startSimulator({ timeScale: 50, opcuaEnabled: false, config: small, scenario: 'feed-a-loss' });
    const t = await waitFor(() => { const x = h!.truth(); return x.power.ats.source === 'B' ? x : undefined; }, { what: 'ATS on B' });
    const tr = t.power.ats.transfers[0]!;
    expect(tr).toMatchObject({ from: 'A', to: 'B' });
    expect(tr.lostAtS).toBeGreaterThanOrEqual(5);
    expect(tr.transferredAtS - tr.lostAtS).toBeGreaterThanOrEqual(t.power.ats.delayS - 1e-9);
    expect(tr.transferredAtS - tr.lostAtS).toBeLessThanOrEqual(t.power.ats.delayS + 1e-6);
    const c = await connect('ats-1');
    expect((await c.readInputRegisters(20, 1)).data[0]).toBe(2); // ats.source = B
    expect((await c.readDiscreteInputs(2, 2)).data.slice(0, 2)).toEqual([false, true]); // feed A unavailable, B available
  });

  it('both-feeds-lost (time scale 300): every zone on battery, charge drains, low battery, then the load drops', async () => {
    h = await startSimulator({ timeScale: 300, opcuaEnabled: false, config: { ...small, power: { rackCapacityWh: 1500, lowBatteryPct: 50 } }, scenario: 'both-feeds-lost' });
    await waitFor(() => h!.sim.model.zones.every((z) => z.lowBattery), { what: 'low battery', timeoutMs: 20_000 });
    h.setTimeScale(0);
    const t = h.truth();
    for (const u of t.ups) expect(u).toMatchObject({ onBattery: true });
    expect(t.power.busLive).toBe(false);
    expect(t.power.meters.intake!.powerW).toBe(0);
    const c = await connect('ups-z1');
    const flags = (await c.readInputRegisters(16, 1)).data[0]!;
    expect(flags & 0b110).toBe(0b110); // on battery + low battery (until the zone drops its load)
    expect((await c.readInputRegisters(10, 1)).data[0]).toBeLessThan(500); // battery.charge < 50.0 % (threshold set to 50 here)
    expect((await c.readHoldingRegisters(0, 1)).data[0]).toBe(500); // battery.charge.low
    h.advance(3600);
    expect(h.truth().ups.every((u) => !u.outputLive && u.droppedAtS !== null)).toBe(true);
    expect((await c.readInputRegisters(4, 1)).data[0]).toBe(0); // output.voltage
  });

  it('thermal-runaway-fast untreated (time scale 2000): the rack passes 80 °C and the patch fires', async () => {
    h = await startSimulator({ timeScale: 2000, opcuaEnabled: false, config: small, scenario: 'thermal-runaway-fast', scenarioTarget: { room: 'BR1', rack: 2 } });
    const t = await waitFor(() => { const x = h!.truth(); return x.rooms[0]!.racks[1]!.maxTemperatureC > 80 ? x : undefined; }, { what: 'rack above 80 °C' });
    const rack = t.rooms[0]!.racks[1]!;
    expect(rack.patchFired).toBe(true);
    expect(rack.offgas).toBe(true);
    const c = await connect('fire-br1');
    expect((await c.readDiscreteInputs(di(2, 2), 1)).data[0]).toBe(true);
  });

  it('thermal-runaway-fast treated through Modbus writes in time ends below 60 °C', async () => {
    h = await startSimulator({ timeScale: 0, opcuaEnabled: false, config: small, scenario: 'thermal-runaway-fast', scenarioTarget: { room: 'BR1', rack: 2 } });
    const c = await connect('fire-br1');
    const done: string[] = [];
    let nozzleConfirmedAt: number | null = null;
    const now = () => h!.sim.model.now;
    for (let i = 0; i < 3000 && !done.includes('spray'); i++) {
      h.advance(2);
      const probes = (await c.readInputRegisters(reg(2, 0), 2)).data.map((w: number) => (w << 16 >> 16) / 10);
      const hot = Math.max(...probes);
      if (hot >= 60 && !done.includes('isolate')) { await c.writeCoil(coil(2, 0), true); await c.writeCoil(coil(2, 1), true); done.push('isolate'); }
      if (hot >= 80 && !done.includes('nozzle')) { await c.writeCoil(coil(2, 2), true); done.push('nozzle'); }
      if (done.includes('nozzle') && nozzleConfirmedAt === null && (await c.readDiscreteInputs(di(2, 5), 1)).data[0]) nozzleConfirmedAt = now();
      if (nozzleConfirmedAt !== null && now() - nozzleConfirmedAt >= 60) { await c.writeCoil(coil(2, 3), true); done.push('spray'); }
    }
    h.advance(1800);
    expect(done).toEqual(['isolate', 'nozzle', 'spray']);
    const fb = (await c.readDiscreteInputs(di(2, 3), 4)).data.slice(0, 4);
    expect(fb).toEqual([true, true, true, true]); // breaker open, curtain down, nozzle pressure, spray flow
    const rack = h.truth().rooms[0]!.racks[1]!;
    expect(rack.temperatureC).toBeLessThan(60);
    expect(rack.source!.phase).not.toBe('runaway');
    const writes = h.sim.writes.list().filter((e) => e.device === 'fire-br1' && e.accepted).map((e) => e.point);
    expect(writes).toEqual(['rack.2.breaker.open.cmd', 'rack.2.curtain.down.cmd', 'rack.2.nozzle.release.cmd', 'rack.2.spray.cmd']);
  });

  it('an actuator marked stuck never confirms; a welded contactor keeps its current; a lying aux contact says open while current flows', async () => {
    h = await startSimulator({ timeScale: 0, opcuaEnabled: false, config: small, scenario: 'thermal-runaway-slow', scenarioTarget: { room: 'BR1', rack: 4 } });
    h.advance(1); // room charging at SOC 90 %
    await h.injectFault({ kind: 'actuator', room: 'BR1', rack: 1, actuator: 'curtain', mode: 'stuck' });
    await h.injectFault({ kind: 'actuator', room: 'BR1', rack: 2, actuator: 'breaker', mode: 'welded' });
    await h.injectFault({ kind: 'actuator', room: 'BR1', rack: 3, actuator: 'breaker', mode: 'lies' });
    const c = await connect('fire-br1');
    await c.writeCoil(coil(1, 1), true);
    await c.writeCoil(coil(2, 0), true);
    await c.writeCoil(coil(3, 0), true);
    for (let i = 0; i < 120; i++) {
      h.advance(5); // 10 min in total, far beyond every feedback timeout
      expect((await c.readDiscreteInputs(di(1, 4), 1)).data[0]).toBe(false);
    }
    const current = (r: number) => c.readInputRegisters(reg(r, 2), 1).then((x: { data: number[] }) => (x.data[0]! << 16 >> 16) / 10);
    expect(await current(2)).toBeGreaterThan(1);
    expect((await c.readDiscreteInputs(di(2, 3), 1)).data[0]).toBe(false);
    expect(await current(3)).toBeGreaterThan(1);
    expect((await c.readDiscreteInputs(di(3, 3), 1)).data[0]).toBe(true);
    // The upstream breaker (alternate path) stops the welded rack's current.
    await c.writeCoil(0, true);
    h.advance(1);
    expect(await current(2)).toBe(0);
  });

  it('ups-zone-fault: z2 on bypass drops its load during the ATS transfer while the other zones ride on battery', async () => {
    h = await startSimulator({ timeScale: 0, opcuaEnabled: false, config: small, scenario: 'ups-zone-fault' });
    h.advance(61);
    let t = h.truth();
    expect(t.ups[1]).toMatchObject({ bypass: true, fault: true, outputLive: false, outputW: 0 });
    expect(t.ups.filter((u) => u.id !== 'ups-z2').every((u) => u.onBattery && u.outputLive)).toBe(true);
    const c = await connect('ups-z2');
    expect((await c.readInputRegisters(16, 1)).data[0]! & 0b101000).toBe(0b101000); // bypass + fault bits
    h.advance(5);
    t = h.truth();
    expect(t.power.ats.source).toBe('B');
    expect(t.ups[1]!.outputLive).toBe(true);
  });

  it('chiller-trip (time scale 250): the buffer tank warms at Q / (m·c) within 5 %', async () => {
    h = await startSimulator({ timeScale: 250, opcuaEnabled: false, config: small, scenario: 'chiller-trip' });
    const plantAt = (s: number) => waitFor(() => { const p = h!.sim.model.plant.state; return p.simTimeS >= s ? p : undefined; }, { what: `plant at ${s} s` });
    const a = await plantAt(120);
    const b = await plantAt(720);
    expect(b.simTimeS).toBeLessThan(1200); // still before the restore step
    expect(b.chillers.every((x) => x.tripped)).toBe(true);
    const measured = (b.tank.temperatureC - a.tank.temperatureC) / (b.simTimeS - a.simTimeS);
    const q = (a.heatRemovedKw + b.heatRemovedKw) / 2; // kW carried into the tank
    const expected = q / (a.tank.massKg * 4.186);
    expect(q).toBeGreaterThan(0);
    expect(Math.abs(measured - expected) / expected).toBeLessThan(0.05);
    expect(a.itHeatKw).toBeCloseTo(h.sim.model.pdus.reduce((s, p) => s + p.nominalW, 0) / 1000, 6); // the PDUs' IT heat drives the plant
  });
});
