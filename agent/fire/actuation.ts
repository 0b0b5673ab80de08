/**
 * Verified actuation (FS-12, FS-30): for each `cmd(actuator, op, intentId)` the zone machine
 * emits, in this order:
 *   1. journal the intent and fsync it (nothing is written to the field before the intent is durable);
 *   2. write the command point through the injected IO port (the Modbus driver, with read-back);
 *   3. watch the feedback points in the field state until confirmed, contradicted or the timeout;
 *   4. journal the outcome (with the feedback values and latency);
 *   5. on failure of an idempotent command: exactly one retry (steps 1–4 again, `attempt: 2`);
 *      one-shot releases (nozzles, gas) are never retried here: the alternate path is the
 *      machine's decision after `ACTUATOR.FAILED`.
 * The same actuator+op already in flight is not started twice (reconcile may ask again).
 * After a confirmed outcome the output is supervised: feedback that later contradicts it (a
 * contactor re-closes, a valve closes) is reported once through `onContradiction` (FS-12).
 */
import type { Logger } from '../../lib/log.js';
import type { WriteResult } from '../drivers/types.js';
import type { TimerHost } from './clock.js';
import type { Journal } from './journal.js';
import type { FieldState } from './field.js';
import { resolveActuator, type ActuatorOp, type TimeoutKey } from './actuators.js';

/** What the runtime needs from the agent to drive outputs: a write with read-back (Modbus driver). */
export interface FireIoPort {
  writePoint(device: string, point: string, value: boolean | number): Promise<WriteResult>;
}

export interface ActuationRequest {
  actuator: string;
  op: string;
  intentId: string;
  /** Why (stage, reconcile, recovery), journaled with the intent. */
  cause?: string;
}

export interface ActuationOutcome {
  intentId: string;
  actuator: string;
  op: string;
  ok: boolean;
  attempts: number;
  /** confirmed | timeout | contradicted | write_failed */
  result: 'confirmed' | 'timeout' | 'contradicted' | 'write_failed';
  reason?: string;
  latencyMs: number;
  feedback: Record<string, unknown>;
}

export interface ActuationOptions {
  zone: string;
  device: string;
  io: FireIoPort;
  field: FieldState;
  journal: Journal;
  clock: TimerHost;
  timeouts: Record<TimeoutKey, number>;
  log?: Logger;
  /** Each finished attempt (for events); the final outcome is the promise's value. */
  onAttempt?: (o: ActuationOutcome & { attempt: number; final: boolean }) => void;
  /** A confirmed output whose feedback later contradicts it (FS-12 last paragraph). */
  onContradiction?: (c: { actuator: string; op: string; intentId: string; why: string }) => void;
}

export class Actuation {
  private inFlight = new Map<string, Promise<ActuationOutcome>>();
  /** Confirmed outputs under supervision: key actuator → last confirmed op. */
  private supervised = new Map<string, { op: ActuatorOp; intentId: string; reported: boolean }>();
  private unsubscribe: (() => void) | null = null;
  private stopped = false;

  constructor(private readonly o: ActuationOptions) {}

