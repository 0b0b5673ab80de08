/**
 * Stage work (§2.3), pure over a Tx: latching (FS-08), skip-ahead in dependency order (FS-09),
 * the nozzle, water and gas sequences (FS-10, FS-15..17, FS-20), and the phase functions the
 * machine's sub-states mirror.
 */
import type { Tx } from './tx.js';
import type { Stage, ZoneContext } from './types.js';

const STAGE_KEYS = ['s0', 's1', 's2', 's3', 's4', 's5'] as const;

export const isolationOk = (c: ZoneContext) => c.isolationConfirmed || c.isolationOverride !== null;
const automaticAllowed = (c: ZoneContext) => c.fdControl === null;

/** Is the fire "controlled" for an escalation check (FS-10): valid data, all below `limit`, falling. */
export function controlledBelow(c: ZoneContext, limit: number): boolean {
  const t = c.thermal;
  return t !== null && t.maxC !== null && t.maxC < limit && t.falling && t.minValidCount >= 1;
}

/** After a check found the fire controlled: escalate later only if it rises again or crosses `limit`. */
export function reheated(c: ZoneContext, limit: number): boolean {
  const t = c.thermal;
  return t === null || t.maxC === null || t.maxC >= limit || t.rising;
}

function latch(tx: Tx, n: Stage, racks: number[], cause: string, decisions?: unknown): void {
  const c = tx.ctx;
  const key = STAGE_KEYS[n as 0 | 1 | 2 | 3 | 4 | 5];
  if (c.latched[key] !== null) return;
  const from = c.stage;
  c.latched[key] = tx.now;
  if (n > c.stage) c.stage = n;
  const text = [
    'stage 0: off-gas, charge stopped and strings isolated',
    'stage 1: battery isolated, curtain down',
    'stage 2: extinguishing patch expected',
    'stage 3: rack nozzles discharge',
    'stage 4: continuous cooling water',
    'stage 5: gas release sequence',
  ][n]!;
  tx.fx.push({ type: 'journalNote', kind: 'stage', at: tx.now, data: { zone: c.zone, from, to: n, racks, cause, decisions: decisions ?? null } });
  tx.alarm(`stage${n}`, 'alarm', 1, `zone ${c.zone} ${text}`, { latched: true });
  if (n <= 1) {
    tx.notify('firedept', `zone ${c.zone}: ${text}`);
    tx.notify('oncall', `zone ${c.zone}: ${text}`);
  }
}

/**
 * Raise the zone to `stage` for `racks` (evidence), running every lower stage's actions first in
 * dependency order: isolation and curtain, then nozzles (not waiting for isolation), then water
 * and gas (waiting for isolation confirmed or an override). Never lowers anything.
 */
export function raise(tx: Tx, stage: Stage, racks: number[] | 'all' | null, cause: string, decisions?: unknown): void {
  const c = tx.ctx;
  if (stage < 0) return;
  const zoneRacks = racks === 'all' ? c.racks : racks === null ? [] : racks.filter((r) => c.racks.includes(r));
  for (const r of zoneRacks) {
    c.rackStage[r] = Math.max(c.rackStage[r] ?? -1, Math.min(stage, 3));
    if (!c.affectedRacks.includes(r)) c.affectedRacks.push(r);
  }
  c.affectedRacks.sort((a, b) => a - b);
  if (stage === 0 || c.latched.s0 !== null) {
    latch(tx, 0, zoneRacks, cause, decisions);
    if (automaticAllowed(c) && stage === 0) {
      tx.cmd('room.charge.inhibit', 'on', cause);
      for (const r of zoneRacks) tx.cmd(`rack.${r}.breaker`, 'open', cause);
    }
  }
  for (let n = 1; n <= stage; n++) latch(tx, n as Stage, zoneRacks, cause, decisions);
  if (stage >= 3 && !c.crossZoned && cause.startsWith('VOTE.')) c.crossZoned = crossZonedBy(decisions);
  if (!automaticAllowed(c)) return;
  if (c.stage >= 1) {
    // rack first (FS-09, FS-12 latency): the affected racks' isolation and curtains, then the
    // charge inhibit, then the rest of the zone — a burning rack never waits behind ~100 others
    for (const r of c.affectedRacks) tx.cmd(`rack.${r}.breaker`, 'open', cause);
    for (const r of c.affectedRacks) tx.cmd(`rack.${r}.curtain`, 'down', cause);
    tx.cmd('room.charge.inhibit', 'on', cause);
    for (const r of c.racks) tx.cmd(`rack.${r}.breaker`, 'open', cause);
  }
  if (c.stage >= 3) armNozzles(tx);
  if (c.stage >= 4) startWater(tx);
  if (c.stage >= 5 && c.gas.phase === 'none') startGas(tx);
}

