/**
 * A transaction over the zone context: a private copy that pure helpers change, plus the list of
 * effects they emit, in order. The machine's actions run one Tx per event and hand the effects to
 * the injected, named actions (journalIntent, cmd, annunciate, ...). Nothing here does I/O.
 */
import type { FeedbackTimeouts } from '../params.js';
import { alwaysAnnunciated, CHATTER_COUNT, CHATTER_OFF_DELAY_MS, CHATTER_WINDOW_MS, offDelayName, recentActivations } from './chatter.js';
import type { AlarmClass, AlarmRecord, Effect, Priority, ZoneContext } from './types.js';

/** The kind of an actuator id: rack.3.spray → spray, room.upstream.breaker → upstream.breaker. */
export function actuatorKind(actuator: string): string {
  return actuator.replace(/^rack\.\d+\./, '').replace(/^room\./, '');
}

export const ONE_SHOT_KINDS = new Set(['nozzle', 'gas']);
export const isOneShot = (actuator: string) => ONE_SHOT_KINDS.has(actuatorKind(actuator));

export function feedbackTimeoutMs(f: FeedbackTimeouts, actuator: string): number | null {
  switch (actuatorKind(actuator)) {
    case 'breaker': case 'upstream.breaker': case 'charge.inhibit': return f.breakerMs;
    case 'curtain': return f.curtainMs;
    case 'nozzle': case 'gas': return f.dischargeMs;
    case 'spray': case 'drain.pump': return f.waterMs;
    case 'hvac': case 'dampers': return f.hvacMs;
    default: return null; // signals (pre-discharge sounders) have no feedback
  }
}

/**
 * The machine's own feedback backstop for a command on `actuator` (deadline `fb:{actuator}`): the
 * runtime verifies and retries idempotent commands once (agent/fire/actuation.ts), so the backstop
 * covers both attempts (one for one-shots) plus a grace; null for outputs without feedback.
 */
export function backstopMs(c: ZoneContext, actuator: string): number | null {
  const t = feedbackTimeoutMs(c.params.feedback, actuator);
  if (t === null) return null;
  return (isOneShot(actuator) ? 1 : 2) * t + c.params.timings.feedbackGraceMs;
}

/** Does the field state confirm `op`? Breakers also need the current below 1 A (FS-12, §4 #14). */
export function confirms(actuator: string, op: string, state: string, current?: number): boolean {
  if (state !== op) return false;
  if (op === 'open' && actuatorKind(actuator) === 'breaker' && current !== undefined && Math.abs(current) >= 1) return false;
  return true;
}

export const rackOf = (actuator: string): number | null => {
  const m = /^rack\.(\d+)\./.exec(actuator);
  return m ? Number(m[1]) : null;
};

export interface CmdOptions {
  /** issue even if the same op is already pending or confirmed (re-assert after a contradiction, re-sound) */
  force?: boolean;
  /** automatic commands are subject to maintenance inhibits; human ones (REENERGIZE) are not */
  automatic?: boolean;
}

const mapValues = <T extends object>(o: Record<string, T>): Record<string, T> => {
  const r: Record<string, T> = {};
  for (const k in o) r[k] = { ...o[k]! };
  return r;
};

/**
 * A copy deep enough for every write a Tx makes (params and the thermal status are replaced, never
 * mutated, so they are shared). Much cheaper than structuredClone on the 1 Hz TICK path.
 */
export function cloneContext(c: ZoneContext): ZoneContext {
  return {
    ...c,
    racks: [...c.racks],
    latched: { ...c.latched },
    rackStage: { ...c.rackStage },
    affectedRacks: [...c.affectedRacks],
    deadlines: { ...c.deadlines },
    // records of these maps are replaced, never changed in place (the harness freezes every
    // context to prove it): a shallow copy of each map is enough, and at 100 racks (~400
    // actuators, as many field entries, the alarms) it is what keeps one event cheap
    actuators: { ...c.actuators },
    field: { ...c.field },
    isolationOverride: c.isolationOverride && { ...c.isolationOverride },
    checked: { ...c.checked },
    water: { ...c.water },
    gas: { ...c.gas },
    fdControl: c.fdControl && { ...c.fdControl, actors: [...c.fdControl.actors] },
    handoverReasons: [...c.handoverReasons],
    alarms: { ...c.alarms },
    bypasses: mapValues(c.bypasses),
    maintenance: c.maintenance && { ...c.maintenance, inhibit: [...c.maintenance.inhibit] },
    drill: c.drill && { ...c.drill },
    lockoff: { ...c.lockoff },
    patchFired: { ...c.patchFired },
    watchRacks: [...c.watchRacks],
    reenergizePending: [...c.reenergizePending],
  };
}