  start(): void {
    this.unsubscribe = this.o.field.onUpdate(() => this.superviseAll());
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const cancel of [...this.waits]) cancel();
  }

  /** Pending feedback waits (cancelled by stop so no timer outlives the runtime). */
  private waits = new Set<() => void>();

  /** Execute one command with verification and at most one retry. Never throws. */
  execute(req: ActuationRequest): Promise<ActuationOutcome> {
    const key = `${req.actuator}:${req.op}`;
    const running = this.inFlight.get(key);
    if (running) return running;
    const p = this.run(req).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  /**
   * Watch the feedback of a command that may already have been written (an intent without outcome
   * found at recovery) without writing again: one-shot releases are never repeated (FS-31 step 4).
   */
  verify(req: ActuationRequest): Promise<ActuationOutcome> {
    const key = `${req.actuator}:${req.op}`;
    const running = this.inFlight.get(key);
    if (running) return running;
    const p = (async (): Promise<ActuationOutcome> => {
      const op = resolveActuator(req.actuator, req.op);
      const t0 = this.o.clock.monotonic();
      this.o.journal.append('verify', { intentId: req.intentId, actuator: req.actuator, op: req.op, cause: req.cause ?? null });
      const fb = await this.awaitFeedback(op);
      if (this.stopped) return { intentId: req.intentId, actuator: req.actuator, op: req.op, ok: false, attempts: 0, result: 'timeout', reason: 'runtime stopped', latencyMs: 0, feedback: {} };
      const out: ActuationOutcome = {
        intentId: req.intentId, actuator: req.actuator, op: req.op, ok: fb.result === 'confirmed', attempts: 0, result: fb.result,
        latencyMs: Math.round((this.o.clock.monotonic() - t0) * 10) / 10,
        feedback: Object.fromEntries(op.feedbackPoints.map((pt) => [pt, this.o.field.get(pt)?.value ?? null])),
      };
      if (fb.reason) out.reason = fb.reason;
      this.o.journal.append('outcome', { ...out, verifyOnly: true });
      this.o.onAttempt?.({ ...out, attempt: 0, final: true });
      return out;
    })().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  isInFlight(actuator: string, op: string): boolean { return this.inFlight.has(`${actuator}:${op}`); }

  /** Stop supervising an output (the machine commanded its opposite, e.g. REENERGIZE). */
  release(actuator: string): void { this.supervised.delete(actuator); }

  private async run(req: ActuationRequest): Promise<ActuationOutcome> {
    let op: ActuatorOp;
    try {
      op = resolveActuator(req.actuator, req.op);
    } catch (err) {
      const out: ActuationOutcome = { intentId: req.intentId, actuator: req.actuator, op: req.op, ok: false, attempts: 0, result: 'write_failed', reason: (err as Error).message, latencyMs: 0, feedback: {} };
      this.o.journal.append('outcome', { ...out });
      this.o.onAttempt?.({ ...out, attempt: 0, final: true });
      return out;
    }
    const maxAttempts = op.idempotent ? 2 : 1;
    let last: ActuationOutcome | null = null;
    for (let attempt = 1; attempt <= maxAttempts && !this.stopped; attempt++) {
      last = await this.attempt(req, op, attempt);
      if (this.stopped) return last;
      const final = last.ok || attempt === maxAttempts;
      this.o.onAttempt?.({ ...last, attempt, final });
      if (last.ok) break;
      if (!final) this.o.log?.warn({ zone: this.o.zone, actuator: req.actuator, op: req.op, reason: last.reason }, 'fire actuation failed; one retry');
    }
    if (last?.ok) this.supervised.set(req.actuator, { op, intentId: req.intentId, reported: false });
    return last!;
  }

  private async attempt(req: ActuationRequest, op: ActuatorOp, attempt: number): Promise<ActuationOutcome> {
    const t0 = this.o.clock.monotonic();
    // 1. Intent, durable before any output (FS-30).
    this.o.journal.append('intent', {
      intentId: req.intentId, actuator: req.actuator, op: req.op, device: this.o.device, point: op.point,
      value: op.value, attempt, cause: req.cause ?? null, feedbackPoints: op.feedbackPoints,
      timeoutMs: op.timeout ? this.o.timeouts[op.timeout] : 0,
    });
    // 2. Write.
    let w: WriteResult;
    try {
      w = await this.o.io.writePoint(this.o.device, op.point, op.value);
    } catch (err) {
      w = { ok: false, error: (err as Error).message };
    }
    let result: ActuationOutcome['result'];
    let reason: string | undefined;
    if (!w.ok) {
      result = 'write_failed';
      reason = `write ${op.point} failed: ${w.error ?? 'unknown error'}`;
      // A failed write still waits out the timeout? No: the field cannot follow a write that did not happen.
    } else {
      const fb = await this.awaitFeedback(op);
      result = fb.result;
      reason = fb.reason;
    }
    if (this.stopped) return { intentId: req.intentId, actuator: req.actuator, op: req.op, ok: false, attempts: attempt, result: 'write_failed', reason: 'runtime stopped before the outcome', latencyMs: 0, feedback: {} };
    const out: ActuationOutcome = {
      intentId: req.intentId, actuator: req.actuator, op: req.op, ok: result === 'confirmed', attempts: attempt, result,
      latencyMs: Math.round((this.o.clock.monotonic() - t0) * 10) / 10,
      feedback: Object.fromEntries(op.feedbackPoints.map((p) => [p, this.o.field.get(p)?.value ?? null])),
    };
    if (reason) out.reason = reason;
    // 4. Outcome.
    this.o.journal.append('outcome', { ...out, attempt, readBack: w.readBack ?? null });
    return out;
  }

  private awaitFeedback(op: ActuatorOp): Promise<{ result: 'confirmed' | 'timeout' | 'contradicted'; reason?: string }> {
    const first = op.check(this.o.field);
    if (first.state === 'confirmed' || op.timeout === null) return Promise.resolve({ result: 'confirmed' });
    const timeoutMs = this.o.timeouts[op.timeout];
    return new Promise((resolve) => {
      let lastWhy = first.why;
      let done = false;
      const finish = (r: { result: 'confirmed' | 'timeout' | 'contradicted'; reason?: string }) => {
        if (done) return;
        done = true;
        unsub();
        this.o.clock.clearTimer(timer);
        this.waits.delete(cancel);
        resolve(r);
      };
      const cancel = () => finish({ result: 'timeout', reason: 'runtime stopped' });
      this.waits.add(cancel);
      const unsub = this.o.field.onUpdate((name) => {
        if (!op.feedbackPoints.includes(name)) return;
        const v = op.check(this.o.field);
        if (v.state === 'confirmed') finish({ result: 'confirmed' });
        else lastWhy = v.why;
      });
      const timer = this.o.clock.setTimer(() => {
        const v = op.check(this.o.field);
        if (v.state === 'confirmed') finish({ result: 'confirmed' });
        else finish({ result: v.state === 'contradicted' ? 'contradicted' : 'timeout', reason: `no confirmation within ${timeoutMs} ms: ${v.state === 'contradicted' ? v.why : lastWhy}` });
      }, timeoutMs);
    });
  }

  private superviseAll(): void {
    for (const [actuator, s] of this.supervised) {
      if (this.inFlight.has(`${actuator}:${s.op.op}`)) continue;
      const v = s.op.check(this.o.field);
      if (v.state === 'confirmed') { s.reported = false; continue; }
      // "pending" on a good reading that disagrees is a contradiction after confirmation; unknown is not.
      const disagree = v.state === 'contradicted' || !/unknown$/.test(v.why);
      if (disagree && !s.reported) {
        s.reported = true;
        this.o.journal.append('feedback.contradiction', { actuator, op: s.op.op, intentId: s.intentId, why: v.why });
        this.o.onContradiction?.({ actuator, op: s.op.op, intentId: s.intentId, why: v.why });
      }
    }
  }
}
