/**
 * Model-based tests (§2.9): `createTestModel` from `xstate/graph` explores the zone machine with a
 * reduced event set whose timestamps come from the state itself (time moves only by jumping to the
 * next deadline), and the §2 invariants are checked on every transition of the explored graph and
 * on every step of every generated path, which is then replayed on a live recording actor.
 */
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { createTestModel } from 'xstate/graph';
import { createZoneMachine } from './zone-machine.js';
import { recordingMachine, ZoneHarness, type Recorded } from './zone/harness.js';
import type { ZoneContext, ZoneEvent } from './zone/types.js';
import type { ThermalStatus } from './voter/types.js';

const FD = [{ user: 'chief', role: 'firedept' as const }];
const TWO = [{ user: 'alice', role: 'admin' as const }, { user: 'bob', role: 'admin' as const }];
const status = (c: ZoneContext, maxC: number, falling: boolean): ThermalStatus => ({
  at: c.now, maxC, falling, rising: !falling, minValidCount: 3, smoke: false, offgas: false, roomAlarm: false,
  coolSince: falling ? c.now : null, hot: maxC >= 50 ? { 1: maxC } : {}, watchRacks: [],
});

const KEY = ['rack.1.breaker', 'room.upstream.breaker', 'rack.1.nozzle', 'rack.1.spray', 'room.gas'];
const OK_STATE: Record<string, { state: string; current?: number }> = {
  'rack.1.breaker': { state: 'open', current: 0 }, 'room.upstream.breaker': { state: 'open' }, 'rack.1.nozzle': { state: 'release' },
  'rack.1.spray': { state: 'on' }, 'room.gas': { state: 'release' },
};

/**
 * The reduced event set, computed from the state so that timestamps advance with the context:
 * votes, hot/cool status, feedback or failure for each pending key actuator, a contactor
 * re-closing, abort during the gas sequence, fire-department override and water stop, a
 * two-person reset, and a TICK that jumps to the next deadline.
 */
function events(snap: { context: ZoneContext }, part: 'staging' | 'gas'): ZoneEvent[] {
  const c = snap.context;
  const staging = part === 'staging';
  const ts = c.now;
  const out: ZoneEvent[] = [];
  if (staging && c.stage < 0) out.push({ type: 'VOTE.S0', racks: [1], ts });
  if (staging && c.stage < 1) out.push({ type: 'VOTE.S1', racks: [1], ts });
  if (staging && c.stage < 3) out.push({ type: 'VOTE.S3', racks: [1], ts });
  const hot = (c.thermal?.maxC ?? 0) >= 60;
  out.push({ type: 'VOTE.STATUS', ts, status: hot ? status(c, 30, true) : status(c, 85, false) });
  for (const a of KEY) {
    const r = c.actuators[a];
    if (r?.status === 'pending') {
      out.push({ type: 'FEEDBACK', actuator: a, ...OK_STATE[a]!, ts });
      out.push({ type: 'ACTUATOR.FAILED', actuator: a, op: r.op, intentId: r.intentId, result: 'timeout', ts });
    }
  }
  if (staging && c.actuators['rack.1.breaker']?.status === 'confirmed') out.push({ type: 'FEEDBACK', actuator: 'rack.1.breaker', state: 'close', current: 90, ts });
  if (['predischarge', 'abortHeld', 'releasing'].includes(c.gas.phase)) out.push({ type: 'ABORT', held: !c.abortHeld, ts });
  if (staging && c.stage >= 4 && !c.isolationConfirmed && !c.isolationOverride) out.push({ type: 'ISOLATION.OVERRIDE', actors: FD, reason: 'fire dept', issuedAt: ts, ts });
  if (c.water.latched && c.water.stoppedAt === null) out.push({ type: 'WATER.STOP', actors: FD, reason: 'fire dept', issuedAt: ts, ts });
  if (!staging && c.stage >= 3 && (c.gas.phase === 'none' || c.gas.phase === 'predischarge' || c.gas.phase === 'abortHeld' || c.gas.phase === 'inhibited')) {
    out.push({ type: 'MANUAL_RELEASE', source: 'station-1', ts });
  }
  if (!staging && ['predischarge', 'abortHeld', 'inhibited'].includes(c.gas.phase)) out.push({ type: 'LOCKOFF', on: !c.lockoff.on, ts });
  if (!staging && !c.fdControl && c.gas.phase === 'holding') out.push({ type: 'FD.HANDOVER', actors: FD, reason: 'on scene', issuedAt: ts, ts });
  if (c.fdControl) out.push({ type: 'FD.RELEASE', actors: FD, reason: 'released', issuedAt: ts, ts });
  if (staging && c.stage >= 0) out.push({ type: 'ACK', actors: TWO, issuedAt: ts, ts });
  if (staging && c.stage >= 0) out.push({ type: 'RESET', actors: TWO, reason: 'done', issuedAt: ts, ts });
  // an agent restart in the middle of a countdown (FS-31): the snapshot is kept, RECOVERED re-arms
  if (!staging && (c.deadlines.gasRelease !== undefined || c.deadlines['nozzle:1'] !== undefined)) {
    out.push({ type: 'RECOVERED', derivedStage: c.stage, reconstructed: false, restarted: true, ts: ts + 1000 });
  }
  // time jumps to the next deadline that matters for the invariants (earlier ones are processed on the way)
  const next = Object.entries(c.deadlines).filter(([n, t]) => t > ts && relevant(n)).map(([, t]) => t);
  if (next.length) out.push({ type: 'TICK', ts: Math.min(...next) });
  return out;
}