export class Tx {
  readonly ctx: ZoneContext;
  readonly fx: Effect[] = [];

  constructor(ctx: ZoneContext, ts: number | undefined) {
    this.ctx = cloneContext(ctx);
    if (ts !== undefined && Number.isFinite(ts) && ts > this.ctx.now) this.ctx.now = ts;
  }

  get now(): number { return this.ctx.now; }

  note(kind: string, data: Record<string, unknown> = {}): void {
    this.fx.push({ type: 'journalNote', kind, at: this.now, data: { zone: this.ctx.zone, ...data } });
  }

  arm(name: string, at: number): void {
    this.ctx.deadlines[name] = at;
    this.fx.push({ type: 'armDeadline', name, at });
  }

  cancel(name: string): void {
    if (this.ctx.deadlines[name] === undefined) return;
    delete this.ctx.deadlines[name];
    this.fx.push({ type: 'cancelDeadline', name });
  }

  notify(channel: 'firedept' | 'oncall' | 'supervising', text: string): void {
    this.fx.push({ type: 'notify', channel, payload: { zone: this.ctx.zone, text, stage: this.ctx.stage, at: this.now } });
  }

  /**
   * Raise (or re-raise) an alarm; annunciated once while it stays active. ISA-18.2: an alarm that
   * returned to normal but is still unacknowledged and becomes active again (RTN-unack → active-unack)
   * is not annunciated again, only journalled, unless it is a fire alarm or P1, its priority rose, or
   * the caller says it is a new condition (`renew`). FS-26: its activations are counted; ≥ 3 within
   * 60 s flag it chattering, and coming back within the off-delay of a chattering alarm is silent.
   */
  alarm(id: string, cls: AlarmClass, priority: Priority, text: string, o: { rack?: number; latched?: boolean; suppressedBy?: string; renew?: boolean } = {}): void {
    const cur = this.ctx.alarms[id];
    const lifeSafety = alwaysAnnunciated(cls, priority);
    if (cur?.active) {
      // FS-26: back within the off-delay: for the operator it never returned to normal
      if (this.ctx.deadlines[offDelayName(id)] !== undefined) {
        this.cancel(offDelayName(id));
        this.ctx.alarms[id] = { ...cur, ...this.activation(id, cur, lifeSafety) };
      }
      return;
    }
    if (o.suppressedBy && !lifeSafety) {
      // FS-26 consequential: kept for the record and the reset check, never annunciated
      this.ctx.alarms[id] = { class: cls, priority, text, active: true, acked: true, latched: false, at: this.now, suppressedBy: o.suppressedBy, ...(o.rack !== undefined ? { rack: o.rack } : {}) };
      return;
    }
    const latched = o.latched ?? false;
    const shelved = cur?.shelved && cur.shelved.until > this.now ? cur.shelved : undefined;
    // the operator has not acknowledged it yet: it is still on their list, a new sound adds nothing
    const quiet = cur !== undefined && !cur.acked && !cur.suppressedBy && !lifeSafety && !o.renew && priority >= cur.priority;
    this.ctx.alarms[id] = {
      class: cls, priority, text, active: true, acked: false, latched, at: this.now, ...(o.rack !== undefined ? { rack: o.rack } : {}), ...(shelved ? { shelved } : {}),
      ...this.activation(id, cur, lifeSafety),
    };
    // A shelved alarm is tracked (its condition, its record) but not annunciated again (FS-25).
    if (shelved) return;
    if (quiet) { this.note('alarmReactivated', { alarmId: id, priority, text }); return; }
    this.fx.push({ type: 'annunciate', alarmId: id, class: cls, priority, text, active: true, at: this.now, latched, ...(o.rack !== undefined ? { rack: o.rack } : {}) });
  }

