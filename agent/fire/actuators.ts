/**
 * The catalogue of fire outputs of one battery room (profile sim-fire-io; agreed names in
 * site-names): for each actuator and operation, the command point and value, the feedback that
 * confirms it (FS-12), which timeout applies, and whether a retry is allowed (idempotent) or the
 * output is a one-shot release (nozzles, gas: never repeated, FS-31 step 4).
 *
 * Actuator ids: `rack.{n}.breaker`, `rack.{n}.curtain`, `rack.{n}.nozzle`, `rack.{n}.spray`,
 * `room.upstream.breaker`, `room.charge.inhibit`, `room.drain.pump`, `room.gas`, `room.hvac`,
 * `room.dampers`, `room.predischarge`.
 */
import type { FeedbackTimeouts } from './config-schema.js';
import type { Static } from '@sinclair/typebox';
import type { FieldState } from './field.js';

export type TimeoutKey = keyof Static<typeof FeedbackTimeouts>;

/** Result of looking at the feedback points: confirmed, contradicted (with why) or not yet. */
export type FeedbackVerdict = { state: 'confirmed' } | { state: 'pending'; why: string } | { state: 'contradicted'; why: string };

export interface ActuatorOp {
  actuator: string;
  op: string;
  point: string;
  value: boolean;
  /** Feedback points read to decide (journaled with the outcome). */
  feedbackPoints: string[];
  check(field: FieldState): FeedbackVerdict;
  /** Timeout key in config `feedback`, or null when the output has no feedback (signals). */
  timeout: TimeoutKey | null;
  idempotent: boolean;
  /** One-shot release: never re-issued once the field shows it discharged. */
  oneShot: boolean;
}

export class UnknownActuatorError extends Error {
  constructor(actuator: string, op: string) {
    super(`fire actuator '${actuator}' has no operation '${op}' (see agent/fire/actuators.ts for the catalogue)`);
    this.name = 'UnknownActuatorError';
  }
}

/** Current below which a DC breaker counts as open (FS-12: current < 1 A AND aux contact). */
export const BREAKER_OPEN_MAX_A = 1;

const boolIs = (point: string, want: boolean) => (f: FieldState): FeedbackVerdict => {
  const v = f.bool(point);
  if (v === undefined) return { state: 'pending', why: `${point} unknown` };
  return v === want ? { state: 'confirmed' } : { state: 'pending', why: `${point} = ${String(v)}` };
};

function breakerOpen(aux: string, current: string): (f: FieldState) => FeedbackVerdict {
  return (f) => {
    const a = f.bool(aux);
    const i = f.num(current);
    // Current wins over the auxiliary contact: a welded contactor keeps its current (FS-12, §4 #14).
    if (i !== undefined && Math.abs(i) >= BREAKER_OPEN_MAX_A) {
      return a === true
        ? { state: 'contradicted', why: `aux contact says open but ${current} = ${i} A` }
        : { state: 'pending', why: `${current} = ${i} A` };
    }
    if (i === undefined) return { state: 'pending', why: `${current} unknown` };
    // an unreadable aux contact is unknown (never evidence against a confirmed open, FS-01)
    if (a === undefined) return { state: 'pending', why: `${aux} unknown` };
    if (a !== true) return { state: 'pending', why: `${aux} = ${String(a)}` };
    return { state: 'confirmed' };
  };
}

function breakerClosed(aux: string): (f: FieldState) => FeedbackVerdict {
  return (f) => {
    const a = f.bool(aux);
    if (a === undefined) return { state: 'pending', why: `${aux} unknown` };
    return a === false ? { state: 'confirmed' } : { state: 'pending', why: `${aux} = ${String(a)}` };
  };
}

const none = (): FeedbackVerdict => ({ state: 'confirmed' });