/**
 * FS-15: two independent detection inputs. The voter's decision records say how stage 3 was
 * voted; a 1oo1 vote needs smoke or off-gas beside it. An event without decision records (a test
 * harness) is taken as the voter's 2ooN; escalations and recovery never set it.
 */
function crossZonedBy(decisions: unknown): boolean {
  if (!Array.isArray(decisions) || decisions.length === 0) return true;
  return decisions.some((d: { rule?: string; detectors?: { smoke?: boolean; offgas?: boolean } }) =>
    d.rule === '2ooN' || d.detectors?.smoke === true || d.detectors?.offgas === true);
}

/** Stage 3: a pre-discharge countdown per rack with stage-3 evidence (FS-09: no isolation wait). */
export function armNozzles(tx: Tx): void {
  const c = tx.ctx;
  let any = false;
  for (const r of c.affectedRacks) {
    if ((c.rackStage[r] ?? -1) < 3) continue;
    if (c.actuators[`rack.${r}.nozzle`] || c.deadlines[`nozzle:${r}`] !== undefined) continue;
    tx.arm(`nozzle:${r}`, tx.now + c.params.timings.nozzlePreDischargeMs);
    any = true;
  }
  if (any) tx.cmd('room.predischarge', 'on', 'nozzle pre-discharge');
}

/** Release the nozzles whose countdown is due, unless abort is held or the zone is locked off. */
export function releaseDueNozzles(tx: Tx): void {
  const c = tx.ctx;
  if (!automaticAllowed(c) || c.abortHeld) return;
  for (const [name, at] of Object.entries(c.deadlines)) {
    if (!name.startsWith('nozzle:') || at > tx.now) continue;
    const r = Number(name.slice('nozzle:'.length));
    tx.cancel(name);
    tx.cmd(`rack.${r}.nozzle`, 'release', 'stage 3 nozzle release');
    tx.ctx.field[`rack.${r}.nozzle`] ??= { state: 'unknown', at: tx.now };
  }
  armT3IfSettled(tx);
}

/** T3 runs from the nozzles' confirmation or failure (FS-10). */
export function armT3IfSettled(tx: Tx): void {
  const c = tx.ctx;
  if (c.stage < 3 || c.deadlines.t3 !== undefined || c.checked.t3 || c.latched.s4 !== null) return;
  if (nozzlePhase(c) !== 'settled') return;
  tx.arm('t3', tx.now + c.params.timings.t3Ms);
}

export function nozzlePhase(c: ZoneContext): 'preDischarge' | 'releasing' | 'settled' {
  const racks = c.affectedRacks.filter((r) => (c.rackStage[r] ?? -1) >= 3);
  const recs = racks.map((r) => c.actuators[`rack.${r}.nozzle`]);
  if (racks.length === 0 || recs.some((x) => x === undefined)) return 'preDischarge';
  if (recs.some((x) => x!.status === 'pending')) return 'releasing';
  return 'settled';
}

/** Stage 4: water latches on; it starts only with isolation confirmed or overridden (FS-09, Q4). */
export function startWater(tx: Tx): void {
  const c = tx.ctx;
  if (!c.water.latched) {
    c.water.latched = true;
  }
  if (c.water.stoppedAt !== null || !automaticAllowed(c)) return;
  if (!isolationOk(c)) {
    tx.alarm('waterInterlock', 'supervisory', 1, `zone ${c.zone}: water waits for confirmed isolation or an authorized override`, { latched: true });
    return;
  }
  tx.clear('waterInterlock');
  for (const r of c.affectedRacks) tx.cmd(`rack.${r}.spray`, 'on', 'stage 4 cooling water');
  tx.cmd('room.drain.pump', 'on', 'stage 4 drainage');
}

export function waterPhase(c: ZoneContext): 'interlock' | 'starting' | 'flowing' | 'failed' | 'stopped' {
  if (c.water.stoppedAt !== null) return 'stopped';
  const sprays = c.affectedRacks.map((r) => c.actuators[`rack.${r}.spray`]);
  if (sprays.some((s) => s?.status === 'failed' || s?.status === 'inhibited')) return 'failed';
  if (sprays.length === 0 || sprays.some((s) => s === undefined || s.op !== 'on')) return 'interlock';
  if (sprays.every((s) => s!.status === 'confirmed')) return 'flowing';
  return 'starting';
}

