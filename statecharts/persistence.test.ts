import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { persistZone, restoreZone, SnapshotVersionError, type PersistedZone } from './persistence.js';
import { MACHINE_VERSION } from './zone-machine.js';
import { recordingMachine, ZoneHarness, type Recorded } from './zone/harness.js';
import { deriveStageFromField, reconcile, requiredOutputs } from './outputs.js';
import type { ZoneEvent } from './zone/types.js';

const HASH = 'cfg-abc';

/** Persist through JSON (as the runtime stores it) and restore into a fresh recording actor. */
function crashAndRestore(h: ZoneHarness) {
  const stored = JSON.parse(JSON.stringify(persistZone(h.actor, HASH))) as PersistedZone;
  h.actor.stop();
  const log: Recorded[] = [];
  const actor = restoreZone(recordingMachine(log) as never, stored, HASH);
  actor.start();
  const send = (e: ZoneEvent) => actor.send(e);
  const cmds = () => log.filter((e) => e.type === 'cmd').map((e) => `${(e as { actuator: string }).actuator}:${(e as { op: string }).op}`);
  return { actor, log, send, cmds, ctx: () => actor.getSnapshot().context };
}

/** A healthy run to the gas countdown, returning the harness and the countdown start. */
function toGasCountdown(): { h: ZoneHarness; t0: number } {
  const h = new ZoneHarness({ racks: [1], params: { timings: { t4Ms: 60_000 } } });
  h.vote('S3', [1]).confirmAll().advance(5000).confirmAll();
  h.status(85, { rising: true }).advance(61_000).confirmAll().advance(61_000);
  expect(h.incident()).toBe('s5.predischarge');
  return { h, t0: h.ctx.deadlines.gasRelease! - 30_000 };
}