export function resolveActuator(actuator: string, op: string): ActuatorOp {
  const rack = /^rack\.(\d+)\.(breaker|curtain|nozzle|spray)$/.exec(actuator);
  const mk = (point: string, value: boolean, fb: string[], check: ActuatorOp['check'], timeout: TimeoutKey | null, idempotent: boolean, oneShot = false): ActuatorOp =>
    ({ actuator, op, point, value, feedbackPoints: fb, check, timeout, idempotent, oneShot });
  if (rack) {
    const p = `rack.${rack[1]}`;
    switch (`${rack[2]}:${op}`) {
      case 'breaker:open': return mk(`${p}.breaker.open.cmd`, true, [`${p}.breaker.open`, `${p}.breaker.current`], breakerOpen(`${p}.breaker.open`, `${p}.breaker.current`), 'breakerMs', true);
      case 'breaker:close': return mk(`${p}.breaker.open.cmd`, false, [`${p}.breaker.open`], breakerClosed(`${p}.breaker.open`), 'breakerMs', true);
      case 'curtain:down': return mk(`${p}.curtain.down.cmd`, true, [`${p}.curtain.down`], boolIs(`${p}.curtain.down`, true), 'curtainMs', true);
      case 'curtain:up': return mk(`${p}.curtain.down.cmd`, false, [`${p}.curtain.down`], boolIs(`${p}.curtain.down`, false), 'curtainMs', true);
      case 'nozzle:release': return mk(`${p}.nozzle.release.cmd`, true, [`${p}.nozzle.pressure`], boolIs(`${p}.nozzle.pressure`, true), 'dischargeMs', false, true);
      case 'spray:on': return mk(`${p}.spray.cmd`, true, [`${p}.spray.flow`], boolIs(`${p}.spray.flow`, true), 'waterMs', true);
      case 'spray:off': return mk(`${p}.spray.cmd`, false, [`${p}.spray.flow`], boolIs(`${p}.spray.flow`, false), 'waterMs', true);
    }
    throw new UnknownActuatorError(actuator, op);
  }
  switch (`${actuator}:${op}`) {
    case 'room.upstream.breaker:open': return mk('room.upstream.breaker.open.cmd', true, ['room.upstream.breaker.open'], boolIs('room.upstream.breaker.open', true), 'breakerMs', true);
    case 'room.upstream.breaker:close': return mk('room.upstream.breaker.open.cmd', false, ['room.upstream.breaker.open'], breakerClosed('room.upstream.breaker.open'), 'breakerMs', true);
    case 'room.charge.inhibit:on': return mk('room.charge.inhibit.cmd', true, ['room.charge.inhibited'], boolIs('room.charge.inhibited', true), 'breakerMs', true);
    case 'room.charge.inhibit:off': return mk('room.charge.inhibit.cmd', false, ['room.charge.inhibited'], boolIs('room.charge.inhibited', false), 'breakerMs', true);
    case 'room.drain.pump:on': return mk('room.drain.pump.cmd', true, ['room.drain.pump.running'], boolIs('room.drain.pump.running', true), 'waterMs', true);
    case 'room.drain.pump:off': return mk('room.drain.pump.cmd', false, ['room.drain.pump.running'], boolIs('room.drain.pump.running', false), 'waterMs', true);
    case 'room.gas:release': return mk('room.gas.release.cmd', true, ['room.gas.pressure'], boolIs('room.gas.pressure', true), 'dischargeMs', false, true);
    case 'room.hvac:stop': return mk('room.hvac.stop.cmd', true, ['room.hvac.stopped'], boolIs('room.hvac.stopped', true), 'hvacMs', true);
    case 'room.dampers:close': return mk('room.dampers.close.cmd', true, ['room.dampers.closed'], boolIs('room.dampers.closed', true), 'hvacMs', true);
    case 'room.predischarge:on': return mk('room.predischarge.cmd', true, [], none, null, true);
    case 'room.predischarge:off': return mk('room.predischarge.cmd', false, [], none, null, true);
  }
  throw new UnknownActuatorError(actuator, op);
}

/** Has a one-shot release already happened, as the field shows it? (FS-31 step 4) */
export function dischargedInField(actuator: string, field: FieldState): boolean | undefined {
  if (actuator === 'room.gas') return field.bool('room.gas.pressure');
  const m = /^rack\.(\d+)\.nozzle$/.exec(actuator);
  if (m) return field.bool(`rack.${m[1]}.nozzle.pressure`);
  return undefined;
}