/** T4 runs from confirmed flow (FS-10). */
export function armT4IfFlowing(tx: Tx): void {
  const c = tx.ctx;
  if (c.stage !== 4 || c.deadlines.t4 !== undefined || c.checked.t4 || waterPhase(c) !== 'flowing') return;
  tx.arm('t4', tx.now + c.params.timings.t4Ms);
}

/** Stage 5: the gas sequence (FS-15..17). `manual` = a manual release station or console. */
export function startGas(tx: Tx, manual?: string): void {
  const c = tx.ctx;
  if (c.gas.phase === 'releasing' || c.gas.phase === 'holding') return;
  if (manual) {
    c.gas.manual = manual;
    tx.cancel('gasRelease');
    tx.cmd('room.predischarge', 'on', 'gas manual release');
    tx.cmd('room.hvac', 'stop', 'gas manual release');
    tx.cmd('room.dampers', 'close', 'gas manual release');
    c.gas.phase = 'releasing';
    tx.cmd('room.gas', 'release', `manual release (${manual})`);
    tx.note('manualRelease', { source: manual });
    return;
  }
  if (!automaticAllowed(c)) return;
  if (!c.params.gasEnabled) {
    c.gas.phase = 'disabled';
    tx.alarm('gasDisabled', 'supervisory', 1, `zone ${c.zone}: gas disabled by configuration; hand-over`, { latched: true });
    if (!c.handoverReasons.includes('gas disabled')) c.handoverReasons.push('gas disabled');
    return;
  }
  if (c.lockoff.on) {
    c.gas.phase = 'inhibited';
    tx.alarm('gasInhibited', 'alarm', 1, `zone ${c.zone}: gas release inhibited by lock-off${c.lockoff.permitId ? ` (permit ${c.lockoff.permitId})` : ''}`, { latched: true });
    return;
  }
  if (!c.crossZoned) {
    tx.alarm('gasCrossZone', 'supervisory', 1, `zone ${c.zone}: gas waits for a second independent detection input (cross-zoning)`, { latched: true });
    return;
  }
  tx.clear('gasCrossZone');
  if (!isolationOk(c)) {
    c.gas.phase = 'interlock';
    tx.alarm('gasInterlock', 'supervisory', 1, `zone ${c.zone}: gas waits for confirmed isolation or an authorized override`, { latched: true });
    return;
  }
  tx.clear('gasInterlock');
  c.gas.phase = c.abortHeld ? 'abortHeld' : 'predischarge';
  tx.cmd('room.predischarge', 'on', 'gas pre-discharge', { force: true });
  tx.cmd('room.hvac', 'stop', 'gas close-up');
  tx.cmd('room.dampers', 'close', 'gas close-up');
  if (!c.abortHeld) tx.arm('gasRelease', tx.now + c.params.timings.gasDelayMs);
}

/** D5 elapsed: release, even if the close-up is unconfirmed (that is a P1, FS-15 step 4). */
export function releaseGasIfDue(tx: Tx): void {
  const c = tx.ctx;
  const at = c.deadlines.gasRelease;
  if (c.gas.phase !== 'predischarge' || at === undefined || at > tx.now) return;
  if (c.abortHeld || c.lockoff.on || !automaticAllowed(c)) return;
  tx.cancel('gasRelease');
  for (const a of ['room.hvac', 'room.dampers']) {
    if (c.actuators[a]?.status !== 'confirmed') tx.alarm(`closeUp:${a}`, 'alarm', 1, `zone ${c.zone}: ${a} not confirmed at gas release (agent concentration may be low)`, { latched: true });
  }
  c.gas.phase = 'releasing';
  tx.cmd('room.gas', 'release', 'stage 5 gas release');
}

/** The agent hold ended: hand over if the fire is not controlled (FS-10, FS-21 trigger 1). */
export function checkHold(tx: Tx): void {
  const c = tx.ctx;
  const at = c.deadlines.gasHold;
  if (at === undefined || at > tx.now) {
    if (c.checked.hold && reheated(c, c.params.thresholds.stage1)) pushHandover(tx, 'gas released and not controlled after the hold time');
    return;
  }
  tx.cancel('gasHold');
  c.checked.hold = true;
  if (!controlledBelow(c, c.params.thresholds.stage1)) pushHandover(tx, 'gas released and not controlled after the hold time');
  else tx.note('holdEndControlled', { maxC: c.thermal?.maxC ?? null });
}

export function pushHandover(tx: Tx, reason: string): void {
  const c = tx.ctx;
  // one automatic hand-over per incident: after FD.RELEASE the same condition does not hand over again
  if (c.fdControl !== null || c.alarms.fdControl !== undefined || c.handoverReasons.includes(reason)) return;
  c.handoverReasons.push(reason);
  tx.note('handoverTrigger', { reason });
}
