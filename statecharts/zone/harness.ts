/**
 * A recording harness for the zone machine (tests, drills, docs): provides every effect action
 * with a recorder, drives time only through event timestamps, and can answer commands with field
 * feedback the way a healthy plant would. No real clock, no I/O.
 */
import { createActor } from 'xstate';
import { createZoneMachine } from '../zone-machine.js';
import type { PartialParams } from '../params.js';
import type { ActorRef, Effect, HumanEvent, ZoneContext, ZoneEvent } from './types.js';

export const EFFECT_TYPES = [
  'journalIntent', 'journalOutcome', 'cmd', 'annunciate', 'notify', 'armDeadline', 'cancelDeadline',
  'recordHandover', 'journalNote', 'commandResult',
] as const;

export type Recorded = Effect & { seqNo: number };

/** The machine with every effect action recording into `log`. */
export function recordingMachine(log: Recorded[]) {
  const rec = (_: unknown, p: Effect) => { log.push({ ...p, seqNo: log.length }); };
  return createZoneMachine().provide({ actions: Object.fromEntries(EFFECT_TYPES.map((t) => [t, rec])) as never });
}

/** Freeze an object graph (plain objects and arrays). */
export function deepFreeze<T>(o: T): T {
  if (o === null || typeof o !== 'object' || Object.isFrozen(o)) return o;
  Object.freeze(o);
  for (const v of Object.values(o as Record<string, unknown>)) deepFreeze(v);
  return o;
}

export const ADMIN: ActorRef = { user: 'alice', role: 'admin' };
export const ADMIN2: ActorRef = { user: 'bob', role: 'admin' };
export const OPERATOR: ActorRef = { user: 'oscar', role: 'operator' };
export const FIREDEPT: ActorRef = { user: 'chief', role: 'firedept' };

export class ZoneHarness {
  readonly log: Recorded[] = [];
  readonly actor;
  now: number;

  constructor(o: { zone?: string; racks?: number[]; params?: PartialParams; t0?: number; recovered?: boolean } = {}) {
    this.now = o.t0 ?? 1_700_000_000_000;
    this.actor = createActor(recordingMachine(this.log), { input: { zone: o.zone ?? 'z1', racks: o.racks ?? [1, 2, 3], ...(o.params ? { params: o.params } : {}) } });
    this.actor.start();
    if (o.recovered !== false) this.send({ type: 'RECOVERED', derivedStage: -1, reconstructed: false, restarted: false, ts: this.now });
  }

  get ctx(): ZoneContext { return this.actor.getSnapshot().context; }
  get value(): unknown { return this.actor.getSnapshot().value; }
  incident(): string {
    const v = (this.value as { incident: unknown }).incident;
    return typeof v === 'string' ? v : Object.entries(v as Record<string, unknown>).map(([k, s]) => `${k}.${String(s)}`)[0]!;
  }

  send(ev: ZoneEvent): this {
    if ('ts' in ev && typeof ev.ts === 'number' && ev.ts > this.now) this.now = ev.ts;
    this.actor.send(ev);
    // The machine never changes a context it was given (each event works on a copy, tx.ts
    // cloneContext, which shares what it does not copy): frozen, any handler that mutates a shared
    // record throws here in every test that drives the harness.
    deepFreeze(this.actor.getSnapshot().context);
    return this;
  }

  /** Advance time by `ms` with 1 s TICKs (and immediate DEADLINEs when they fall due). */
  advance(ms: number, step = 1000): this {
    const end = this.now + ms;
    while (this.now < end) {
      const next = Math.min(end, this.now + step);
      const due = Object.entries(this.ctx.deadlines).filter(([, at]) => at <= next).sort((a, b) => a[1] - b[1]);
      for (const [name, at] of due) {
        if (this.ctx.deadlines[name] !== at) continue;
        this.send({ type: 'DEADLINE', name, ts: Math.max(at, this.now) });
      }
      this.send({ type: 'TICK', ts: next });
    }
    return this;
  }

  vote(level: 'S0' | 'S1' | 'S2' | 'S3', racks: number[] = [1]): this {
    return this.send({ type: `VOTE.${level}`, racks, ts: this.now } as ZoneEvent);
  }

  status(maxC: number | null, o: Partial<{ falling: boolean; rising: boolean; minValidCount: number; coolSince: number | null; smoke: boolean; roomAlarm: boolean; hot: Record<string, number> }> = {}): this {
    return this.send({
      type: 'VOTE.STATUS', ts: this.now,
      status: {
        at: this.now, maxC, falling: o.falling ?? false, rising: o.rising ?? false, minValidCount: o.minValidCount ?? 3,
        smoke: o.smoke ?? false, offgas: false, roomAlarm: o.roomAlarm ?? false, coolSince: o.coolSince ?? null, hot: o.hot ?? {}, watchRacks: [],
      },
    });
  }

  feedback(actuator: string, state: string, current?: number): this {
    return this.send({ type: 'FEEDBACK', actuator, state, ts: this.now, ...(current !== undefined ? { current } : {}) });
  }

  /** Answer every pending command with confirming feedback (a healthy plant). */
  confirmAll(filter: (actuator: string) => boolean = () => true): this {
    for (const [a, rec] of Object.entries(this.ctx.actuators)) {
      if (rec.status === 'pending' && filter(a)) this.feedback(a, rec.op, /breaker/.test(a) ? 0 : undefined);
    }
    return this;
  }

  human<T extends HumanEvent['type']>(type: T, actors: ActorRef[], extra: Record<string, unknown> = {}): this {
    return this.send({ type, actors, reason: 'test', issuedAt: this.now, ts: this.now, commandId: `c-${this.log.length}`, ...extra } as unknown as ZoneEvent);
  }

  of<T extends Effect['type']>(t: T): Extract<Recorded, { type: T }>[] {
    return this.log.filter((e): e is Extract<Recorded, { type: T }> => e.type === t);
  }

  cmds(): string[] { return this.of('cmd').map((c) => `${c.actuator}:${c.op}`); }
  lastResult(): Extract<Recorded, { type: 'commandResult' }> | undefined { return this.of('commandResult').at(-1); }
}