const relevant = (deadline: string) => ['t3', 't4', 'gasRelease', 'gasHold', 'nozzle:1'].includes(deadline) || KEY.some((a) => deadline === `fb:${a}`);

/** Abstract state: structure, not timestamps, and only the actuators the invariants are about. */
function serialize(snap: { value: unknown; context: ZoneContext }): string {
  const c = snap.context;
  return JSON.stringify([
    snap.value, c.stage, KEY.map((a) => `${c.actuators[a]?.op}:${c.actuators[a]?.status}`),
    Object.keys(c.deadlines).filter(relevant).sort(), c.checked, c.gas.phase,
    c.water.latched, c.water.stoppedAt !== null, c.fdControl !== null, c.handoverReasons.length, c.abortHeld,
    c.isolationConfirmed, c.isolationOverride !== null, (c.thermal?.maxC ?? 0) >= 60, c.incidentNo, c.lockoff.on,
  ]);
}

interface Violation { rule: string; event: string }

/** The §2 invariants on one transition. */
function check(prev: ZoneContext, next: ZoneContext, ev: ZoneEvent): Violation[] {
  const v: Violation[] = [];
  const fresh = Object.entries(next.actuators).filter(([a, r]) => prev.actuators[a]?.intentId !== r.intentId && r.status !== 'inhibited');
  for (const [a, r] of fresh) {
    if (/spray$/.test(a) && r.op === 'on' && !(next.isolationConfirmed || next.isolationOverride)) v.push({ rule: 'water before confirmed isolation or override', event: ev.type });
    if (/breaker$/.test(a) && r.op === 'close' && (prev.stage >= 1 || next.stage >= 1 || prev.latched.s1 !== null)) v.push({ rule: 'breaker closed with latched stage 1', event: ev.type });
    if (/nozzle$|gas$/.test(a) && prev.actuators[a]?.op === 'release' && prev.incidentNo === next.incidentNo) v.push({ rule: `discharge repeated: ${a}`, event: ev.type });
    // under fire-department control only the latched safe state is kept in force (isolation open,
    // re-asserting what was already commanded); nothing new escalates (FS-21)
    const keepsLatched = (/breaker$/.test(a) && r.op === 'open') || prev.actuators[a]?.op === r.op;
    if (next.fdControl && prev.fdControl && !keepsLatched && !['ISOLATION.OVERRIDE', 'WATER.STOP', 'MANUAL_RELEASE'].includes(ev.type)) v.push({ rule: `automatic command ${a} under fire-department control`, event: ev.type });
  }
  if (next.stage < prev.stage && !(ev.type === 'RESET' && next.incidentNo === prev.incidentNo + 1)) v.push({ rule: 'stage decreased without an authorized reset', event: ev.type });
  for (const k of ['s0', 's1', 's2', 's3', 's4', 's5'] as const) {
    if (prev.latched[k] !== null && next.latched[k] === null && ev.type !== 'RESET') v.push({ rule: `latched ${k} cleared without reset`, event: ev.type });
  }
  return v;
}

