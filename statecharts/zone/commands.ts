/**
 * Human commands (already verified for signature and freshness by the runtime, FS-32): role,
 * authorization and precondition checks (`rejection` → reason or null) and their effects.
 * Every command answers with a `commandResult` effect and is journaled.
 */
import { recomputeIsolation } from './actuation.js';
import { startGas, startWater } from './stages.js';
import { SHELVE_MAX_MS, unshelve } from './shelve.js';
import type { Tx } from './tx.js';
import type { HumanEvent, Role, ZoneContext } from './types.js';

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2, firedept: 1 };
const SENSOR_CHANNELS = new Set(['probeA', 'probeB', 'bms', 'camera', 'smoke', 'offgas', 'patch']);

type H<T extends HumanEvent['type']> = Extract<HumanEvent, { type: T }>;

const role = (ev: HumanEvent): Role | undefined => ev.actors[0]?.role;
const atLeast = (ev: HumanEvent, r: 'operator' | 'admin') => {
  const a = role(ev);
  return a !== undefined && a !== 'firedept' && RANK[a] >= RANK[r];
};
const isFd = (ev: HumanEvent) => role(ev) === 'firedept';
const noReason = (ev: HumanEvent) => !ev.reason || ev.reason.trim() === '';
/** FS-21: under fire-department control, commands that act on the plant come from the fire department only. */
const fdOnly = (what: string) => `the zone is under fire-department control: only the fire department (firedept role) may ${what}`;

/**
 * A manual release from the console (a command, with actors; the field station has none and is
 * never refused, FS-14): operator or above, or the fire department; under fire-department control
 * only the fire department (FS-21).
 */
export function manualReleaseRejection(c: ZoneContext, ev: { actors?: { user: string; role: Role }[] }): string | null {
  const r = ev.actors?.[0]?.role;
  if (r === undefined) return null;
  if (c.fdControl && r !== 'firedept') return fdOnly('release the gas');
  if (r !== 'firedept' && RANK[r] < RANK.operator) return 'manual release needs the operator, admin or firedept role';
  return null;
}

/** FS-20 stop criteria: ≥ 30 min cool and quiet, with positive evidence (≥ 2 valid per rack). */
export function waterStopCriteria(c: ZoneContext, now: number): string | null {
  const t = c.thermal;
  if (!t || t.minValidCount < 2) return 'no positive evidence: fewer than 2 valid channels (no data is not cool)';
  if (t.coolSince === null) return `criteria not met: every valid channel must be < ${c.params.thresholds.waterStopBelow} °C and non-rising, with no smoke or off-gas`;
  const quiet = now - t.coolSince;
  if (quiet < c.params.timings.waterStopQuietMs) return `criteria not met: cool for ${Math.floor(quiet / 1000)} s of the required ${c.params.timings.waterStopQuietMs / 1000} s`;
  return null;
}

function resetRejection(c: ZoneContext, ev: H<'RESET'>): string | null {
  if (c.fdControl) return 'the zone is under fire-department control: FD.RELEASE first';
  if (c.stage < 0 && !Object.values(c.alarms).some((a) => a.latched)) return 'nothing latched to reset';
  if (c.deadlines.postWatch !== undefined) return 'post-incident watch running: WATCH.END first';
  if (!atLeast(ev, 'admin')) return 'reset needs the admin role';
  if (noReason(ev)) return 'a reason is required';
  if (c.stage >= 3) {
    const users = new Set(ev.actors.filter((a) => a.role === 'admin' || a.role === 'operator').map((a) => a.user));
    if (users.size < 2) return 'stage ≥ 3: reset needs two distinct persons (operator or admin)';
  }
  const t = c.thermal;
  if (!t || t.maxC === null || t.minValidCount < 1) return 'inputs not proven normal: no valid data';
  if (t.maxC >= c.params.thresholds.watch) return `input not normal: ${t.maxC} °C`;
  if (t.smoke || t.offgas || t.roomAlarm) return 'input not normal: a detector is active';
  if (c.abortHeld) return 'input not normal: abort held';
  const unacked = Object.entries(c.alarms).filter(([, a]) => !a.acked).map(([id]) => id);
  if (unacked.length) return `unacknowledged alarm: ${unacked.join(', ')}`;
  const fired = Object.entries(c.patchFired).filter(([, f]) => f).map(([r]) => r);
  if (fired.length) return `patch needs replacement on rack ${fired.join(', ')}`;
  for (const [a, rec] of Object.entries(c.actuators)) {
    const f = c.field[a]?.state;
    if (rec.op === 'down' && f !== 'up') return `${a} not confirmed up`;
    if (rec.op === 'release' && rec.status !== 'inhibited' && f !== 'ready') return `${a} not restored (recharge or refill)`;
    if (rec.op === 'on' && /spray|drain/.test(a) && f !== 'off') return `${a} still on: WATER.STOP and close the valves first`;
  }
  if (c.water.latched && c.water.stoppedAt === null) return 'water still latched on: WATER.STOP first';
  if (Object.keys(c.bypasses).length) return 'an active detection bypass exists';
  return null;
}

