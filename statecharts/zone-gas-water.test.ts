import { describe, expect, it } from 'vitest';
import { ADMIN, FIREDEPT, OPERATOR, ZoneHarness } from './zone/harness.js';
import { requiredOutputs } from './outputs.js';
import type { PartialParams } from './params.js';

const fast: PartialParams = { timings: { t4Ms: 60_000, gasHoldMs: 120_000 } };

/** Drive a healthy plant to the start of stage 5 (gas pre-discharge) at 85 °C. */
function toStage5(o: { lockoff?: boolean; params?: PartialParams } = {}): ZoneHarness {
  const h = new ZoneHarness({ racks: [1, 2], params: o.params ?? fast });
  if (o.lockoff) h.send({ type: 'LOCKOFF', on: true, permitId: 'P-7', ts: h.now });
  h.vote('S3', [1]).confirmAll().advance(5000).confirmAll();
  h.status(85, { rising: true }).advance(61_000).confirmAll();
  expect(h.incident()).toBe('s4.flowing');
  h.advance(61_000);
  return h;
}

describe('zone machine: gas, water, hand-over (FS-15..17, 20, 21)', () => {
  it('FS-15 stage 5 → pre-discharge and close-up at t0, release at t0 + 30 s, pressure switch → holding, signals kept on', () => {
    const h = toStage5();
    expect(h.incident()).toBe('s5.predischarge');
    const t0 = h.of('journalIntent').find((j) => j.actuator === 'room.hvac')!.at;
    const first = h.of('journalIntent').filter((j) => j.at === t0).map((j) => j.actuator);
    expect(first).toEqual(['room.predischarge', 'room.hvac', 'room.dampers']);
    expect(h.ctx.deadlines.gasRelease).toBe(t0 + 30_000);
    h.confirmAll((a) => a === 'room.dampers');
    h.advance(t0 + 29_000 - h.now);
    expect(h.cmds()).not.toContain('room.gas:release');
    h.advance(1000);
    expect(h.of('journalIntent').find((j) => j.actuator === 'room.gas')!.at).toBe(t0 + 30_000);
    expect(h.ctx.alarms['closeUp:room.hvac']).toMatchObject({ priority: 1 });
    expect(h.ctx.alarms['closeUp:room.dampers']).toBeUndefined();
    h.advance(3000).feedback('room.gas', 'release');
    expect(h.incident()).toBe('s5.holding');
    expect(requiredOutputs(h.ctx)['room.predischarge']).toBe('on');
    expect(h.ctx.alarms.gasDischarged!.text).toContain('DO NOT OPEN');
  });

  it('FS-16 abort held at +20 s for 60 s → no release; let go → release after the full delay', () => {
    const h = toStage5();
    h.advance(20_000).send({ type: 'ABORT', held: true, ts: h.now });
    expect(h.incident()).toBe('s5.abortHeld');
    h.advance(60_000);
    expect(h.cmds()).not.toContain('room.gas:release');
    h.send({ type: 'ABORT', held: false, ts: h.now });
    const let_go = h.now;
    h.advance(29_000);
    expect(h.cmds()).not.toContain('room.gas:release');
    h.advance(1000);
    expect(h.of('journalIntent').find((j) => j.actuator === 'room.gas')!.at).toBe(let_go + 30_000);
  });

  it('FS-16 abort after release → no effect, one log entry; manual release while abort is held → release', () => {
    const h = toStage5();
    h.advance(30_000).feedback('room.gas', 'release');
    const n = h.cmds().length;
    h.send({ type: 'ABORT', held: true, ts: h.now + 1000 });
    expect(h.cmds().length).toBe(n);
    expect(h.of('journalNote').filter((x) => x.kind === 'abortAfterRelease')).toHaveLength(1);
    const m = toStage5();
    m.send({ type: 'ABORT', held: true, ts: m.now + 1000 });
    m.send({ type: 'MANUAL_RELEASE', source: 'station-door-1', ts: m.now + 2000 });
    expect(m.cmds()).toContain('room.gas:release');
    expect(m.of('journalNote').find((x) => x.kind === 'manualRelease')!.data.source).toBe('station-door-1');
  });

  it('FS-16 nyc abort rule: releasing the abort restarts a 2-minute delay', () => {
    const h = toStage5({ params: { ...fast, timings: { ...fast.timings, abortRestart: 'nyc' } } });
    h.send({ type: 'ABORT', held: true, ts: h.now + 1000 }).send({ type: 'ABORT', held: false, ts: h.now + 5000 });
    expect(h.ctx.deadlines.gasRelease).toBe(h.now + 120_000);
  });

  it('FS-17 lock-off → supervisory "suppression impaired"; stage-5 conditions → no automatic release, the alarm says inhibited', () => {
    const h = toStage5({ lockoff: true });
    expect(h.ctx.alarms.lockoff).toMatchObject({ class: 'supervisory', text: expect.stringContaining('P-7') });
    expect(h.incident()).toBe('s5.inhibited');
    h.advance(120_000);
    expect(h.cmds()).not.toContain('room.gas:release');
    expect(h.ctx.alarms.gasInhibited!.text).toContain('inhibited');
  });

  it('FS-17 lock-off during the countdown aborts it; after release it changes nothing', () => {
    const h = toStage5();
    h.advance(10_000).send({ type: 'LOCKOFF', on: true, ts: h.now });
    expect(h.incident()).toBe('s5.inhibited');
    expect(h.ctx.deadlines.gasRelease).toBeUndefined();
    h.advance(60_000);
    expect(h.cmds()).not.toContain('room.gas:release');
  });

  it('FS-20 water stays on at 30 °C; operator stop and admin stop without criteria rejected; admin with criteria accepted', () => {
    const h = toStage5({ params: { timings: { t4Ms: 3_600_000 } } });
    expect(h.incident()).toBe('s4.flowing');
    h.status(30, { falling: true, coolSince: h.now }).advance(60_000);
    expect(h.ctx.water.stoppedAt).toBeNull();
    expect(h.cmds().filter((c) => /spray.*off/.test(c))).toEqual([]);
    h.human('WATER.STOP', [OPERATOR]);
    expect(h.lastResult()).toMatchObject({ ok: false, reason: expect.stringContaining('admin') });
    h.human('WATER.STOP', [ADMIN]);
    expect(h.lastResult()).toMatchObject({ ok: false, reason: expect.stringContaining('criteria not met') });
    h.advance(30 * 60_000, 60_000);
    h.human('WATER.STOP', [ADMIN]);
    expect(h.lastResult()).toMatchObject({ ok: true });
    expect(h.cmds().filter((c) => /spray.*off/.test(c))).toEqual(['rack.1.spray:off']);
    expect(h.of('journalNote').some((n) => n.kind === 'command' && n.data.command === 'WATER.STOP')).toBe(true);
  });

  it('FS-20 all probes bad → stop rejected ("no positive evidence"); tank 95 % → P1 and hand-over advice, water not stopped', () => {
    const h = toStage5({ params: { timings: { t4Ms: 3_600_000 } } });
    h.status(null, { minValidCount: 0 });
    h.human('WATER.STOP', [ADMIN]);
    expect(h.lastResult()!.reason).toContain('no positive evidence');
    h.send({ type: 'TANK_LEVEL', pct: 96, ts: h.now });
    expect(h.ctx.alarms.tankFull).toMatchObject({ priority: 1 });
    expect(h.of('notify').at(-1)!.payload.text).toContain('hand-over recommended');
    expect(h.ctx.water.stoppedAt).toBeNull();
  });

  it('FS-21 end of the stage-5 hold at 85 °C → fdControl (journaled time, reason, actor); no new automatic commands; WATER.STOP by firedept accepted', () => {
    const h = toStage5();
    h.advance(30_000).feedback('room.gas', 'release');
    h.advance(121_000);
    expect(h.incident()).toBe('fdControl');
    const ho = h.of('recordHandover')[0]!;
    expect(ho.reason).toContain('not controlled after the hold');
    const n = h.cmds().length;
    h.vote('S3', [2]).advance(60_000);
    expect(h.cmds().length).toBe(n);
    h.human('WATER.STOP', [FIREDEPT]);
    expect(h.lastResult()).toMatchObject({ ok: true });
    h.human('FD.RELEASE', [FIREDEPT]);
    expect(h.incident()).toBe('awaitingReset');
  });

  it('FS-21 manual declaration of hand-over is accepted from an operator and recorded with the actor', () => {
    const h = new ZoneHarness();
    h.vote('S1', [1]);
    h.human('FD.HANDOVER', [OPERATOR]);
    expect(h.incident()).toBe('fdControl');
    expect(h.of('recordHandover')[0]!.actors).toEqual([OPERATOR]);
  });

  it('FS-09/Q4 isolation failed: water waits for an authorized override', () => {
    const h = new ZoneHarness({ racks: [1], params: { ...fast, feedback: { breakerMs: 600_000 } } });
    h.vote('S3', [1]);
    const r = h.ctx.actuators['rack.1.breaker']!;
    h.send({ type: 'ACTUATOR.FAILED', actuator: 'rack.1.breaker', op: 'open', intentId: r.intentId, result: 'timeout', ts: h.now + 4000 });
    h.advance(5000).confirmAll((a) => /nozzle/.test(a)).status(85, { rising: true }).advance(61_000);
    expect(h.incident()).toBe('s4.interlock');
    expect(h.cmds().some((c) => /spray/.test(c))).toBe(false);
    h.human('ISOLATION.OVERRIDE', [OPERATOR]);
    expect(h.lastResult()!.ok).toBe(false);
    h.human('ISOLATION.OVERRIDE', [FIREDEPT]);
    expect(h.cmds()).toContain('rack.1.spray:on');
  });

  it('FS-15 cross-zoning: stage 3 voted 1oo1 alone → no gas countdown at stage 5 until a second independent input (smoke) appears', () => {
    const h = new ZoneHarness({ racks: [1], params: fast });
    const d = { rack: 1, level: 's3', at: h.now, rule: '1oo1', validCount: 1, channels: [], detectors: { smoke: false, offgas: false, patch: false }, reasons: [] };
    h.send({ type: 'VOTE.S3', racks: [1], ts: h.now, decisions: [d as never] });
    h.confirmAll().advance(5000).confirmAll().status(85, { rising: true }).advance(61_000).confirmAll().advance(61_000);
    expect(h.incident()).toBe('s5.none');
    expect(h.ctx.alarms.gasCrossZone).toMatchObject({ priority: 1 });
    expect(h.cmds()).not.toContain('room.hvac:stop');
    h.status(85, { rising: true, smoke: true });
    expect(h.incident()).toBe('s5.predischarge');
    expect(h.cmds()).toContain('room.hvac:stop');
  });
});