const machine = createZoneMachine();
// slow contactors (60 s) so that T3 can fall due while isolation is still unconfirmed (the water interlock)
const input = { zone: 'z1', racks: [1], params: { timings: { t3Ms: 60_000, t4Ms: 60_000, gasHoldMs: 60_000 }, feedback: { breakerMs: 60_000 } } };
const recovered: ZoneEvent = { type: 'RECOVERED', derivedStage: -1, reconstructed: false, restarted: false, ts: 1_000_000 };

function startSnapshot() {
  const a = createActor(machine, { input });
  a.start();
  a.send(recovered);
  const s = a.getSnapshot();
  a.stop();
  return s;
}

/** A healthy plant driven to the start of the gas countdown (stage 5), as the gas model's start. */
function gasSnapshot() {
  const h = new ZoneHarness({ racks: [1], params: input.params, t0: 1_000_000 });
  h.vote('S3', [1]).confirmAll().advance(5000).confirmAll();
  h.status(85, { rising: true }).advance(61_000).confirmAll().advance(61_000);
  expect(h.incident()).toBe('s5.predischarge');
  const s = h.actor.getSnapshot();
  h.actor.stop();
  return s;
}

const PARTS = {
  staging: {
    from: startSnapshot,
    // beyond stage 5, fire-department control or a reset the gas model takes over
    stop: (c: ZoneContext) => c.incidentNo > 1 || c.stage >= 5 || c.fdControl !== null,
    // (water failure and gas failure pass through s4.failed / s5.failed to s5 / fdControl at once)
    must: ['"s0_offGas"', '"s1"', '{"s3":"preDischarge"}', '{"s3":"settled"}', '{"s4":"interlock"}', '{"s4":"flowing"}', '{"s4":"stopped"}', '"fdControl"', '"s5"'],
  },
  gas: {
    from: gasSnapshot,
    stop: (c: ZoneContext) => c.incidentNo > 1,
    must: ['{"s5":"predischarge"}', '{"s5":"abortHeld"}', '{"s5":"releasing"}', '{"s5":"holding"}', '{"s5":"inhibited"}', '"fdControl"', '"awaitingReset"'],
  },
} as const;

function modelOf(part: keyof typeof PARTS) {
  return createTestModel(machine, {
    events: ((s: { context: ZoneContext }) => events(s, part)) as never,
    // only the reduced event set (the model would otherwise add a bare `{type}` for every other event)
    filterEvents: ((_: unknown, e: { ts?: unknown }) => typeof e.ts === 'number') as never,
    serializeState: serialize as never,
    fromState: PARTS[part].from() as never,
    stopWhen: ((s: { context: ZoneContext }) => PARTS[part].stop(s.context)) as never,
    limit: 100_000,
  } as never);
}

