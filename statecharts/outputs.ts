/**
 * Level-triggered outputs (§2.6): what the latched state requires, and the difference to the field.
 * The runtime calls `reconcile(requiredOutputs(ctx), field, inFlight)` on start, after RECOVERED,
 * after every transition that changes the stage, and on contradictions — a restored snapshot does
 * not replay entry actions (xstate#4627), so commands never come only from transitions.
 * All functions are pure.
 */
import { isolationOk } from './zone/stages.js';
import { actuatorKind, isOneShot, rackOf } from './zone/tx.js';
import type { Stage, ZoneContext } from './zone/types.js';
import type { VoterEnv } from './voter/types.js';

/** actuator id → op that must be in force (op vocabulary of agent/fire/actuators.ts). */
export type RequiredOutputs = Record<string, string>;

/**
 * Observed field state per actuator in the same vocabulary, undefined = unknown. A breaker shows
 * 'open' only with its aux contact open AND current < 1 A; a nozzle or the gas shows 'release'
 * when its pressure switch is made and 'ready' when it is explicitly not discharged.
 */
export type FieldView = Readonly<Record<string, string | undefined>>;

export interface ReconcileCommand {
  actuator: string;
  op: string;
  reason: string;
}

const GAS_ACTIVE = new Set(['predischarge', 'abortHeld', 'releasing', 'holding']);

export function requiredOutputs(c: ZoneContext): RequiredOutputs {
  const req: RequiredOutputs = {};
  // what the machine last commanded (level), one-shots apart
  for (const [a, rec] of Object.entries(c.actuators)) {
    if (isOneShot(a) || rec.status === 'inhibited') continue;
    req[a] = rec.op;
  }
  // the latched state forces the safe side whatever was commanded (FS-08: never re-close, never raise the curtain)
  if (c.latched.s0 !== null || c.stage >= 0) req['room.charge.inhibit'] = 'on';
  if (c.latched.s0 !== null) for (const r of c.affectedRacks) req[`rack.${r}.breaker`] = 'open';
  if (c.stage >= 1) {
    for (const r of c.racks) req[`rack.${r}.breaker`] = 'open';
    for (const r of c.affectedRacks) req[`rack.${r}.curtain`] = 'down';
  }
  for (const r of c.reenergizePending) req[`rack.${r}.breaker`] = 'open';
  if (c.stage >= 0 && c.actuators['room.upstream.breaker']?.op === 'open') req['room.upstream.breaker'] = 'open';
  const inhibited = (a: string) => c.actuators[a]?.status === 'inhibited';
  if (c.water.latched && c.water.stoppedAt === null && isolationOk(c)) {
    for (const r of c.affectedRacks) if (!inhibited(`rack.${r}.spray`)) req[`rack.${r}.spray`] = 'on';
    if (!inhibited('room.drain.pump')) req['room.drain.pump'] = 'on';
  }
  if (GAS_ACTIVE.has(c.gas.phase)) {
    req['room.predischarge'] = 'on';
    req['room.hvac'] = 'stop';
    req['room.dampers'] = 'close';
  }
  if (Object.keys(c.deadlines).some((n) => n.startsWith('nozzle:'))) req['room.predischarge'] = 'on';
  // one-shots: only what the machine decided to release and has not seen discharged yet — never a
  // confirmed one (a pressure switch that drops back after the discharge is not a reason to fire
  // again), never a failed or inhibited one
  for (const [a, rec] of Object.entries(c.actuators)) {
    if (!isOneShot(a) || rec.op !== 'release' || rec.status !== 'pending') continue;
    if (a === 'room.gas' && !(c.gas.phase === 'releasing' || c.gas.phase === 'holding')) continue;
    req[a] = 'release';
  }
  return req;
}

/**
 * Commands that bring the field to `required`: nothing for outputs already confirmed or in flight;
 * a one-shot (nozzle, gas) only when the field explicitly shows it not discharged ('ready') —
 * unknown is never a reason to discharge again (FS-31 step 4).
 */
