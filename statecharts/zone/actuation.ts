/**
 * Command → feedback → fault (FS-12) on the machine side: feedback confirms an intent, a failure
 * (the runtime's ACTUATOR.FAILED after its one retry, or the machine's own backstop deadline)
 * raises a P1, takes the alternate path (upstream breaker for isolation) and counts towards
 * hand-over; a contradiction of a confirmed output raises a P1 and re-asserts it.
 */
import { armT3IfSettled, armT4IfFlowing, pushHandover, startGas, startWater } from './stages.js';
import { actuatorKind, backstopMs, confirms, isOneShot, type Tx } from './tx.js';
import type { ZoneContext } from './types.js';

export function recomputeIsolation(tx: Tx): void {
  const c = tx.ctx;
  const ok = (a: string) => c.actuators[a]?.op === 'open' && c.actuators[a]?.status === 'confirmed';
  const was = c.isolationConfirmed;
  c.isolationConfirmed = ok('room.upstream.breaker') || (c.racks.length > 0 && c.racks.every((r) => ok(`rack.${r}.breaker`)));
  if (c.isolationConfirmed && !was) {
    tx.note('isolated', {});
    tx.clear('isolationFailed');
    if (c.water.latched) startWater(tx);
    if (c.gas.phase === 'interlock') { c.gas.phase = 'none'; startGas(tx); }
  }
}

/** The current intent on `actuator` is confirmed (feedback, the runtime's verdict, or the field at recovery). */
export function confirmed(tx: Tx, actuator: string, detail: string): void {
  const c = tx.ctx;
  const rec = c.actuators[actuator];
  if (!rec || rec.status !== 'pending') return;
  c.actuators[actuator] = { ...rec, status: 'confirmed' };
  tx.cancel(`fb:${actuator}`);
  tx.fx.push({ type: 'journalOutcome', intentId: rec.intentId, actuator, op: rec.op, outcome: 'confirmed', at: tx.now, detail });
  tx.clear(`actuatorFailed:${actuator}`);
  const kind = actuatorKind(actuator);
  if (kind === 'breaker' || kind === 'upstream.breaker') recomputeIsolation(tx);
  if (kind === 'nozzle') { tx.alarm(`discharge:${actuator}`, 'alarm', 1, `${actuator} discharged`, { latched: true }); armT3IfSettled(tx); }
  if (kind === 'spray') armT4IfFlowing(tx);
  if (kind === 'gas') {
    c.gas.phase = 'holding';
    c.gas.releasedAt = tx.now;
    tx.alarm('gasDischarged', 'alarm', 1, `zone ${c.zone}: gas discharged — DO NOT OPEN, flammable/toxic atmosphere`, { latched: true });
    tx.notify('firedept', `zone ${c.zone}: gas discharged, do not open`);
    tx.arm('gasHold', tx.now + c.params.timings.gasHoldMs);
  }
}

/** A final failure of the current intent on `actuator`. */
export function failed(tx: Tx, actuator: string, detail: string): void {
  const c = tx.ctx;
  const rec = c.actuators[actuator];
  if (!rec || rec.status !== 'pending') return;
  c.actuators[actuator] = { ...rec, status: 'failed' };
  c.failures += 1;
  tx.cancel(`fb:${actuator}`);
  tx.fx.push({ type: 'journalOutcome', intentId: rec.intentId, actuator, op: rec.op, outcome: 'failed', at: tx.now, detail });
  tx.alarm(`actuatorFailed:${actuator}`, 'alarm', 1, `${actuator} ${rec.op} failed: ${detail}`, { latched: true, ...(rackNo(actuator)) });
  const kind = actuatorKind(actuator);
  if (kind === 'breaker' && rec.op === 'open') {
    tx.alarm('isolationFailed', 'alarm', 1, `zone ${c.zone}: isolation failed on ${actuator}; upstream breaker commanded`, { latched: true });
    tx.cmd('room.upstream.breaker', 'open', `alternate path for ${actuator}`);
  }
  if (kind === 'upstream.breaker' && rec.op === 'open' && !c.isolationConfirmed) {
    tx.alarm('isolationFailed', 'alarm', 1, `zone ${c.zone}: isolation failed, upstream breaker failed too`, { latched: true });
    if (c.stage >= 3) pushHandover(tx, 'unrecovered isolation failure at stage ≥ 3');
  }
  if (kind === 'nozzle') {
    tx.notify('oncall', `zone ${c.zone}: ${actuator} did not discharge — use the manual release`);
    armT3IfSettled(tx);
  }
  if (kind === 'gas') {
    c.gas.phase = 'failed';
    pushHandover(tx, 'gas release failed');
  }
  if (kind === 'spray' && c.stage >= 4) tx.note('waterFailed', { actuator });
}