  /** FS-26: the activation history and chattering flag after an activation now; journalled once per episode. */
  private activation(id: string, cur: AlarmRecord | undefined, lifeSafety: boolean): Pick<AlarmRecord, 'activations' | 'chattering'> {
    if (lifeSafety) return {};
    const activations = recentActivations(cur?.activations, this.now);
    if (cur?.chattering) return { activations, chattering: true };
    if (activations.length < CHATTER_COUNT) return { activations };
    this.note('alarmChattering', { alarmId: id, activations: activations.length, windowMs: CHATTER_WINDOW_MS, offDelayMs: CHATTER_OFF_DELAY_MS });
    return { activations, chattering: true };
  }

  /**
   * Return-to-normal of an alarm (it stays listed until acknowledged or, if latched, reset).
   * FS-26: a chattering alarm's return is held by an off-delay (`alarmOff:{id}`) unless `immediate`
   * (the off-delay ran out, or the caller replaces the condition at once); latched alarms are not
   * held (they stay listed until reset anyway, and RESET clears them at once).
   */
  clear(id: string, o: { immediate?: boolean } = {}): void {
    const cur = this.ctx.alarms[id];
    if (!cur || !cur.active) return;
    if (cur.suppressedBy) { delete this.ctx.alarms[id]; return; } // never annunciated: nothing to return to normal
    if (cur.chattering && !cur.latched && !o.immediate) {
      if (this.ctx.deadlines[offDelayName(id)] === undefined) this.arm(offDelayName(id), this.now + CHATTER_OFF_DELAY_MS);
      return;
    }
    this.cancel(offDelayName(id));
    this.ctx.alarms[id] = { ...cur, active: false };
    if (cur.shelved && cur.shelved.until > this.now) return; // shelved: no return-to-normal annunciation either
    this.fx.push({ type: 'annunciate', alarmId: id, class: cur.class, priority: cur.priority, text: cur.text, active: false, at: this.now, latched: cur.latched });
  }

  result(command: string, ok: boolean, reason?: string, commandId?: string): void {
    this.fx.push({ type: 'commandResult', command, ok, at: this.now, ...(reason ? { reason } : {}), ...(commandId ? { commandId } : {}) });
  }

  /** The permit that inhibits this actuator, if any (FS-28). */
  inhibitedBy(actuator: string): string | null {
    const m = this.ctx.maintenance;
    if (!m) return null;
    const kind = actuatorKind(actuator);
    return m.inhibit.includes(kind) ? m.permitId : null;
  }

  /**
   * Command an output: journal the intent, then the command, then arm the feedback backstop.
   * Idempotent: the same op already pending or confirmed is not re-issued unless forced.
   * Returns false when inhibited or skipped.
   */
  cmd(actuator: string, op: string, cause: string, o: CmdOptions = {}): boolean {
    const cur = this.ctx.actuators[actuator];
    if (!o.force && cur && cur.op === op && (cur.status === 'pending' || cur.status === 'confirmed' || cur.status === 'inhibited')) return false;
    const intentId = `${this.ctx.zone}-${this.ctx.incidentNo}-${++this.ctx.seq}`;
    const permit = o.automatic === false ? null : this.inhibitedBy(actuator);
    if (permit) {
      this.ctx.actuators[actuator] = { op, intentId, status: 'inhibited', issuedAt: this.now, cause };
      this.fx.push({ type: 'journalOutcome', intentId, actuator, op, outcome: 'inhibited', at: this.now, detail: `permit ${permit}` });
      this.alarm(`inhibited:${permit}`, 'alarm', 1, `actuation inhibited by permit ${permit}`, { latched: true });
      this.notify('firedept', `zone ${this.ctx.zone}: ${actuator} ${op} inhibited by permit ${permit}`);
      return false;
    }
    this.fx.push({ type: 'journalIntent', intentId, actuator, op, cause, at: this.now });
    this.fx.push({ type: 'cmd', actuator, op, intentId });
    const backstop = backstopMs(this.ctx, actuator);
    if (backstop === null) {
      this.ctx.actuators[actuator] = { op, intentId, status: 'confirmed', issuedAt: this.now, cause };
      this.cancel(`fb:${actuator}`);
    } else {
      this.ctx.actuators[actuator] = { op, intentId, status: 'pending', issuedAt: this.now, cause };
      // a silent runtime still ends in a failure here
      this.arm(`fb:${actuator}`, this.now + backstop);
    }
    return true;
  }

  stageName(): string {
    return this.ctx.stage < 0 ? 'idle' : `stage ${this.ctx.stage}`;
  }
}