describe.each(['staging', 'gas'] as const)('zone machine model-based invariants: %s (§2, FS-08/09/15/16/20/21/31)', (part) => {
  const model = modelOf(part);

  it('every explored transition keeps the invariants (no water before isolation/override, no close with latched s1, no stage decrease without reset, no repeated discharge, nothing new under fire-department control)', () => {
    const adj = model.getAdjacencyMap();
    const states = Object.values(adj);
    let edges = 0;
    const violations: Violation[] = [];
    const reached = new Set<string>();
    for (const { state, transitions } of states) {
      const s = state as unknown as { value: { incident: unknown }; context: ZoneContext };
      reached.add(JSON.stringify(typeof s.value.incident === 'object' && s.value.incident !== null && 's5' in s.value.incident && part === 'staging' ? 's5' : s.value.incident));
      for (const t of Object.values(transitions) as { event: unknown; state: unknown }[]) {
        edges++;
        violations.push(...check(s.context, (t.state as unknown as { context: ZoneContext }).context, t.event as ZoneEvent));
      }
    }
    console.log(`${part} model: ${states.length} states, ${edges} transitions; reached: ${[...reached].join(' ')}`);
    expect(violations).toEqual([]);
    for (const x of PARTS[part].must) expect(reached).toContain(x);
  });

  it('every shortest path, replayed on a live recording actor, journals each intent before its command and keeps the invariants', () => {
    const all = model.getShortestPaths();
    // replay a deterministic spread of at most 150 paths (the graph test above covers every transition)
    const stride = Math.max(1, Math.ceil(all.length / 150));
    const paths = all.filter((_, i) => i % stride === 0);
    let steps = 0;
    const log: Recorded[] = [];
    const sut = recordingMachine(log);
    const from = PARTS[part].from();
    for (const path of paths) {
      log.length = 0;
      const actor = createActor(sut, { snapshot: from } as never);
      actor.start();
      let prev = (actor.getSnapshot() as unknown as { context: ZoneContext }).context;
      for (const step of path.steps) {
        actor.send(step.event as ZoneEvent);
        const next = (actor.getSnapshot() as unknown as { context: ZoneContext }).context;
        expect(check(prev, next, step.event as ZoneEvent)).toEqual([]);
        expect(serialize(actor.getSnapshot() as never)).toBe(serialize(step.state as never));
        prev = next;
        steps++;
      }
      const cmds = log.filter((e) => e.type === 'cmd') as Extract<Recorded, { type: 'cmd' }>[];
      for (const c of cmds) {
        const intent = log.find((e) => e.type === 'journalIntent' && e.intentId === c.intentId)!;
        expect(intent.seqNo).toBe(c.seqNo - 1);
      }
      actor.stop();
    }
    console.log(`${part}: ${all.length} shortest paths, ${paths.length} replayed (${steps} steps)`);
    expect(paths.length).toBeGreaterThan(20);
  });
});

describe('the invariant checker itself', () => {
  it('flags water before isolation, a breaker closed at stage 1, a stage drop and a repeated discharge', () => {
    const base = startSnapshot().context;
    const s1 = { ...base, stage: 1 as const, latched: { ...base.latched, s1: 1 } };
    const rec = (op: string, id: string) => ({ op, intentId: id, status: 'pending' as const, issuedAt: 0, cause: 'x' });
    const tick: ZoneEvent = { type: 'TICK', ts: 1 };
    const rules = (p: ZoneContext, n: ZoneContext) => check(p, n, tick).map((v) => v.rule);
    expect(rules(s1, { ...s1, actuators: { 'rack.1.spray': rec('on', 'a') } })).toEqual(['water before confirmed isolation or override']);
    expect(rules(s1, { ...s1, actuators: { 'rack.1.breaker': rec('close', 'b') } })).toEqual(['breaker closed with latched stage 1']);
    expect(rules(s1, { ...s1, stage: 0 })).toEqual(['stage decreased without an authorized reset']);
    const fired = { ...s1, actuators: { 'room.gas': rec('release', 'g1') } };
    expect(rules(fired, { ...fired, actuators: { 'room.gas': rec('release', 'g2') } })).toEqual(['discharge repeated: room.gas']);
  });
});