const rackNo = (a: string): { rack?: number } => {
  const m = /^rack\.(\d+)\./.exec(a);
  return m ? { rack: Number(m[1]) } : {};
};

/** Raw field feedback (op vocabulary). */
export function onFeedback(tx: Tx, actuator: string, state: string, current?: number): void {
  const c = tx.ctx;
  c.field[actuator] = { state, at: tx.now, ...(current !== undefined ? { current } : {}) };
  const rec = c.actuators[actuator];
  if (!rec) return;
  const ok = confirms(actuator, rec.op, state, current);
  if (ok && rec.status === 'pending') { confirmed(tx, actuator, `field ${state}${current !== undefined ? `, ${current} A` : ''}`); return; }
  if (!ok && rec.status === 'confirmed' && !isOneShot(actuator) && state !== 'unknown') {
    contradicted(tx, actuator, `field shows ${state}${current !== undefined ? ` (${current} A)` : ''} after ${rec.op} was confirmed`);
  }
}

/** Confirmed output contradicted by the field: P1 and re-assert (idempotent outputs only). */
export function contradicted(tx: Tx, actuator: string, why: string): void {
  const c = tx.ctx;
  const rec = c.actuators[actuator];
  if (!rec || isOneShot(actuator)) return;
  tx.fx.push({ type: 'journalOutcome', intentId: rec.intentId, actuator, op: rec.op, outcome: 'contradicted', at: tx.now, detail: why });
  tx.alarm(`contradiction:${actuator}`, 'alarm', 1, `${actuator}: ${why}`, { latched: true, ...rackNo(actuator) });
  // a curtain raised by hand is reported, not fought (restoring it is a reset precondition, FS-23)
  if (actuatorKind(actuator) !== 'curtain') tx.cmd(actuator, rec.op, `re-assert after contradiction: ${why}`, { force: true });
  if ((actuatorKind(actuator) === 'breaker' || actuatorKind(actuator) === 'upstream.breaker') && rec.op === 'open') {
    recomputeAfterLoss(tx);
  }
}

function recomputeAfterLoss(tx: Tx): void {
  const c = tx.ctx;
  const ok = (a: string) => c.actuators[a]?.op === 'open' && c.actuators[a]?.status === 'confirmed';
  c.isolationConfirmed = ok('room.upstream.breaker') || c.racks.every((r) => ok(`rack.${r}.breaker`));
}

export function onRuntimeVerdict(tx: Tx, kind: 'confirmed' | 'failed', actuator: string, op: string, intentId: string, detail: string): void {
  const rec = tx.ctx.actuators[actuator];
  if (!rec || rec.intentId !== intentId || rec.op !== op) { tx.note('staleVerdict', { actuator, op, intentId, kind }); return; }
  if (kind === 'confirmed') confirmed(tx, actuator, detail);
  else failed(tx, actuator, detail);
}

/** Feedback backstops that fell due (the runtime did not report in time). */
export function expireFeedback(tx: Tx): void {
  for (const [name, at] of Object.entries(tx.ctx.deadlines)) {
    if (!name.startsWith('fb:') || at > tx.now) continue;
    failed(tx, name.slice(3), 'no feedback before the deadline');
  }
}

/**
 * After a restart (RECOVERED): every backstop of a command still pending restarts from now, so the
 * downtime of the process is never an actuator failure by itself (§2.8); a command the field does
 * not confirm still fails one full backstop after recovery.
 */
export function rearmBackstops(tx: Tx): void {
  const c = tx.ctx;
  for (const name of Object.keys(c.deadlines)) {
    if (!name.startsWith('fb:')) continue;
    const actuator = name.slice(3);
    const ms = backstopMs(c, actuator);
    if (c.actuators[actuator]?.status !== 'pending' || ms === null) { tx.cancel(name); continue; }
    tx.arm(name, tx.now + ms);
  }
}

export const anyFailed = (c: ZoneContext, kind: string) =>
  Object.entries(c.actuators).some(([a, r]) => actuatorKind(a) === kind && r.status === 'failed');
