/**
 * Handlers of non-human inputs, pure over a Tx: time (TICK/DEADLINE), thermal status, channel
 * troubles, patch, abort, lock-off, tank and LFL, and recovery (FS-31).
 */
import { confirmed, expireFeedback, rearmBackstops, recomputeIsolation } from './actuation.js';
import { checkHold, raise, releaseDueNozzles, releaseGasIfDue, startGas, armT3IfSettled, armT4IfFlowing } from './stages.js';
import { actuatorKind, confirms, type Tx } from './tx.js';
import { unshelve } from './shelve.js';
import { offDelayOver } from './chatter.js';
import type { IoSource, Stage, ZoneContext, ZoneEvent } from './types.js';

/** Every deadline that fell due by `tx.now` (TICK, DEADLINE or any later event). */
export function timers(tx: Tx): void {
  const c = tx.ctx;
  expireFeedback(tx);
  releaseDueNozzles(tx);
  releaseGasIfDue(tx);
  checkHold(tx);
  patchDue(tx);
  for (const [name, at] of Object.entries(c.deadlines)) {
    if (at > tx.now) continue;
    if (name.startsWith('shelve:')) { unshelve(tx, name.slice('shelve:'.length)); continue; }
    if (name.startsWith('ioGrace:')) { ioGraceOver(tx, name.slice('ioGrace:'.length)); continue; }
    if (name.startsWith('alarmOff:')) { offDelayOver(tx, name.slice('alarmOff:'.length)); continue; }
    if (name.startsWith('bypass:')) {
      const key = name.slice('bypass:'.length);
      const b = c.bypasses[key];
      delete c.bypasses[key];
      tx.cancel(name);
      tx.clear(`bypass:${key}`);
      tx.note('bypassExpired', { key, permitId: b?.permitId ?? null });
    }
  }
}

export function onStatus(tx: Tx, ev: Extract<ZoneEvent, { type: 'VOTE.STATUS' }>): void {
  const c = tx.ctx;
  c.thermal = ev.status;
  c.watchRacks = ev.status.watchRacks;
  if (!c.crossZoned && c.stage >= 3 && (ev.status.smoke || ev.status.offgas)) {
    c.crossZoned = true;
    if (c.stage >= 5 && c.gas.phase === 'none') startGas(tx);
  }
  // FS-11: voted ≥ 75 °C for 30 s with the patch not fired → supervisory "patch did not operate"
  const p = c.params;
  for (const r of c.racks) {
    const name = `patchHot:${r}`;
    const v = ev.status.hot[String(r)];
    const hot = v !== undefined && v >= p.thresholds.patchNoOperate && !c.patchFired[r];
    if (hot && c.deadlines[name] === undefined && !c.alarms[`patchNoOperate:${r}`]?.active) tx.arm(name, tx.now + p.timings.patchNoOperateMs);
    else if (!hot) tx.cancel(name);
  }
  patchDue(tx);
}

function patchDue(tx: Tx): void {
  const c = tx.ctx;
  for (const r of c.racks) {
    const name = `patchHot:${r}`;
    const at = c.deadlines[name];
    if (at === undefined || at > tx.now) continue;
    tx.cancel(name);
    const v = c.thermal?.hot[String(r)];
    if (v !== undefined && v >= c.params.thresholds.patchNoOperate && !c.patchFired[r]) {
      tx.alarm(`patchNoOperate:${r}`, 'supervisory', 2, `rack ${r}: patch did not operate (voted ${v} °C)`, { rack: r, latched: true });
    }
  }
}

/** After a device comes back, its channels have this long to be read good before their troubles are annunciated. */
export const IO_GRACE_MS = 10_000;

/** End of the grace after a device came back: a channel trouble still standing is annunciated now. */
function ioGraceOver(tx: Tx, source: string): void {
  tx.cancel(`ioGrace:${source}`);
  for (const [id, a] of Object.entries(tx.ctx.alarms)) {
    if (a.suppressedBy !== `io:${source}` || !a.active) continue;
    delete tx.ctx.alarms[id];
    tx.alarm(id, a.class, a.priority, a.text, { latched: a.latched, ...(a.rack !== undefined ? { rack: a.rack } : {}) });
  }
}

/** Which device a channel is read from. */
export function sourceOf(channel: string): IoSource {
  return channel === 'bms' ? 'bms' : channel === 'camera' ? 'camera' : 'fireIo';
}

/** FS-26: the device trouble that stands for this channel's trouble while its device is down. */
function suppressor(c: ZoneContext, channel: string): { suppressedBy?: string } {
  const src = sourceOf(channel);
  return c.ioDown?.[src] !== undefined || c.deadlines[`ioGrace:${src}`] !== undefined ? { suppressedBy: `io:${src}` } : {};
}

