/** ISA-18.2 model (FIRE-SAFETY §3): every state and transition of the table, and every refusal. */
import { describe, expect, test } from 'vitest';
import * as isa from '../../server/alarms/isa.js';
import type { Alarm } from '../../server/alarms/isa.js';
import { ChatterTracker, FloodTracker } from '../../server/alarms/flood.js';

const T0 = 1_000_000;
function alarm(p: Partial<Alarm> = {}): Alarm {
  return { id: 'a1', key: 'k', site: 'sim1', source: 'server', type: 't', message: 'm', class: 'alarm', priority: 'P2', lifeSafety: false, latched: false,
    state: 'NORM', active: false, silenced: false, firstOut: false, count: 0, firstAt: T0, lastAt: T0, chattering: false, owners: [], drill: false, ...p };
}

describe('transitions of the ISA-18.2 table', () => {
  test('NORM → UNACK → ACKED → NORM (non-latched)', () => {
    let a = isa.condition(alarm(), true, T0 + 1);
    expect(a.state).toBe('UNACK');
    expect(a.count).toBe(1);
    a = isa.acknowledge(a, 'op1', T0 + 2);
    expect([a.state, a.ackedBy]).toEqual(['ACKED', 'op1']);
    a = isa.condition(a, false, T0 + 3);
    expect(a.state).toBe('NORM');
  });

  test('UNACK → RTNUN → ACK → NORM; RTNUN → on again → UNACK', () => {
    let a = isa.condition(isa.condition(alarm(), true, 1), false, 2);
    expect(a.state).toBe('RTNUN');
    expect(isa.acknowledge(a, 'x', 3).state).toBe('NORM');
    a = isa.condition(a, true, 4);
    expect([a.state, a.count]).toEqual(['UNACK', 2]);
  });

  test('latched pair: UNACK → LATCH_UNACK → ACK → LATCH_ACK → RESET → NORM', () => {
    let a = isa.condition(alarm({ latched: true }), true, 1);
    a = isa.condition(a, false, 2);
    expect(a.state).toBe('LATCH_UNACK');
    expect(() => isa.reset(a, 3)).toThrowError(/unacknowledged/);
    a = isa.acknowledge(a, 'op', 3);
    expect(a.state).toBe('LATCH_ACK');
    expect(isa.reset(a, 4).state).toBe('NORM');
  });

  test('latched: ACKED → RTN → LATCH_ACK; LATCH_ACK → on again → UNACK', () => {
    let a = isa.acknowledge(isa.condition(alarm({ latched: true }), true, 1), 'op', 2);
    a = isa.condition(a, false, 3);
    expect(a.state).toBe('LATCH_ACK');
    expect(isa.condition(a, true, 4).state).toBe('UNACK');
  });

  test('ACKED re-annunciates as UNACK when the condition gets more severe', () => {
    const a = isa.acknowledge(isa.condition(alarm(), true, 1), 'op', 2);
    expect(isa.condition(a, true, 3, true).state).toBe('UNACK');
    expect(isa.condition(a, true, 3, false).state).toBe('ACKED');
  });

  test('reset refused while active (Bad_InvalidState semantics)', () => {
    const a = isa.acknowledge(isa.condition(alarm({ latched: true }), true, 1), 'op', 2);
    expect(() => isa.reset(a, 3)).toThrowError(isa.AlarmRefusal);
    expect(() => isa.reset(a, 3)).toThrowError(/still active/);
  });

  test('acknowledging an alarm with nothing to acknowledge is refused', () => {
    expect(() => isa.acknowledge(alarm(), 'op', 1)).toThrowError(/nothing to acknowledge/);
  });
});