export function reconcile(
  required: RequiredOutputs,
  field: FieldView,
  inFlight: Readonly<Record<string, string>> = {},
  /** racks whose outputs go first within each dependency rank (the affected racks, FS-09) */
  firstRacks: readonly number[] = [],
): ReconcileCommand[] {
  const out: ReconcileCommand[] = [];
  for (const [actuator, op] of Object.entries(required)) {
    if (inFlight[actuator] === op) continue;
    const f = field[actuator];
    if (f === op) continue;
    if (isOneShot(actuator)) {
      if (f !== 'ready') continue;
      out.push({ actuator, op, reason: 'one-shot not discharged in the field and still required' });
      continue;
    }
    out.push({ actuator, op, reason: f === undefined ? 'field state unknown' : `field shows ${f}` });
  }
  // dependency order (FS-09): isolation first, then curtains, then releases, then water; rack first
  // within it — the affected racks' breaker and curtain before the charge inhibit and the rest of the
  // zone's breakers, so a burning rack never waits behind the whole zone
  const first = new Set(firstRacks);
  const ORDER: Record<string, number> = {
    'upstream.breaker': 0, 'charge.inhibit': 2, breaker: 3, curtain: 4, predischarge: 5, hvac: 5, dampers: 5, nozzle: 6, spray: 7, 'drain.pump': 7, gas: 8,
  };
  const rank = (a: string) => {
    const k = actuatorKind(a);
    const r = rackOf(a);
    if ((k === 'breaker' || k === 'curtain') && r !== null && first.has(r)) return k === 'breaker' ? 0 : 1;
    return ORDER[k] ?? 9;
  };
  return out.sort((x, y) => rank(x.actuator) - rank(y.actuator));
}

export interface DerivedStage {
  stage: Stage;
  evidence: string[];
}

/** FS-31 step 7: with no usable snapshot, the stage the field proves (discharged, water, isolated). */
export function deriveStageFromField(field: FieldView): DerivedStage {
  const ev = (re: RegExp, state: string) => Object.entries(field).filter(([a, s]) => re.test(a) && s === state).map(([a]) => `${a} ${state}`);
  const gas = ev(/^room\.gas$/, 'release');
  if (gas.length) return { stage: 5, evidence: gas };
  const water = ev(/^rack\.\d+\.spray$/, 'on');
  if (water.length) return { stage: 4, evidence: water };
  const nozzles = ev(/^rack\.\d+\.nozzle$/, 'release');
  if (nozzles.length) return { stage: 3, evidence: nozzles };
  const patch = ev(/^rack\.\d+\.patch$/, 'fired');
  if (patch.length) return { stage: 2, evidence: patch };
  const isolated = [...ev(/^rack\.\d+\.curtain$/, 'down'), ...ev(/^rack\.\d+\.breaker$/, 'open'), ...ev(/^room\.upstream\.breaker$/, 'open')];
  if (isolated.length) return { stage: 1, evidence: isolated };
  return { stage: -1, evidence: [] };
}

/** What the voter must know from the zone: design occlusion of the camera (FS-26) and bypasses (FS-27). */
export function voterEnvFor(c: ZoneContext): VoterEnv {
  const curtain = Object.entries(c.actuators).some(([a, r]) => /curtain$/.test(a) && r.op === 'down');
  const water = c.water.latched && c.water.stoppedAt === null;
  const gas = c.gas.phase === 'releasing' || c.gas.phase === 'holding';
  return { cameraOccluded: curtain || water || gas, bypassed: Object.keys(c.bypasses) };
}

/**
 * FS-26 design suppression for the alarm model (`alarmStep(a, {type: 'SUPPRESS', on})`): once the
 * zone is isolated (latched stage ≥ 0 with its isolation commanded), its consequential UPS and BMS
 * alarms are suppressed by design and grouped under the stage alarm, for this zone only; the camera
 * trouble is suppressed while the camera is occluded by design.
 */
export function designSuppression(c: ZoneContext): { consequential: boolean; camera: boolean; groupUnder: string | null } {
  const isolated = c.stage >= 1 || (c.latched.s0 !== null && Object.entries(c.actuators).some(([a, r]) => /breaker$/.test(a) && r.op === 'open'));
  const top = c.stage >= 0 ? `stage${c.stage}` : null;
  return { consequential: isolated, camera: voterEnvFor(c).cameraOccluded === true, groupUnder: isolated ? top : null };
}