/** FS-26: one trouble for a device that stopped answering, instead of one per channel it feeds. */
export function onIoLink(tx: Tx, ev: Extract<ZoneEvent, { type: 'IO.LINK' }>): void {
  const c = tx.ctx;
  const down = { ...(c.ioDown ?? {}) };
  if (ev.up) {
    delete down[ev.source];
    c.ioDown = down;
    tx.clear(`io:${ev.source}`);
    // channels that are still faulty once the device has been read again are annunciated then
    tx.arm(`ioGrace:${ev.source}`, tx.now + IO_GRACE_MS);
    return;
  }
  tx.cancel(`ioGrace:${ev.source}`);
  down[ev.source] = ev.reason ?? 'comm_failure';
  c.ioDown = down;
  const what = ev.source === 'fireIo' ? 'fire detection and suppression I/O' : ev.source === 'bms' ? 'BMS' : 'thermal camera';
  tx.alarm(`io:${ev.source}`, 'trouble', 2, `zone ${c.zone}: ${what} ${ev.device} not answering (${down[ev.source]}) — its channel troubles are grouped here`);
}

export function onChannel(tx: Tx, ev: Extract<ZoneEvent, { type: 'CHANNEL.FAULT' | 'CHANNEL.DEGRADED' | 'CHANNEL.RESTORED' }>): void {
  const c = tx.ctx;
  if (ev.type === 'CHANNEL.FAULT') {
    const id = `channel:${ev.rack}/${ev.channel}`;
    const text = `rack ${ev.rack} ${ev.channel}: ${ev.reason}`;
    // a trouble whose reason changed (stale → suspect_stuck, stale → bad) is a new condition: the
    // operator must see the present reason, not the first one (at once, even through a chatter
    // off-delay, and annunciated even if the first one is not acknowledged yet)
    const renew = c.alarms[id]?.active === true && c.alarms[id]!.text !== text;
    if (renew) tx.clear(id, { immediate: true });
    tx.alarm(id, 'trouble', 3, text, { rack: ev.rack, renew, ...suppressor(c, ev.channel) });
  } else if (ev.type === 'CHANNEL.DEGRADED') {
    if (ev.validCount === 0) {
      tx.alarm(`impairment:${ev.rack}`, 'supervisory', 1, `zone ${c.zone} impaired: rack ${ev.rack} has no valid detection channel — fire watch required`, { rack: ev.rack });
      tx.notify('firedept', `zone ${c.zone}: detection impaired on rack ${ev.rack}, fire watch required`);
    } else {
      tx.clear(`impairment:${ev.rack}`);
      tx.alarm(`degraded:${ev.rack}`, 'supervisory', 2, `rack ${ev.rack}: degraded voting (1oo1)`, { rack: ev.rack, ...(c.ioDown && Object.keys(c.ioDown).length ? { suppressedBy: `io:${Object.keys(c.ioDown)[0]}` } : {}) });
    }
  } else if (ev.channel === 'voting') {
    tx.clear(`impairment:${ev.rack}`);
    tx.clear(`degraded:${ev.rack}`);
  } else {
    tx.clear(`channel:${ev.rack}/${ev.channel}`);
  }
}

export function onPatch(tx: Tx, ev: Extract<ZoneEvent, { type: 'PATCH' }>): void {
  const c = tx.ctx;
  if (ev.fault) { tx.alarm(`channel:${ev.rack}/patch`, 'trouble', 3, `rack ${ev.rack}: patch input open-circuit or missing`, { rack: ev.rack, ...suppressor(c, 'patch') }); return; }
  tx.clear(`channel:${ev.rack}/patch`);
  const was = c.patchFired[ev.rack] === true;
  c.patchFired[ev.rack] = ev.fired;
  if (ev.fired && !was) {
    tx.note('patchFired', { rack: ev.rack });
    tx.alarm(`patch:${ev.rack}`, 'supervisory', 2, `rack ${ev.rack}: patch operated — needs replacement`, { rack: ev.rack, latched: true });
    tx.clear(`patchNoOperate:${ev.rack}`);
    tx.cancel(`patchHot:${ev.rack}`);
  } else if (!ev.fired && was) {
    tx.note('patchReplaced', { rack: ev.rack });
    tx.clear(`patch:${ev.rack}`);
  }
}