describe('shelving, suppression by design, out of service', () => {
  test('P1 life-safety alarms cannot be shelved or suppressed', () => {
    const a = isa.condition(alarm({ priority: 'P1', lifeSafety: true }), true, 1);
    expect(() => isa.shelve(a, { by: 'op', role: 'operator', reason: 'x', durationMs: 60_000 }, 2)).toThrowError(/cannot be shelved/);
    expect(() => isa.suppress(a, 'design', 2)).toThrowError(/never suppressed/);
  });

  test('maximum shelve: P2 1 h, P3/P4 8 h', () => {
    const p2 = isa.condition(alarm({ priority: 'P2' }), true, 1);
    expect(() => isa.shelve(p2, { by: 'op', role: 'operator', reason: 'x', durationMs: 2 * 3_600_000 }, 2)).toThrowError(/at most|limited/);
    expect(isa.shelve(p2, { by: 'op', role: 'operator', reason: 'x', durationMs: 3_600_000 }, 2).state).toBe('SHLVD');
    const p4 = isa.condition(alarm({ priority: 'P4' }), true, 1);
    expect(isa.shelve(p4, { by: 'op', role: 'operator', reason: 'x', durationMs: 8 * 3_600_000 }, 2).shelve?.until).toBe(2 + 8 * 3_600_000);
  });

  test('while shelved the condition is tracked; unshelve returns by condition', () => {
    let a = isa.shelve(isa.condition(alarm({ priority: 'P3' }), true, 1), { by: 'op', role: 'operator', reason: 'work', durationMs: 60_000 }, 2);
    a = isa.condition(a, false, 3);
    expect([a.state, a.active]).toEqual(['SHLVD', false]);
    expect(isa.unshelve(a, 4).state).toBe('NORM');
    a = isa.condition(a, true, 5);
    expect(isa.unshelve(a, 6).state).toBe('UNACK');
  });

  test('one-shot shelve ends when the condition returns to normal', () => {
    const a = isa.shelve(isa.condition(alarm({ priority: 'P3' }), true, 1), { by: 'op', role: 'operator', reason: 'x', durationMs: 60_000, oneShot: true }, 2);
    expect(isa.condition(a, false, 3).state).toBe('NORM');
  });

  test('DSUPR by design and OOSRV through a permit, both left by condition', () => {
    let a = isa.suppress(isa.condition(alarm({ priority: 'P3' }), true, 1), 'zone isolated', 2);
    expect(a.state).toBe('DSUPR');
    expect(isa.unsuppress(a, 3).state).toBe('UNACK');
    a = isa.outOfService(isa.condition(alarm({ priority: 'P1', lifeSafety: true }), true, 1), { permitId: 'PTW-1', by: 'op' }, 2);
    expect([a.state, a.oos?.permitId]).toEqual(['OOSRV', 'PTW-1']);
    a = isa.condition(a, false, 3);
    expect(isa.returnToService(a, 4).state).toBe('NORM');
  });

  test('ordering: class first, then priority, then time', () => {
    const list = [
      alarm({ id: 't', class: 'trouble', priority: 'P1', activeSince: 1 }),
      alarm({ id: 's', class: 'supervisory', priority: 'P3', activeSince: 1 }),
      alarm({ id: 'a2', class: 'alarm', priority: 'P2', activeSince: 1 }),
      alarm({ id: 'a1', class: 'alarm', priority: 'P1', activeSince: 5 }),
      alarm({ id: 'a0', class: 'alarm', priority: 'P1', activeSince: 3 }),
    ];
    expect(list.sort(isa.compareAlarms).map((a) => a.id)).toEqual(['a0', 'a1', 'a2', 's', 't']);
  });
});

describe('flood and chatter trackers', () => {
  test('flood starts above 10 in 10 min and ends below 5', () => {
    const f = new FloodTracker(10, 600_000, 5);
    const r = Array.from({ length: 11 }, (_, i) => f.annunciate(i * 1000, `a${i}`, () => 'root'));
    expect(r.slice(0, 10).every((x) => x === 'none')).toBe(true);
    expect(r[10]).toBe('start');
    expect(f.flood?.rootId).toBe('root');
    expect(f.tick(300_000)).toBeNull();
    expect(f.tick(611_000)?.count).toBe(11);
    expect(f.flood).toBeNull();
  });

  test('chatter: 3 activations within a minute flag the alarm', () => {
    const c = new ChatterTracker(3);
    expect([c.activate('x', 0), c.activate('x', 10_000), c.activate('x', 20_000)]).toEqual([false, false, true]);
    expect(c.activate('y', 0)).toBe(false);
    expect(c.recent('x', 90_000)).toBe(false);
  });
});
