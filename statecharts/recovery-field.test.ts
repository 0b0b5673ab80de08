import { describe, expect, it } from 'vitest';
import { persistZone, restoreZone, type PersistedZone } from './persistence.js';
import { recordingMachine, ZoneHarness, type Recorded } from './zone/harness.js';
import type { ZoneEvent } from './zone/types.js';

/**
 * Restart regressions (FS-31, §2.8): RECOVERED carries the field, and the machine — not the
 * runtime's ordering of events — turns it into confirmations, isolation and fresh backstops.
 */
const HASH = 'cfg-rec';
const BREAKER_MS = 60_000;
const DOWNTIME = 10 * 60_000; // far longer than any backstop

function crashAndRestore(h: ZoneHarness) {
  const stored = JSON.parse(JSON.stringify(persistZone(h.actor, HASH))) as PersistedZone;
  h.actor.stop();
  const log: Recorded[] = [];
  const actor = restoreZone(recordingMachine(log) as never, stored, HASH);
  actor.start();
  const of = <T extends Recorded['type']>(t: T) => log.filter((e): e is Extract<Recorded, { type: T }> => e.type === t);
  return {
    send: (e: ZoneEvent) => actor.send(e),
    ctx: () => actor.getSnapshot().context,
    incident: () => JSON.stringify((actor.getSnapshot().value as { incident: unknown }).incident),
    cmds: () => of('cmd').map((c) => `${c.actuator}:${c.op}`),
    failures: () => of('journalOutcome').filter((o) => o.outcome === 'failed').map((o) => o.actuator),
  };
}

/** Stage 4 waiting for isolation: nozzles discharged, both breakers still pending (no feedback yet). */
function waterWaitsForIsolation(): ZoneHarness {
  const h = new ZoneHarness({ racks: [1, 2], params: { feedback: { breakerMs: BREAKER_MS, curtainMs: BREAKER_MS } } });
  h.vote('S3', [1]).advance(5000).confirmAll((a) => /nozzle|curtain|charge/.test(a));
  h.status(85, { rising: true }).advance(61_000);
  expect(h.incident()).toBe('s4.interlock');
  expect(h.ctx.actuators['rack.1.breaker']).toMatchObject({ status: 'pending' });
  expect(h.ctx.isolationConfirmed).toBe(false);
  return h;
}

describe('recovery with the field (FS-31, §2.8)', () => {
  it('FS-31 RECOVERED with the breakers open in the field recomputes isolation → water starts (no FEEDBACK needed before RECOVERED)', () => {
    const h = waterWaitsForIsolation();
    const r = crashAndRestore(h);
    const restart = h.now + DOWNTIME;
    r.send({
      type: 'RECOVERED', derivedStage: 4, reconstructed: false, restarted: true, ts: restart,
      fieldState: { 'rack.1.breaker': 'open', 'rack.2.breaker': 'open', 'rack.1.curtain': 'down', 'rack.1.nozzle': 'release', 'room.charge.inhibit': 'on' },
    });
    expect(r.failures()).toEqual([]);
    expect(r.ctx().actuators['rack.1.breaker']).toMatchObject({ status: 'confirmed' });
    expect(r.ctx().isolationConfirmed).toBe(true);
    expect(r.ctx().alarms.waterInterlock?.active).toBe(false);
    expect(r.cmds()).toEqual(expect.arrayContaining(['rack.1.spray:on', 'room.drain.pump:on']));
    expect(r.incident()).toMatch(/s4.*starting/);
  });

  it('FS-31 backstops re-armed at RECOVERED: the downtime is no actuator failure; an unconfirmed breaker still fails one backstop after recovery', () => {
    const h = waterWaitsForIsolation();
    const grace = h.ctx.params.timings.feedbackGraceMs;
    const r = crashAndRestore(h);
    const restart = h.now + DOWNTIME;
    // the field shows rack 2 open; rack 1 unknown (its feedback is not in the first poll)
    r.send({ type: 'RECOVERED', derivedStage: 4, reconstructed: false, restarted: true, ts: restart, fieldState: { 'rack.2.breaker': 'open' } });
    expect(r.failures()).toEqual([]);
    expect(r.ctx().deadlines['fb:rack.1.breaker']).toBe(restart + 2 * BREAKER_MS + grace);
    expect(r.ctx().deadlines['fb:rack.2.breaker']).toBeUndefined();
    r.send({ type: 'TICK', ts: restart + 2 * BREAKER_MS + grace - 1 });
    expect(r.failures()).toEqual([]);
    r.send({ type: 'TICK', ts: restart + 2 * BREAKER_MS + grace });
    expect(r.failures()).toEqual(['rack.1.breaker']);
    expect(r.ctx().alarms.isolationFailed).toMatchObject({ active: true, priority: 1 });
    expect(r.cmds()).toContain('room.upstream.breaker:open');
  });

  it('FS-31 a breaker confirmed late through FEEDBACK after RECOVERED still releases the water', () => {
    const h = waterWaitsForIsolation();
    const r = crashAndRestore(h);
    const restart = h.now + DOWNTIME;
    r.send({ type: 'RECOVERED', derivedStage: 4, reconstructed: false, restarted: true, ts: restart, fieldState: {} });
    expect(r.cmds().some((c) => /spray/.test(c))).toBe(false);
    r.send({ type: 'FEEDBACK', actuator: 'rack.1.breaker', state: 'open', current: 0, ts: restart + 500 });
    r.send({ type: 'FEEDBACK', actuator: 'rack.2.breaker', state: 'open', current: 0, ts: restart + 600 });
    expect(r.failures()).toEqual([]);
    expect(r.cmds()).toContain('rack.1.spray:on');
  });
});