export function onAbort(tx: Tx, ev: Extract<ZoneEvent, { type: 'ABORT' }>): void {
  const c = tx.ctx;
  if (ev.circuitOk === false) tx.alarm('abortCircuit', 'trouble', 2, `zone ${c.zone}: abort circuit fault`);
  else if (ev.circuitOk === true) tx.clear('abortCircuit');
  if (ev.held === c.abortHeld) return;
  c.abortHeld = ev.held;
  const p = c.params.timings;
  if (ev.held) {
    if (c.gas.phase === 'predischarge') {
      c.gas.phase = 'abortHeld';
      tx.cancel('gasRelease');
    }
    tx.note(c.gas.phase === 'releasing' || c.gas.phase === 'holding' ? 'abortAfterRelease' : 'abortHeld', { phase: c.gas.phase });
    return;
  }
  tx.note('abortReleased', { phase: c.gas.phase });
  if (c.gas.phase === 'abortHeld') {
    c.gas.phase = 'predischarge';
    tx.arm('gasRelease', tx.now + (p.abortRestart === 'nyc' ? p.nycAbortDelayMs : p.gasDelayMs));
  }
  // nozzle countdowns held by the abort restart in full
  for (const name of Object.keys(c.deadlines)) {
    if (name.startsWith('nozzle:') && c.deadlines[name]! <= tx.now) tx.arm(name, tx.now + p.nozzlePreDischargeMs);
  }
}

export function onLockoff(tx: Tx, ev: Extract<ZoneEvent, { type: 'LOCKOFF' }>): void {
  const c = tx.ctx;
  c.lockoff = { on: ev.on, permitId: ev.permitId ?? null };
  if (ev.on) {
    tx.alarm('lockoff', 'supervisory', 1, `suppression impaired (gas inoperative), zone ${c.zone}: lock-off${ev.permitId ? ` permit ${ev.permitId}` : ''} — fire watch required`);
    if (c.gas.phase === 'predischarge' || c.gas.phase === 'abortHeld' || c.gas.phase === 'interlock') {
      tx.cancel('gasRelease');
      c.gas.phase = 'inhibited';
      tx.alarm('gasInhibited', 'alarm', 1, `zone ${c.zone}: gas release inhibited by lock-off`, { latched: true });
    }
    tx.note(c.gas.phase === 'releasing' || c.gas.phase === 'holding' ? 'lockoffAfterRelease' : 'lockoff', { permitId: ev.permitId ?? null });
  } else {
    tx.clear('lockoff');
    tx.note('lockoffCleared', {});
    if (c.gas.phase === 'inhibited') { c.gas.phase = 'none'; startGas(tx); }
  }
}

export function onTank(tx: Tx, pct: number): void {
  const c = tx.ctx;
  c.tankPct = pct;
  if (pct >= 95) {
    tx.alarm('tankFull', 'alarm', 1, `zone ${c.zone}: drain tank ${pct}% — decide: hand-over recommended (water is not stopped automatically)`);
    tx.notify('firedept', `zone ${c.zone}: drain tank ${pct}%, hand-over recommended`);
  } else tx.clear('tankFull');
  if (pct >= 80) tx.alarm('tankHigh', 'supervisory', 2, `zone ${c.zone}: drain tank ${pct}%`);
  else tx.clear('tankHigh');
}

/** FS-13 readiness: a gas store below 90 % is a supervisory impairment; below 50 % the gas is inoperative. */
export function onGasStore(tx: Tx, pct: number): void {
  const c = tx.ctx;
  if (pct < 90) {
    const dead = pct < 50;
    // re-annunciate when it crosses into "inoperative"
    if (dead && c.alarms.gasStoreLow?.active && c.alarms.gasStoreLow.priority !== 1) tx.clear('gasStoreLow', { immediate: true });
    tx.alarm('gasStoreLow', 'supervisory', dead ? 1 : 2, `gas store low, zone ${c.zone}: ${Math.round(pct)} % of nominal${dead ? ' — gas inoperative' : ''}; refill or designate the reserve`);
  } else tx.clear('gasStoreLow');
}

/** FS-13/FS-20: cooling-water supply lost → supervisory "water impaired"; with water latched on, the fire department is told. */
export function onWaterSupply(tx: Tx, ok: boolean): void {
  const c = tx.ctx;
  if (ok) { tx.clear('waterSupply'); return; }
  const was = c.alarms.waterSupply?.active === true;
  tx.alarm('waterSupply', 'supervisory', 1, `water impaired, zone ${c.zone}: cooling-water supply lost${c.water.latched ? ' while water is demanded — hand-over recommended' : ''}`);
  if (!was && c.water.latched && c.water.stoppedAt === null) tx.notify('firedept', `zone ${c.zone}: cooling-water supply lost during the incident, hand-over recommended`);
}