describe('persistence and restart (FS-30, FS-31)', () => {
  it('FS-30 restore keeps latched stages and deadlines, and a TICK after a restored deadline fires the transition', () => {
    const { h, t0 } = toGasCountdown();
    h.advance(10_000);
    const latched = h.ctx.latched;
    const r = crashAndRestore(h);
    expect(r.ctx().latched).toEqual(latched);
    expect(r.ctx().deadlines.gasRelease).toBe(t0 + 30_000);
    expect(r.actor.getSnapshot().value).toMatchObject({ incident: { s5: 'predischarge' } });
    r.send({ type: 'TICK', ts: t0 + 30_000 });
    expect(r.cmds()).toEqual(['room.gas:release']);
    expect(r.actor.getSnapshot().value).toMatchObject({ incident: { s5: 'releasing' } });
  });

  it('FS-31 crash at +20 s of a 30 s countdown, restart at +25 s → pre-discharge re-sounds, release at restart + 10 s', () => {
    const { h, t0 } = toGasCountdown();
    h.advance(t0 + 20_000 - h.now);
    const r = crashAndRestore(h);
    const restart = t0 + 25_000;
    r.send({ type: 'RECOVERED', derivedStage: 4, reconstructed: false, restarted: true, ts: restart });
    expect(r.cmds()).toEqual(['room.predischarge:on']);
    expect(r.ctx().deadlines.gasRelease).toBe(restart + 10_000);
    expect(r.ctx().alarms.restarted).toMatchObject({ priority: 1 });
    r.send({ type: 'TICK', ts: restart + 9000 });
    expect(r.cmds()).not.toContain('room.gas:release');
    r.send({ type: 'TICK', ts: restart + 10_000 });
    expect(r.cmds()).toContain('room.gas:release');
  });

  it('FS-31 crash after the gas release command with the pressure switch made → no second release', () => {
    const { h, t0 } = toGasCountdown();
    h.advance(t0 + 30_000 - h.now);
    expect(h.cmds().filter((c) => c === 'room.gas:release')).toHaveLength(1);
    const r = crashAndRestore(h);
    const field = { 'room.gas': 'release', 'rack.1.nozzle': 'release', 'rack.1.breaker': 'open', 'rack.1.spray': 'on' };
    r.send({ type: 'RECOVERED', derivedStage: deriveStageFromField(field).stage, reconstructed: false, restarted: true, fieldState: field, ts: t0 + 40_000 });
    r.send({ type: 'TICK', ts: t0 + 100_000 });
    expect(r.cmds().filter((c) => /gas|nozzle/.test(c))).toEqual([]);
    expect(reconcile(requiredOutputs(r.ctx()), field).filter((c) => /gas|nozzle/.test(c.actuator))).toEqual([]);
    expect(r.actor.getSnapshot().value).toMatchObject({ incident: { s5: 'holding' } });
  });

  it('FS-31 crash in stage 1 with contactors confirmed open → never closed after restart', () => {
    const h = new ZoneHarness({ racks: [1, 2] });
    h.vote('S1', [1]).confirmAll();
    const r = crashAndRestore(h);
    const field = { 'rack.1.breaker': 'open', 'rack.2.breaker': 'open', 'rack.1.curtain': 'down' };
    r.send({ type: 'RECOVERED', derivedStage: 1, reconstructed: false, restarted: true, fieldState: field, ts: h.now + 5000 });
    for (let t = 1; t <= 100; t++) r.send({ type: 'TICK', ts: h.now + 5000 + t * 60_000 });
    expect(r.cmds().filter((c) => /close/.test(c))).toEqual([]);
    expect(reconcile(requiredOutputs(r.ctx()), field)).toEqual([{ actuator: 'room.charge.inhibit', op: 'on', reason: 'field state unknown' }]);
  });

  it('FS-30/31 killed between intent and outcome → the in-flight command is recovered from the field', () => {
    const h = new ZoneHarness({ racks: [1] });
    h.vote('S1', [1]);
    const intent = h.ctx.actuators['rack.1.breaker']!.intentId;
    const r = crashAndRestore(h);
    r.send({ type: 'RECOVERED', derivedStage: 1, reconstructed: false, restarted: true, fieldState: { 'rack.1.breaker': 'open' }, ts: h.now + 3000 });
    const outcome = r.log.find((e) => e.type === 'journalOutcome')!;
    expect(outcome).toMatchObject({ intentId: intent, outcome: 'confirmed', detail: expect.stringContaining('in-flight command recovered') });
  });

  it('FS-31 corrupt snapshot while water is flowing → stage ≥ 4 reconstructed from the field, P1, no one-shot re-fired', () => {
    const log: Recorded[] = [];
    const actor = createActor(recordingMachine(log), { input: { zone: 'z1', racks: [1, 2] } });
    actor.start();
    const field = { 'rack.2.spray': 'on', 'rack.2.breaker': 'open', 'rack.1.breaker': 'open', 'rack.2.nozzle': 'ready' };
    const d = deriveStageFromField(field);
    expect(d.stage).toBe(4);
    actor.send({ type: 'RECOVERED', derivedStage: d.stage, reconstructed: true, restarted: true, fieldState: field, ts: 1000 });
    for (let t = 2; t < 200; t++) actor.send({ type: 'TICK', ts: t * 1000 });
    const c = actor.getSnapshot().context;
    expect(c.stage).toBeGreaterThanOrEqual(4);
    expect(c.alarms.reconstructed).toMatchObject({ priority: 1 });
    expect(log.filter((e) => e.type === 'cmd' && /nozzle|gas/.test((e as { actuator: string }).actuator))).toEqual([]);
    expect(log.filter((e) => e.type === 'cmd' && /breaker.*|spray/.test((e as { actuator: string }).actuator)).map((e) => (e as { op: string }).op).every((op) => op !== 'close' && op !== 'off')).toBe(true);
  });

  it('FS-30 a snapshot of another machine version or config hash is not restored', () => {
    const h = new ZoneHarness();
    const p = persistZone(h.actor, HASH);
    expect(p.machineVersion).toBe(MACHINE_VERSION);
    expect(() => restoreZone(recordingMachine([]) as never, { ...p, machineVersion: 'zone-machine/0' }, HASH)).toThrow(SnapshotVersionError);
    expect(() => restoreZone(recordingMachine([]) as never, p, 'other')).toThrow(/reconstruct the zone from the field/);
    expect(() => restoreZone(recordingMachine([]) as never, { ...p, snapshot: { status: 'done' } as never }, HASH)).toThrow(SnapshotVersionError);
  });
});
