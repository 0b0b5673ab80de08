/**
 * The server's ISA-18.2 model (server/alarms/isa.ts) against the edge's reducer
 * (statecharts/alarm-machine.ts): the same random event sequences must give the same state and
 * the same accept/refuse verdict at every step, for latched and non-latched, P1 and P3 alarms.
 */
import { describe, expect, test } from 'vitest';
import { alarmStep, newAlarm, type AlarmEvent, type AlarmInstance } from '../../statecharts/alarm-machine.js';
import * as isa from '../../server/alarms/isa.js';
import type { Alarm } from '../../server/alarms/isa.js';

function rng(seed: number) {
  return () => { seed |= 0; seed = (seed + 0x6d2b79f5) | 0; let t = Math.imul(seed ^ (seed >>> 15), 1 | seed); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

type Step = { k: 'on' | 'off' | 'ack' | 'reset' | 'shelve' | 'shelveOneShot' | 'unshelve' | 'suppress' | 'unsuppress' | 'oos' | 'ios' };
const KINDS: Step['k'][] = ['on', 'off', 'on', 'off', 'ack', 'reset', 'shelve', 'shelveOneShot', 'unshelve', 'suppress', 'unsuppress', 'oos', 'ios'];

function server(a: Alarm, s: Step, ts: number): { a: Alarm; ok: boolean } {
  const attempt = (f: () => Alarm) => { try { return { a: f(), ok: true }; } catch (err) { if (err instanceof isa.AlarmRefusal) return { a, ok: false }; throw err; } };
  switch (s.k) {
    case 'on': return { a: a.active ? a : isa.condition(a, true, ts), ok: true };
    case 'off': return { a: a.active ? isa.condition(a, false, ts) : a, ok: true };
    case 'ack': return attempt(() => isa.acknowledge(a, 'op', ts));
    case 'reset': return attempt(() => isa.reset(a, ts));
    case 'shelve': return attempt(() => isa.shelve(a, { by: 'op', role: 'operator', reason: 'r', durationMs: 60_000 }, ts));
    case 'shelveOneShot': return attempt(() => isa.shelve(a, { by: 'op', role: 'operator', reason: 'r', durationMs: 60_000, oneShot: true }, ts));
    case 'unshelve': return attempt(() => isa.unshelve(a, ts));
    case 'suppress': return attempt(() => isa.suppress(a, 'design', ts));
    case 'unsuppress': return { a: isa.unsuppress(a, ts), ok: true };
    case 'oos': return { a: isa.outOfService(a, { permitId: 'P-1', by: 'op' }, ts), ok: true };
    case 'ios': return attempt(() => isa.returnToService(a, ts));
  }
}

function edge(a: AlarmInstance, s: Step, ts: number): { a: AlarmInstance; ok: boolean } {
  const who = { role: 'admin' as const, user: 'op', ts };
  const ev: AlarmEvent = ({
    on: { type: 'CONDITION', active: true, ts }, off: { type: 'CONDITION', active: false, ts }, ack: { type: 'ACK', ...who }, reset: { type: 'RESET', ...who },
    shelve: { type: 'SHELVE', ...who, reason: 'r', untilTs: ts + 60_000 }, shelveOneShot: { type: 'SHELVE', ...who, reason: 'r', oneShot: true },
    unshelve: { type: 'UNSHELVE', ...who }, suppress: { type: 'SUPPRESS', on: true, ts }, unsuppress: { type: 'SUPPRESS', on: false, ts },
    oos: { type: 'OUT_OF_SERVICE', on: true, permitId: 'P-1', ...who }, ios: { type: 'OUT_OF_SERVICE', on: false, ...who },
  } as Record<Step['k'], AlarmEvent>)[s.k];
  const r = alarmStep(a, ev);
  return { a: r.alarm, ok: r.ok };
}

describe('server ISA model = edge alarm reducer', () => {
  for (const [latched, priority] of [[false, 3], [true, 3], [true, 1], [false, 2]] as const) {
    test(`latched=${latched} P${priority}: 4000 random steps give the same state and verdict`, () => {
      const r = rng(priority * 10 + (latched ? 1 : 0));
      let srv: Alarm = { id: 'a', key: 'k', site: 's', source: 'server', type: 't', message: 'm', class: 'alarm', priority: `P${priority}`, lifeSafety: priority === 1, latched,
        state: 'NORM', active: false, silenced: false, firstOut: false, count: 0, firstAt: 0, lastAt: 0, chattering: false, owners: [], drill: false };
      let edg = newAlarm({ id: 'a', class: 'alarm', priority, latched, lifeSafety: priority === 1 }, 0);
      const visited = new Set<string>();
      for (let i = 1; i <= 4000; i++) {
        const step: Step = { k: KINDS[Math.floor(r() * KINDS.length)]! };
        const a = server(srv, step, i); const b = edge(edg, step, i);
        expect([a.a.state, a.ok, a.a.active], `step ${i} ${step.k} from ${srv.state}`).toEqual([b.a.state, b.ok, b.a.active]);
        srv = a.a; edg = b.a;
        visited.add(srv.state);
      }
      const expected = priority === 1 ? ['NORM', 'UNACK', 'ACKED', 'LATCH_UNACK', 'LATCH_ACK', 'OOSRV'] : latched
        ? ['NORM', 'UNACK', 'ACKED', 'LATCH_UNACK', 'LATCH_ACK', 'SHLVD', 'DSUPR', 'OOSRV'] : ['NORM', 'UNACK', 'ACKED', 'RTNUN', 'SHLVD', 'DSUPR', 'OOSRV'];
      for (const st of expected) expect(visited, st).toContain(st);
    });
  }
});