export const REJECTIONS: { [K in HumanEvent['type']]: (c: ZoneContext, ev: H<K>) => string | null } = {
  ACK: (_c, ev) => (atLeast(ev, 'operator') || isFd(ev) ? null : 'acknowledge needs the operator role'),
  SHELVE: (c, ev) => {
    if (!atLeast(ev, 'operator')) return 'shelving needs the operator role';
    if (noReason(ev)) return 'a reason is required to shelve';
    const a = c.alarms[ev.alarmId];
    if (!a) return `no alarm '${ev.alarmId}' in zone ${c.zone}`;
    if (a.class === 'alarm' || a.priority === 1) return 'life-safety and P1 alarms cannot be shelved (FS-25): use a bypass permit';
    const max = SHELVE_MAX_MS[a.priority];
    if (!(ev.untilTs > ev.ts)) return 'the shelve must end in the future';
    if (ev.untilTs - ev.ts > max) return `a P${a.priority} alarm can be shelved for at most ${max / 60_000} min`;
    return null;
  },
  UNSHELVE: (c, ev) => {
    if (!atLeast(ev, 'operator')) return 'unshelving needs the operator role';
    return c.alarms[ev.alarmId]?.shelved ? null : `alarm '${ev.alarmId}' is not shelved`;
  },
  SILENCE: (_c, ev) => (atLeast(ev, 'operator') || isFd(ev) ? null : 'silence needs the operator role'),
  RESET: resetRejection,
  REENERGIZE: (c, ev) => {
    if (!atLeast(ev, 'admin')) return 're-energize needs the admin role';
    if (noReason(ev)) return 'a reason is required';
    if (c.stage >= 0) return 'the zone is latched: RESET first';
    if (c.reenergizePending.length === 0) return 'nothing to re-energize';
    return null;
  },
  'BYPASS.START': (c, ev) => {
    if (!atLeast(ev, 'operator')) return 'bypass needs the operator role';
    if (noReason(ev) || !ev.permitId) return 'a bypass needs a reason and a permit id';
    if (!SENSOR_CHANNELS.has(ev.channel)) return 'only sensor inputs can be bypassed (outputs use lock-off, FS-17)';
    if (!c.racks.includes(ev.rack)) return `rack ${ev.rack} is not in zone ${c.zone}`;
    if (!(ev.expiresAt > ev.ts)) return 'the expiry must be in the future';
    if (ev.expiresAt - ev.ts > c.params.timings.bypassMaxMs) return `a bypass lasts at most ${c.params.timings.bypassMaxMs / 3_600_000} h; renew with a new authorization`;
    const sameRack = Object.values(c.bypasses).filter((b) => b.rack === ev.rack && b.channel !== ev.channel);
    if (sameRack.length && !ev.impairmentDeclared) return `rack ${ev.rack} already has a bypass (${sameRack[0]!.channel}); declare a zone impairment to add another`;
    return null;
  },
  'BYPASS.END': (c, ev) => (!atLeast(ev, 'operator') ? 'ending a bypass needs the operator role'
    : c.bypasses[`${ev.rack}/${ev.channel}`] ? null : 'no such bypass'),
  'MAINT.ENTER': (c, ev) => {
    if (!atLeast(ev, 'operator')) return 'maintenance needs the operator role';
    if (noReason(ev) || !ev.permitId) return 'maintenance needs a reason and a permit id';
    if (!(ev.expiresAt > ev.ts)) return 'the permit expiry must be in the future';
    if (c.stage >= 0 || c.watchRacks.length) return 'the zone is not idle';
    const active = Object.entries(c.alarms).filter(([, a]) => a.active).map(([id]) => id);
    if (active.length) return `active alarms: ${active.join(', ')}`;
    if (c.maintenance) return 'already in maintenance';
    return null;
  },
  'MAINT.EXIT': (c, ev) => (!atLeast(ev, 'operator') ? 'maintenance needs the operator role' : c.maintenance ? null : 'not in maintenance'),
  'DRILL.START': (c, ev) => (!atLeast(ev, 'operator') ? 'a drill needs the operator role'
    : c.stage >= 0 ? 'the zone is not idle' : c.drill ? 'a drill is running' : !(ev.expiresAt > ev.ts) ? 'a drill needs an expiry' : null),
  'DRILL.END': (c, ev) => (!atLeast(ev, 'operator') ? 'a drill needs the operator role' : c.drill ? null : 'no drill running'),
  'WATER.STOP': (c, ev) => {
    if (!c.water.latched || c.water.stoppedAt !== null) return 'water is not on';
    if (isFd(ev)) return null; // the fire department has authority on scene (FS-21)
    if (c.fdControl) return fdOnly('stop the water');
    if (!atLeast(ev, 'admin')) return 'stopping water needs the admin or firedept role';
    if (noReason(ev)) return 'a reason is required';
    return waterStopCriteria(c, ev.ts > c.now ? ev.ts : c.now);
  },
  'ISOLATION.OVERRIDE': (c, ev) => {
    if (!(atLeast(ev, 'admin') || isFd(ev))) return 'an isolation override needs the admin or firedept role';
    if (c.fdControl && !isFd(ev)) return fdOnly('override the isolation interlock');
    if (noReason(ev)) return 'a reason is required';
    if (c.isolationConfirmed) return 'isolation is confirmed; no override needed';
    return null;
  },
  'FD.HANDOVER': (c, ev) => (c.fdControl ? 'already under fire-department control'
    : !(atLeast(ev, 'operator') || isFd(ev)) ? 'hand-over needs the operator or firedept role' : null),
  'FD.RELEASE': (c, ev) => (!c.fdControl ? 'not under fire-department control'
    : !(isFd(ev) || atLeast(ev, 'admin')) ? 'release needs the firedept or admin role' : noReason(ev) ? 'a reason is required' : null),
  'INCIDENT.CONTROLLED': (c, ev) => {
    if (c.stage < 0) return 'no incident';
    if (c.fdControl) return 'under fire-department control: FD.RELEASE first';
    if (c.deadlines.postWatch !== undefined) return 'already in post-incident watch';
    if (!atLeast(ev, 'admin')) return 'needs the admin role';
    return waterStopCriteria(c, ev.ts > c.now ? ev.ts : c.now);
  },
  'WATCH.END': (c, ev) => (c.deadlines.postWatch === undefined ? 'no post-incident watch running'
    : !atLeast(ev, 'admin') ? 'needs the admin role' : noReason(ev) ? 'ending the watch needs an admin reason' : null),
};

