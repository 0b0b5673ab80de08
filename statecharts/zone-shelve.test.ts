/**
 * FS-25 shelving at the edge: P2–P4 troubles and supervisories can be shelved by an operator with a
 * reason for at most their priority's limit; P1 and fire alarms never; a shelved alarm is tracked
 * but not annunciated again until the shelve ends (expiry or unshelve), when it re-annunciates if
 * its condition is still there.
 */
import { describe, expect, it } from 'vitest';
import { OPERATOR, ZoneHarness } from './zone/harness.js';

const VIEWER = { user: 'vera', role: 'viewer' as const };

const MIN = 60_000;

function withAbortFault(): ZoneHarness {
  const h = new ZoneHarness({ racks: [1, 2] });
  h.send({ type: 'ABORT', held: false, circuitOk: false, ts: h.now });
  return h;
}

const annunciations = (h: ZoneHarness, id: string) => h.of('annunciate').filter((a) => a.alarmId === id);

describe('zone machine: shelving (FS-25)', () => {
  it('FS-25 a P2 trouble shelved for 30 min: not annunciated again while shelved; at expiry it re-annunciates because its condition is still there', () => {
    const h = withAbortFault();
    expect(h.ctx.alarms.abortCircuit).toMatchObject({ class: 'trouble', priority: 2, active: true });
    h.human('SHELVE', [OPERATOR], { alarmId: 'abortCircuit', untilTs: h.now + 30 * MIN, reason: 'contractor on the panel' });
    expect(h.lastResult()).toMatchObject({ ok: true });
    expect(h.ctx.alarms.abortCircuit!.shelved).toMatchObject({ reason: 'contractor on the panel', until: h.now + 30 * MIN });
    const before = annunciations(h, 'abortCircuit').length;
    // the condition clears and comes back while shelved: nothing annunciated
    h.send({ type: 'ABORT', held: false, circuitOk: true, ts: h.now });
    h.send({ type: 'ABORT', held: false, circuitOk: false, ts: h.now });
    expect(annunciations(h, 'abortCircuit')).toHaveLength(before);
    expect(h.ctx.alarms.abortCircuit).toMatchObject({ active: true });
    h.advance(31 * MIN, 60_000);
    expect(h.ctx.alarms.abortCircuit!.shelved).toBeUndefined();
    expect(annunciations(h, 'abortCircuit').at(-1)).toMatchObject({ active: true, priority: 2 });
    expect(h.of('journalNote').some((n) => n.kind === 'alarmUnshelved')).toBe(true);
  });

  it('FS-25 refusals: a P1 or fire alarm, a viewer, no reason, longer than the priority allows; unshelve ends it at once', () => {
    const h = withAbortFault();
    h.human('SHELVE', [VIEWER], { alarmId: 'abortCircuit', untilTs: h.now + 10 * MIN, reason: 'x' });
    expect(h.lastResult()!.reason).toBe('shelving needs the operator role');
    h.human('SHELVE', [OPERATOR], { alarmId: 'abortCircuit', untilTs: h.now + 10 * MIN, reason: '' });
    expect(h.lastResult()!.reason).toBe('a reason is required to shelve');
    h.human('SHELVE', [OPERATOR], { alarmId: 'abortCircuit', untilTs: h.now + 2 * 60 * MIN, reason: 'x' });
    expect(h.lastResult()!.reason).toBe('a P2 alarm can be shelved for at most 60 min');
    h.vote('S1', [1]);
    const fire = Object.entries(h.ctx.alarms).find(([, a]) => a.class === 'alarm' && a.priority === 1)![0];
    h.human('SHELVE', [OPERATOR], { alarmId: fire, untilTs: h.now + 10 * MIN, reason: 'noisy' });
    expect(h.lastResult()!.reason).toMatch(/life-safety and P1 alarms cannot be shelved/);
    h.human('SHELVE', [OPERATOR], { alarmId: 'abortCircuit', untilTs: h.now + 10 * MIN, reason: 'x' });
    expect(h.lastResult()).toMatchObject({ ok: true });
    const n = annunciations(h, 'abortCircuit').length;
    h.human('UNSHELVE', [OPERATOR], { alarmId: 'abortCircuit' });
    expect(h.lastResult()).toMatchObject({ ok: true });
    expect(annunciations(h, 'abortCircuit')).toHaveLength(n + 1);
    h.human('UNSHELVE', [OPERATOR], { alarmId: 'abortCircuit' });
    expect(h.lastResult()!.reason).toBe("alarm 'abortCircuit' is not shelved");
  });
});
