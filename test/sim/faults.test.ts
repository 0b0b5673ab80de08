/** FIRE-SAFETY.md §4 failure modes, injected through the fault API and checked in the truth and the served points. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from '../../hardware-sim/index.js';
import { FaultSpecError } from '../../hardware-sim/fault-spec.js';

let h: SimHandle;
const fire = (room = 'br1') => h.truth().devices[`fire-${room}`]!;
const write = (room: string, point: string, v: boolean) => h.sim.server(`fire-${room}`)!.writeByName(point, v, 'test');

beforeAll(async () => { h = await startSimulator({ timeScale: 0, opcuaEnabled: false, config: { racksPerRoom: 3, pduRacks: 4 } }); });
afterAll(async () => { await h?.stop(); });

describe('fire failure modes', () => {
  it('water supply lost: the spray valve opens but the flow switch never makes', async () => {
    const id = await h.injectFault({ kind: 'water-supply-lost', room: 'BR1' });
    write('br1', 'rack.1.spray.cmd', true);
    h.advance(60);
    expect(fire()['room.water.supply.ok']).toBe(false);
    expect(fire()['rack.1.spray.flow']).toBe(false);
    h.clearFault(id);
    h.advance(5); // flow switch 3 s after the supply is back (noticed within one 1 s sub-step)
    expect(fire()['rack.1.spray.flow']).toBe(true);
  });

  it('drain tank full and gas store low read as injected; a low store (< 50 %) releases nothing', async () => {
    await h.injectFault({ kind: 'drain-tank-full', room: 'BR2' });
    await h.injectFault({ kind: 'gas-store-low', room: 'BR2', pressurePct: 40 });
    expect(fire('br2')['room.tank.level']).toBe(96);
    expect(fire('br2')['room.gas.store.pressure']).toBe(40);
    write('br2', 'room.gas.release.cmd', true);
    h.advance(30);
    expect(fire('br2')['room.gas.pressure']).toBe(false);
    expect(h.truth().rooms[1]!.gasActive).toBe(false);
  });

  it('the releasing panel: abort held blocks the agent coil, manual release overrides it, lock-off blocks everything', async () => {
    await h.injectFault({ kind: 'input', room: 'BR3', input: 'abort', value: true });
    write('br3', 'room.gas.release.cmd', true);
    h.advance(30);
    expect(fire('br3')['room.abort']).toBe(true);
    expect(fire('br3')['room.gas.pressure']).toBe(false);
    const manual = await h.injectFault({ kind: 'input', room: 'BR3', input: 'manual.release', value: true });
    h.advance(2);
    expect(fire('br3')['room.gas.pressure']).toBe(true);
    expect(h.truth().rooms[2]!.gasActive).toBe(true);
    h.advance(15);
    expect(fire('br3')['room.gas.store.pressure']).toBe(0);
    h.clearFault(manual);
    h.maintain('BR3', 'refill-gas');
    expect(fire('br3')['room.gas.store.pressure']).toBe(100);
    expect(fire('br3')['room.gas.pressure']).toBe(false);
    await h.injectFault({ kind: 'input', room: 'BR4', input: 'lockoff', value: true });
    await h.injectFault({ kind: 'input', room: 'BR4', input: 'manual.release', value: true });
    h.advance(10);
    expect(fire('br4')['room.lockoff']).toBe(true);
    expect(fire('br4')['room.gas.pressure']).toBe(false);
  });

  it('off-gas only, patch that never fires, BMS disagreeing with the probes', async () => {
    await h.injectFault({ kind: 'offgas-only', room: 'BR1', rack: 3 });
    await h.injectFault({ kind: 'bms-camera-disagree', room: 'BR1', rack: 2, bmsDeltaC: 65 });
    h.advance(1);
    expect(fire()['rack.3.offgas']).toBe(true);
    expect(h.truth().rooms[0]!.racks[2]!.temperatureC).toBeCloseTo(25, 0);
    const bms = h.truth().devices['bms-br1']!;
    expect(bms['rack.2.temperature.max']).toBeGreaterThan(85);
    expect(fire()['rack.2.probe.a.temperature']).toBeLessThan(30);
    await expect(h.injectFault({ kind: 'bms-camera-disagree', room: 'BR1', rack: 2, cameraDeltaC: 5 })).rejects.toThrow(/camera simulator/);
  });

  it('patch fires early: the fired input is set at ambient temperature; maintenance replaces it', async () => {
    await h.injectFault({ kind: 'patch-fire', room: 'BR2', rack: 1 });
    expect(fire('br2')['rack.1.patch.fired']).toBe(true);
    expect(h.truth().rooms[1]!.racks[0]!.temperatureC).toBeLessThan(30);
    const res = await fetch(`${h.controlUrl}/maintenance`, { method: 'POST', body: JSON.stringify({ room: 'BR2', action: 'replace-patch', rack: 1 }) });
    expect(res.status).toBe(200);
    expect(fire('br2')['rack.1.patch.fired']).toBe(false);
    const bad = await fetch(`${h.controlUrl}/maintenance`, { method: 'POST', body: JSON.stringify({ room: 'BR2', action: 'polish' }) });
    expect(bad.status).toBe(400);
  });

  it('building power cut: feeds open, every UPS output off, fire I/O still answers', async () => {
    const id = await h.injectFault({ kind: 'building-power-cut' });
    h.advance(5);
    const t = h.truth();
    expect(t.power.busLive).toBe(false);
    expect(t.ups.every((u) => !u.outputLive && u.epo)).toBe(true);
    expect(t.power.meters.it!.powerW).toBe(0);
    expect(t.devices['ats-1']!['feed.a.breaker.closed']).toBe(false);
    expect(t.devices['fire-br1']!['room.abort.circuit.ok']).toBe(true);
    h.clearFault(id);
    h.advance(5);
    expect(h.truth().ups.every((u) => u.outputLive)).toBe(true);
  });

  it('dither toggles around a threshold with the sim clock; bad specs are typed errors', async () => {
    const id = await h.injectFault({ kind: 'dither', device: 'fire-br1', point: 'rack.1.probe.b.temperature', center: 60, amplitude: 0.5, periodS: 1 });
    const seen = new Set<unknown>();
    for (let i = 0; i < 4; i++) { h.advance(0.5); seen.add(fire()['rack.1.probe.b.temperature']); }
    expect([...seen].sort()).toEqual([59.5, 60.5]);
    h.clearFault(id);
    await expect(h.injectFault({ kind: 'stuck', device: 'fire-br1', point: 'no.such.point' })).rejects.toBeInstanceOf(FaultSpecError);
    await expect(h.injectFault({ kind: 'offline', device: 'nope' })).rejects.toThrow(/unknown device 'nope'/);
    await expect(h.injectFault({ kind: 'actuator', room: 'BR1', actuator: 'breaker', mode: 'stuck' })).rejects.toThrow(/per rack/);
  });
});