export function rejection(c: ZoneContext, ev: HumanEvent): string | null {
  const f = REJECTIONS[ev.type] as (c: ZoneContext, ev: HumanEvent) => string | null;
  return f(c, ev);
}

export function reject(tx: Tx, ev: HumanEvent, reason: string): void {
  tx.note('commandRejected', { command: ev.type, reason, actors: ev.actors, commandId: ev.commandId ?? null });
  tx.result(ev.type, false, reason, ev.commandId);
}

function accepted(tx: Tx, ev: HumanEvent, data: Record<string, unknown> = {}): void {
  tx.note('command', { command: ev.type, actors: ev.actors, reason: ev.reason ?? null, commandId: ev.commandId ?? null, ...data });
  tx.result(ev.type, true, undefined, ev.commandId);
}

/** Effects of an accepted command that do not change the incident state. */
export function apply(tx: Tx, ev: HumanEvent): void {
  const c = tx.ctx;
  switch (ev.type) {
    case 'ACK':
      for (const [id, a] of Object.entries(c.alarms)) if (!ev.alarmId || ev.alarmId === id) c.alarms[id] = { ...a, acked: true };
      for (const [id, a] of Object.entries(c.alarms)) if (a.acked && !a.active && !a.latched && !a.shelved) delete c.alarms[id];
      break;
    case 'SILENCE': break;
    case 'SHELVE': {
      const a = c.alarms[ev.alarmId]!;
      c.alarms[ev.alarmId] = { ...a, shelved: { by: ev.actors[0]!.user, reason: ev.reason ?? '', until: ev.untilTs } };
      tx.arm(`shelve:${ev.alarmId}`, ev.untilTs);
      break;
    }
    case 'UNSHELVE':
      unshelve(tx, ev.alarmId);
      break;
    case 'REENERGIZE':
      for (const r of c.reenergizePending) tx.cmd(`rack.${r}.breaker`, 'close', 're-energize after reset', { automatic: false });
      if (c.actuators['room.upstream.breaker']?.op === 'open') tx.cmd('room.upstream.breaker', 'close', 're-energize after reset', { automatic: false });
      tx.cmd('room.charge.inhibit', 'off', 're-energize after reset', { automatic: false });
      c.reenergizePending = [];
      break;
    case 'BYPASS.START': {
      const key = `${ev.rack}/${ev.channel}`;
      c.bypasses[key] = { rack: ev.rack, channel: ev.channel, permitId: ev.permitId, actor: ev.actors[0]!.user, reason: ev.reason ?? '', expiresAt: ev.expiresAt };
      tx.arm(`bypass:${key}`, ev.expiresAt);
      tx.alarm(`bypass:${key}`, 'supervisory', 3, `rack ${ev.rack} ${ev.channel} bypassed (permit ${ev.permitId}) until ${new Date(ev.expiresAt).toISOString()}`, { rack: ev.rack });
      if (ev.impairmentDeclared) {
        tx.alarm(`impairmentDeclared:${ev.rack}`, 'supervisory', 1, `zone ${c.zone} impairment declared (rack ${ev.rack}) — fire watch required`, { rack: ev.rack });
        tx.notify('firedept', `zone ${c.zone}: impairment declared on rack ${ev.rack}, fire watch`);
      }
      break;
    }
    case 'BYPASS.END': {
      const key = `${ev.rack}/${ev.channel}`;
      delete c.bypasses[key];
      tx.cancel(`bypass:${key}`);
      tx.clear(`bypass:${key}`);
      break;
    }
    case 'WATER.STOP':
      c.water.stoppedAt = tx.now;
      tx.cancel('t4');
      for (const r of c.affectedRacks) tx.cmd(`rack.${r}.spray`, 'off', `water stop by ${ev.actors[0]!.user}`, { automatic: false });
      break;
    case 'ISOLATION.OVERRIDE':
      c.isolationOverride = { actor: ev.actors[0]!.user, at: tx.now };
      tx.alarm('isolationOverride', 'alarm', 1, `zone ${c.zone}: water/gas allowed without confirmed isolation by ${ev.actors[0]!.user}`, { latched: true });
      if (c.water.latched) startWater(tx);
      if (c.gas.phase === 'interlock') { c.gas.phase = 'none'; startGas(tx); }
      recomputeIsolation(tx);
      break;
    default: break;
  }
  accepted(tx, ev);
}

