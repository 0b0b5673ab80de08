/**
 * Pure helpers of the recovery algorithm (FIRE-SAFETY §2.8, FS-30, FS-31):
 * - which commands were in flight at the crash (an intent without its outcome);
 * - which stage the field itself shows (discharged, isolated, water flowing), used when no usable
 *   snapshot exists (step 7: "state reconstructed") and given to the machine in RECOVERED.
 */
import { BREAKER_OPEN_MAX_A } from './actuators.js';
import type { FieldState } from './field.js';
import type { JournalRecord } from './journal.js';

export interface InFlight { intentId: string; actuator: string; op: string; attempt: number; seq: number }

/** Intents (latest attempt per intent id) with no outcome after them. */
export function inFlightIntents(records: readonly JournalRecord[]): InFlight[] {
  const open = new Map<string, InFlight>();
  for (const r of records) {
    const id = typeof r.data.intentId === 'string' ? r.data.intentId : null;
    if (!id) continue;
    if (r.type === 'intent') open.set(id, { intentId: id, actuator: String(r.data.actuator), op: String(r.data.op), attempt: Number(r.data.attempt ?? 1), seq: r.seq });
    else if (r.type === 'outcome' || r.type === 'intent.recovered') open.delete(id);
  }
  return [...open.values()];
}

export interface FieldEvidence {
  /** -1 nothing, else the highest stage the field proves */
  stage: number;
  evidence: Record<string, string>;
}

/** The stage the field proves by itself. Unknown inputs prove nothing. */
export function deriveStageFromField(field: FieldState, racks: readonly number[]): FieldEvidence {
  const ev: Record<string, string> = {};
  let stage = -1;
  const raise = (s: number, key: string, what: string) => { ev[key] = what; if (s > stage) stage = s; };
  if (field.bool('room.gas.pressure') === true) raise(5, 'room.gas', 'discharged');
  if (field.bool('room.charge.inhibited') === true) raise(0, 'room.charge.inhibit', 'on');
  if (field.bool('room.upstream.breaker.open') === true) raise(1, 'room.upstream.breaker', 'open');
  for (const r of racks) {
    const p = `rack.${r}`;
    if (field.bool(`${p}.spray.flow`) === true) raise(4, `${p}.spray`, 'flowing');
    if (field.bool(`${p}.nozzle.pressure`) === true) raise(3, `${p}.nozzle`, 'discharged');
    if (field.bool(`${p}.patch.fired`) === true) raise(2, `${p}.patch`, 'fired');
    const i = field.num(`${p}.breaker.current`);
    if (field.bool(`${p}.breaker.open`) === true && i !== undefined && Math.abs(i) < BREAKER_OPEN_MAX_A) raise(1, `${p}.breaker`, 'open');
    if (field.bool(`${p}.curtain.down`) === true) raise(1, `${p}.curtain`, 'down');
  }
  return { stage, evidence: ev };
}

/**
 * The field inputs recovery reads (§2.8 step 4: feedback, pressure and flow switches, the patch).
 * Recovery waits until each has been read once, good or not (bounded by fieldReadTimeoutMs): a
 * driver that delivers its poll groups separately (the agent's Modbus driver: coils, then the
 * inputs) must not have the zone reconcile on the coils alone.
 */
export function recoveryInputs(racks: readonly number[]): string[] {
  const out = ['room.gas.pressure', 'room.charge.inhibited', 'room.upstream.breaker.open'];
  for (const r of racks) for (const s of ['breaker.open', 'breaker.current', 'curtain.down', 'nozzle.pressure', 'spray.flow', 'patch.fired']) out.push(`rack.${r}.${s}`);
  return out;
}

const ONE_SHOT = /^(rack\.\d+\.nozzle|room\.gas)$/;

/**
 * One-shot releases (nozzles, gas) attempted since the last reset (a transition back to stage −1):
 * whatever their outcome, they are never written again in this incident (FS-31 step 4); a failed
 * one goes to the machine's alternate path instead.
 */
export function attemptedOneShots(records: readonly JournalRecord[]): Map<string, { intentId: string; op: string }> {
  let from = 0;
  records.forEach((r, i) => { if (r.type === 'transition' && r.data.stage === -1 && Number(r.data.stageFrom) >= 0) from = i + 1; });
  const out = new Map<string, { intentId: string; op: string }>();
  for (const r of records.slice(from)) {
    if (r.type === 'intent' && ONE_SHOT.test(String(r.data.actuator))) out.set(String(r.data.actuator), { intentId: String(r.data.intentId), op: String(r.data.op) });
  }
  return out;
}
