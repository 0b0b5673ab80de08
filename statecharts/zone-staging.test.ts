import { describe, expect, it } from 'vitest';
import { ZoneHarness } from './zone/harness.js';
import { requiredOutputs } from './outputs.js';

const isolateAll = (h: ZoneHarness) => h.confirmAll((a) => /breaker|charge/.test(a));

describe('zone machine: detection to staging (FS-05..12)', () => {
  it('FS-05 off-gas at 35 °C → stop-charge and isolation of the rack, intent before command, no nozzle/water/gas; stays latched', () => {
    const h = new ZoneHarness();
    h.vote('S0', [2]);
    expect(h.incident()).toBe('s0_offGas');
    expect(h.cmds()).toEqual(['room.charge.inhibit:on', 'rack.2.breaker:open']);
    const seq = h.log.filter((e) => e.type === 'journalIntent' || e.type === 'cmd').map((e) => e.type);
    expect(seq).toEqual(['journalIntent', 'cmd', 'journalIntent', 'cmd']);
    expect(h.of('annunciate').find((a) => a.alarmId === 'stage0')).toMatchObject({ priority: 1, class: 'alarm' });
    expect(h.of('notify').map((n) => n.channel)).toEqual(['firedept', 'oncall']);
    h.confirmAll();
    expect(h.of('journalOutcome').map((o) => o.outcome)).toEqual(['confirmed', 'confirmed']);
    h.send({ type: 'VOTE.CLEAR', ts: h.now + 1000 }).advance(60_000);
    expect(h.incident()).toBe('s0_offGas');
    expect(h.cmds().some((c) => /nozzle|spray|gas/.test(c))).toBe(false);
  });

  it('FS-06 watch → P2 and a stop-charge request; clear → idle with the alarm returned to normal unacknowledged', () => {
    const h = new ZoneHarness();
    h.send({ type: 'VOTE.WATCH', racks: [1], ts: h.now });
    expect(h.incident()).toBe('watch');
    expect(h.of('annunciate')[0]).toMatchObject({ alarmId: 'watch', priority: 2, active: true });
    expect(h.cmds()).toEqual(['room.charge.inhibit:on']);
    h.send({ type: 'VOTE.CLEAR', ts: h.now + 10_000 });
    expect(h.incident()).toBe('idle');
    expect(h.ctx.alarms.watch).toMatchObject({ active: false, acked: false });
  });

  it('FS-08 stage 1 at 61 °C then 40 °C for 24 h → still stage 1, contactors open, no close command', () => {
    const h = new ZoneHarness();
    h.vote('S1', [1]);
    isolateAll(h).confirmAll();
    h.send({ type: 'VOTE.CLEAR', ts: h.now + 1000 });
    h.status(40, { falling: true });
    h.advance(24 * 3_600_000, 60_000);
    expect(h.incident()).toBe('s1');
    expect(h.cmds().filter((c) => /close|up|off/.test(c))).toEqual([]);
    expect(Object.entries(requiredOutputs(h.ctx)).filter(([a]) => /breaker/.test(a)).every(([, op]) => op === 'open')).toBe(true);
  });

  it('FS-09 an 85 °C step → isolate and curtain first, nozzles without waiting for isolation feedback, water only after isolated', () => {
    const h = new ZoneHarness({ racks: [1, 2], params: { feedback: { breakerMs: 60_000 } } });
    h.vote('S3', [1]);
    const t0 = h.now;
    expect(h.cmds()).toEqual(['rack.1.breaker:open', 'rack.1.curtain:down', 'room.charge.inhibit:on', 'rack.2.breaker:open', 'room.predischarge:on']);
    h.advance(5000);
    const nozzle = h.of('cmd').find((c) => c.actuator === 'rack.1.nozzle')!;
    const at = h.of('journalIntent').find((j) => j.intentId === nozzle.intentId)!.at;
    expect(at).toBeLessThanOrEqual(t0 + 5000);
    expect(h.ctx.isolationConfirmed).toBe(false);
    h.feedback('rack.1.nozzle', 'release');
    h.status(85, { rising: true });
    h.advance(61_000);
    expect(h.incident()).toBe('s4.interlock');
    expect(h.cmds().some((c) => /spray/.test(c))).toBe(false);
    h.feedback('rack.1.breaker', 'open', 0).feedback('rack.2.breaker', 'open', 0);
    expect(h.cmds().filter((c) => /spray|drain/.test(c))).toEqual(['rack.1.spray:on', 'room.drain.pump:on']);
    expect(h.incident()).toBe('s4.starting');
  });

  it('FS-10 82 °C held after the nozzles fire → water at T3; 15 min of flow at 82 °C → gas sequence', () => {
    const h = new ZoneHarness();
    h.vote('S3', [1]);
    isolateAll(h);
    h.advance(5000).feedback('rack.1.nozzle', 'release');
    const tNozzle = h.now;
    h.status(82, { rising: false, falling: false });
    h.advance(59_000);
    expect(h.incident()).toBe('s3.settled');
    h.advance(2000);
    const spray = h.of('journalIntent').find((j) => j.actuator === 'rack.1.spray')!;
    expect(Math.abs(spray.at - (tNozzle + 60_000))).toBeLessThanOrEqual(1000);
    h.confirmAll();
    expect(h.incident()).toBe('s4.flowing');
    const tFlow = h.now;
    h.advance(15 * 60_000 - 2000, 10_000);
    expect(h.incident()).toBe('s4.flowing');
    h.advance(3000);
    expect(h.incident()).toBe('s5.predischarge');
    expect(h.of('journalIntent').filter((j) => j.at >= tFlow + 900_000).map((j) => j.actuator)).toEqual(['room.predischarge', 'room.hvac', 'room.dampers']);
  });

  it('FS-10 55 °C and falling at T3 → no water, stays latched at 3; water at once when it rises again', () => {
    const h = new ZoneHarness();
    h.vote('S3', [1]);
    isolateAll(h);
    h.advance(5000).feedback('rack.1.nozzle', 'release');
    h.status(55, { falling: true });
    h.advance(70_000);
    expect(h.incident()).toBe('s3.settled');
    expect(h.cmds().some((c) => /spray/.test(c))).toBe(false);
    h.advance(10 * 60_000, 30_000);
    expect(h.incident()).toBe('s3.settled');
    h.status(58, { rising: true });
    expect(h.incident()).toBe('s4.starting');
    expect(h.cmds()).toContain('rack.1.spray:on');
  });

  it('FS-10 water fails to flow → stage 5 at once', () => {
    const h = new ZoneHarness();
    h.vote('S3', [1]);
    isolateAll(h);
    h.advance(5000).feedback('rack.1.nozzle', 'release').status(85, { rising: true }).advance(61_000);
    const spray = h.ctx.actuators['rack.1.spray']!;
    h.send({ type: 'ACTUATOR.FAILED', actuator: 'rack.1.spray', op: 'on', intentId: spray.intentId, result: 'timeout', attempts: 2, ts: h.now + 40_000 });
    expect(h.incident()).toBe('s5.predischarge');
  });

  it('FS-11 patch fired at 45 °C → stage 2 latched, isolation and curtain commanded', () => {
    const h = new ZoneHarness();
    h.status(45);
    h.send({ type: 'PATCH', rack: 3, fired: true, ts: h.now });
    expect(h.incident()).toBe('s2');
    expect(h.ctx.latched.s1).not.toBeNull();
    expect(h.cmds()).toEqual(['rack.3.breaker:open', 'rack.3.curtain:down', 'room.charge.inhibit:on', 'rack.1.breaker:open', 'rack.2.breaker:open']);
    expect(h.ctx.alarms['patch:3']).toMatchObject({ text: expect.stringContaining('needs replacement') });
  });

  it('FS-11 76 °C voted for 30 s with the patch not fired → supervisory "patch did not operate"; escalation continues', () => {
    const h = new ZoneHarness();
    h.vote('S2', [1]);
    h.status(76, { hot: { 1: 76 } });
    h.advance(29_000);
    expect(h.ctx.alarms['patchNoOperate:1']).toBeUndefined();
    h.advance(2000);
    expect(h.ctx.alarms['patchNoOperate:1']).toMatchObject({ class: 'supervisory', active: true });
    h.vote('S3', [1]);
    expect(h.incident()).toBe('s3.preDischarge');
  });

  it('FS-12 welded contactor: failure → P1, upstream breaker (alternate path), the machine adds no retry of its own', () => {
    const h = new ZoneHarness({ racks: [1] });
    h.vote('S1', [1]);
    const rec = h.ctx.actuators['rack.1.breaker']!;
    h.feedback('rack.1.breaker', 'open', 120);
    expect(h.ctx.actuators['rack.1.breaker']!.status).toBe('pending');
    h.send({ type: 'ACTUATOR.FAILED', actuator: 'rack.1.breaker', op: 'open', intentId: rec.intentId, result: 'timeout', attempts: 2, ts: h.now + 4000 });
    expect(h.ctx.alarms['actuatorFailed:rack.1.breaker']).toMatchObject({ priority: 1 });
    expect(h.cmds().filter((c) => c === 'rack.1.breaker:open')).toHaveLength(1);
    expect(h.cmds().filter((c) => c === 'room.upstream.breaker:open')).toHaveLength(1);
    expect(h.of('journalOutcome').map((o) => `${o.actuator}:${o.outcome}`)).toEqual(['rack.1.breaker:failed']);
    h.feedback('room.upstream.breaker', 'open');
    expect(h.ctx.isolationConfirmed).toBe(true);
  });

  it('FS-12 no report from the runtime → the backstop deadline fails the command (2 × 2 s + grace)', () => {
    const h = new ZoneHarness({ racks: [1] });
    h.vote('S1', [1]);
    h.advance(4000);
    expect(h.ctx.actuators['rack.1.breaker']!.status).toBe('pending');
    h.advance(1000);
    expect(h.ctx.actuators['rack.1.breaker']!.status).toBe('failed');
    expect(h.cmds()).toContain('room.upstream.breaker:open');
  });

  it('FS-12 a confirmed contactor that re-closes → P1 contradiction and the open is re-asserted', () => {
    const h = new ZoneHarness({ racks: [1] });
    h.vote('S1', [1]);
    h.feedback('rack.1.breaker', 'open', 0);
    expect(h.ctx.isolationConfirmed).toBe(true);
    h.feedback('rack.1.breaker', 'close', 80);
    expect(h.ctx.alarms['contradiction:rack.1.breaker']).toMatchObject({ priority: 1, active: true });
    expect(h.cmds().filter((c) => c === 'rack.1.breaker:open')).toHaveLength(2);
    expect(h.ctx.isolationConfirmed).toBe(false);
  });

  it('FS-04/09 a second rack reaching stage 3 later gets its own nozzle countdown; skip-ahead never lowers', () => {
    const h = new ZoneHarness();
    h.vote('S3', [1]).advance(5000);
    h.vote('S1', [2]);
    expect(h.ctx.stage).toBe(3);
    expect(h.cmds()).toContain('rack.2.curtain:down');
    h.vote('S3', [2]).advance(5000);
    expect(h.cmds().filter((c) => /nozzle/.test(c))).toEqual(['rack.1.nozzle:release', 'rack.2.nozzle:release']);
  });
});