export function onLfl(tx: Tx, pct: number): void {
  const c = tx.ctx;
  c.lflPct = pct;
  if (pct >= 25) tx.alarm('explosionRisk', 'alarm', 1, `zone ${c.zone}: ${pct}% LFL — DO NOT OPEN`, { latched: true });
}

const ACTIVE_STATES: Record<string, string> = { breaker: 'open', 'upstream.breaker': 'open', curtain: 'down', nozzle: 'release', spray: 'on', gas: 'release', 'charge.inhibit': 'on', 'drain.pump': 'on', hvac: 'stop', dampers: 'close' };

/**
 * RECOVERED (FS-31): re-arm the feedback backstops from now (the downtime is no actuator failure),
 * import the field — a pending command the field shows done is confirmed exactly as by feedback, so
 * isolation, T3, T4 and the gas hold follow from it — raise to the stage the field shows (never
 * lower), give a resumed countdown at least the minimum warning and re-sound it, raise the restart
 * trouble. One-shots are never armed for racks without evidence; the runtime's reconcile
 * re-asserts the rest.
 */
export function onRecovered(tx: Tx, ev: Extract<ZoneEvent, { type: 'RECOVERED' }>): void {
  const c = tx.ctx;
  const field = ev.fieldState ?? {};
  const evidenceRacks = new Set<number>();
  rearmBackstops(tx);
  for (const [actuator, state] of Object.entries(field)) {
    c.field[actuator] = { state, at: tx.now };
    const kind = actuatorKind(actuator);
    const rec = c.actuators[actuator];
    if (rec?.status === 'pending' && confirms(actuator, rec.op, state)) {
      confirmed(tx, actuator, `in-flight command recovered: confirmed by the field (${state})`);
    }
    if (ACTIVE_STATES[kind] !== state) continue;
    if (!rec || rec.op !== state) {
      c.actuators[actuator] = { op: state, intentId: `${c.zone}-recovered-${++c.seq}`, status: 'confirmed', issuedAt: tx.now, cause: 'found in field at recovery' };
    }
    const m = /^rack\.(\d+)\.(curtain|nozzle|spray)$/.exec(actuator);
    if (m) {
      const r = Number(m[1]);
      evidenceRacks.add(r);
      if (m[2] === 'nozzle') c.rackStage[r] = Math.max(c.rackStage[r] ?? -1, 3);
    }
    if (kind === 'gas') { c.gas.phase = 'holding'; c.gas.releasedAt ??= tx.now; if (c.deadlines.gasHold === undefined) tx.arm('gasHold', tx.now + c.params.timings.gasHoldMs); }
  }
  // isolation found in the field (or confirmed above) releases water and gas waiting for it (FS-09)
  recomputeIsolation(tx);
  const derived = ev.derivedStage;
  if (derived > c.stage) {
    const racks = evidenceRacks.size ? [...evidenceRacks] : [...c.racks];
    // evidence without one-shots: rack stages above 2 come only from discharged nozzles
    for (const r of racks) {
      c.rackStage[r] = Math.max(c.rackStage[r] ?? -1, Math.min(derived, 2));
      if (!c.affectedRacks.includes(r)) c.affectedRacks.push(r);
    }
    c.affectedRacks.sort((a, b) => a - b);
    raise(tx, derived, null, 'recovered from field');
  } else if (c.stage >= 0) {
    raise(tx, c.stage, null, 'recovery re-assert');
  }
  // FS-31 step 5: a resumed countdown gives at least the minimum warning, and re-sounds
  const minAt = tx.now + c.params.timings.minCountdownWarningMs;
  let countdown = false;
  for (const [name, at] of Object.entries(c.deadlines)) {
    if (name === 'gasRelease' || name.startsWith('nozzle:')) {
      countdown = true;
      if (at < minAt) tx.arm(name, minAt);
    }
  }
  if (countdown) tx.cmd('room.predischarge', 'on', 'countdown resumed after restart', { force: true });
  armT3IfSettled(tx);
  armT4IfFlowing(tx);
  if (ev.restarted) {
    if (c.stage >= 0) tx.alarm('restarted', 'trouble', 1, `zone ${c.zone}: agent restarted during incident (${tx.stageName()})`);
    else tx.alarm('restarted', 'trouble', 4, `zone ${c.zone}: agent restarted`);
  }
  if (ev.reconstructed) tx.alarm('reconstructed', 'alarm', 1, `zone ${c.zone}: state reconstructed from the field (${tx.stageName()})`, { latched: true });
  tx.note('recovered', { derivedStage: derived, stage: c.stage, reconstructed: ev.reconstructed });
}

export const stageOf = (n: number): Stage => Math.max(-1, Math.min(5, n)) as Stage;