/** RESET accepted: clear the latched incident; isolation stays until REENERGIZE (FS-23). */
export function doReset(tx: Tx, ev: HumanEvent): void {
  const c = tx.ctx;
  const isolated = c.racks.filter((r) => c.actuators[`rack.${r}.breaker`]?.op === 'open');
  c.reenergizePending = isolated;
  c.latched = { s0: null, s1: null, s2: null, s3: null, s4: null, s5: null };
  c.stage = -1;
  c.rackStage = {};
  c.affectedRacks = [];
  for (const name of Object.keys(c.deadlines)) if (!name.startsWith('bypass:') && name !== 'maint' && name !== 'drill') tx.cancel(name);
  c.checked = { t3: false, t4: false, hold: false };
  c.water = { latched: false, stoppedAt: null };
  c.gas = { phase: 'none', manual: null, releasedAt: null };
  c.handoverReasons = [];
  c.isolationOverride = null;
  for (const [id, a] of Object.entries(c.alarms)) if (a.latched) { tx.clear(id); delete c.alarms[id]; }
  accepted(tx, ev, { reenergizePending: isolated, incidentNo: c.incidentNo });
  c.incidentNo += 1;
}

export function doHandover(tx: Tx, reason: string, actors: { user: string; role: Role }[]): void {
  const c = tx.ctx;
  c.fdControl = { since: tx.now, reason, actors };
  c.handoverReasons = [];
  tx.fx.push({ type: 'recordHandover', at: tx.now, reason, actors });
  tx.alarm('fdControl', 'alarm', 1, `zone ${c.zone}: under fire-department control (${reason})`, { latched: true });
  tx.notify('firedept', `zone ${c.zone}: hand-over — ${reason}`);
}
