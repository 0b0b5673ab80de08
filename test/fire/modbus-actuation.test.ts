import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Actuation } from '../../agent/fire/actuation.js';
import { systemTimerHost } from '../../agent/fire/clock.js';
import { FieldState } from '../../agent/fire/field.js';
import { Journal } from '../../agent/fire/journal.js';
import { ModbusFireIo } from '../../agent/fire/modbus-io.js';
import { FIRE_PROFILE, FirePlant } from './support/fire-plant.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => { for (const c of cleanup.splice(0).reverse()) await c(); });

async function rig() {
  const plant = new FirePlant(4);
  await plant.start();
  cleanup.push(() => plant.stop());
  const field = new FieldState();
  let firstPoll!: () => void;
  const polled = new Promise<void>((r) => { firstPoll = r; });
  const io = new ModbusFireIo({ site: 'sim1', device: 'fire-br1', host: '127.0.0.1', port: plant.port, profileFile: FIRE_PROFILE, params: { racks: 4 }, pollMs: 20, onPoints: (ps) => { for (const p of ps) field.update(p); firstPoll(); } });
  await io.start();
  cleanup.push(() => io.stop());
  await polled;
  const dir = mkdtempSync(join(tmpdir(), 'dcim-mact-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const journal = new Journal({ dir, zone: 'z1', clock: systemTimerHost, configHash: 'c', machineVersion: 'm' });
  journal.open();
  cleanup.push(() => journal.close());
  const act = new Actuation({ zone: 'z1', device: 'fire-br1', io, field, journal, clock: systemTimerHost, timeouts: { breakerMs: 600, curtainMs: 1500, dischargeMs: 1000, waterMs: 1000, hvacMs: 1000 } });
  act.start();
  cleanup.push(() => act.stop());
  return { plant, field, io, journal, act };
}

describe('actuation over Modbus TCP against the fire I/O plant (FS-12)', () => {
  it('FS-12 breaker open is confirmed by aux contact AND current < 1 A read over Modbus', async () => {
    const r = await rig();
    expect(r.field.num('rack.2.breaker.current')).toBe(120);
    const out = await r.act.execute({ actuator: 'rack.2.breaker', op: 'open', intentId: 'm-1' });
    expect(out).toMatchObject({ ok: true, attempts: 1, feedback: { 'rack.2.breaker.open': true, 'rack.2.breaker.current': 0 } });
    expect(r.plant.writes.map((w) => w.point)).toEqual(['rack.2.breaker.open.cmd']);
  });

  it('FS-12 isolate with the contactor welded (120 A persists) → isolation failed after the timeout, exactly one retry, then the upstream breaker path works', async () => {
    const r = await rig();
    r.plant.faults.welded = new Set([3]);
    const out = await r.act.execute({ actuator: 'rack.3.breaker', op: 'open', intentId: 'm-2' });
    expect(out).toMatchObject({ ok: false, attempts: 2, result: 'timeout' });
    expect(r.plant.writes.filter((w) => w.point === 'rack.3.breaker.open.cmd')).toHaveLength(2);
    const up = await r.act.execute({ actuator: 'room.upstream.breaker', op: 'open', intentId: 'm-3' });
    expect(up.ok).toBe(true);
    const intents = r.journal.readAll().filter((x) => x.type === 'intent').map((x) => `${String(x.data.actuator)}#${String(x.data.attempt)}`);
    expect(intents).toEqual(['rack.3.breaker#1', 'rack.3.breaker#2', 'room.upstream.breaker#1']);
  });

  it('FS-12 an unreachable device is a write failure with a reason, journaled, never a crash', async () => {
    const r = await rig();
    await r.plant.stop();
    const out = await r.act.execute({ actuator: 'rack.1.curtain', op: 'down', intentId: 'm-4' });
    expect(out.ok).toBe(false);
    expect(out.result).toBe('write_failed');
    expect(r.journal.readAll().filter((x) => x.type === 'outcome')).toHaveLength(2);
  });
});
