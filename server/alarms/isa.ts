/**
 * ISA-18.2 / IEC 62682 alarm state model (FIRE-SAFETY.md §3), pure: each function takes an alarm
 * and returns the next alarm or a refusal. No clock, no I/O. The service around it applies
 * delays, chatter, flood, re-alarm and persistence.
 *
 *   NORM ─on→ UNACK ─ack→ ACKED ─rtn→ NORM | LATCH_ACK(latched)
 *   UNACK ─rtn→ RTNUN | LATCH_UNACK(latched);  RTNUN ─ack→ NORM, ─on→ UNACK
 *   LATCH_UNACK ─ack→ LATCH_ACK ─reset(inactive, acked)→ NORM
 *   any ─shelve→ SHLVD, ─design suppression→ DSUPR, ─bypass permit→ OOSRV; leaving them → NORM or UNACK by condition
 */
export const ALARM_STATES = ['NORM', 'UNACK', 'ACKED', 'RTNUN', 'LATCH_UNACK', 'LATCH_ACK', 'SHLVD', 'DSUPR', 'OOSRV'] as const;
export type AlarmState = (typeof ALARM_STATES)[number];
export type AlarmClass = 'alarm' | 'supervisory' | 'trouble';
export type Priority = 'P1' | 'P2' | 'P3' | 'P4';

export interface Alarm {
  id: string;
  /** Uniqueness key: originator + type (R32). Repeats update count and lastAt. */
  key: string;
  site: string;
  source: 'edge' | 'server';
  agent?: string;
  /** The agent's own alarm id (edge alarms): commands name it as `target`. */
  edgeId?: string;
  type: string;
  message: string;
  class: AlarmClass;
  priority: Priority;
  lifeSafety: boolean;
  latched: boolean;
  state: AlarmState;
  /** The process condition (abnormal), tracked in every state, also while shelved or out of service. */
  active: boolean;
  silenced: boolean;
  firstOut: boolean;
  zone?: string;
  rack?: string;
  device?: string;
  count: number;
  firstAt: number;
  lastAt: number;
  activeSince?: number;
  clearedAt?: number;
  ackedBy?: string;
  ackedAt?: number;
  shelve?: { by: string; role: string; reason: string; until: number; oneShot: boolean };
  oos?: { permitId: string; by: string; until?: number };
  suppressedBy?: string;
  reAlarmAt?: number;
  chattering: boolean;
  /** Flood or consequential grouping: the id of the alarm this one is grouped under. */
  groupId?: string;
  owners: string[];
  drill: boolean;
  incidentId?: string;
}

export class AlarmRefusal extends Error {
  constructor(message: string, readonly code: 'invalid_state' | 'not_shelvable' | 'out_of_range' | 'active' | 'unacknowledged') {
    super(message); this.name = 'AlarmRefusal';
  }
}

const CLASS_ORDER: Record<AlarmClass, number> = { alarm: 0, supervisory: 1, trouble: 2 };
/** FS-24: class first, then priority, then time (oldest first). */
export function compareAlarms(a: Alarm, b: Alarm): number {
  return CLASS_ORDER[a.class] - CLASS_ORDER[b.class] || a.priority.localeCompare(b.priority) || (a.activeSince ?? a.firstAt) - (b.activeSince ?? b.firstAt) || a.id.localeCompare(b.id);
}

/** Maximum shelve time by priority (FS-25): P1 never, P2 1 h, P3/P4 8 h. */
export function maxShelveMs(p: Priority): number {
  return p === 'P1' ? 0 : p === 'P2' ? 3_600_000 : 8 * 3_600_000;
}

export function isSpecial(s: AlarmState): boolean { return s === 'SHLVD' || s === 'DSUPR' || s === 'OOSRV'; }
/** States that are shown to the operator as needing attention (annunciated). */
export function isAnnunciated(s: AlarmState): boolean { return s === 'UNACK' || s === 'ACKED' || s === 'RTNUN' || s === 'LATCH_UNACK' || s === 'LATCH_ACK'; }
export function isUnacked(s: AlarmState): boolean { return s === 'UNACK' || s === 'RTNUN' || s === 'LATCH_UNACK'; }

/** The process condition changed (or repeated). `moreSevere` re-annunciates an ACKED alarm. */
export function condition(a: Alarm, active: boolean, now: number, moreSevere = false): Alarm {
  const n: Alarm = { ...a, lastAt: now };
  if (active && !a.active) { n.count = a.count + 1; n.activeSince = now; n.silenced = false; }
  if (!active && a.active) n.clearedAt = now;
  n.active = active;
  if (isSpecial(a.state)) {
    if (a.state === 'SHLVD' && a.shelve?.oneShot && !active && a.active) { n.state = 'NORM'; delete n.shelve; }
    return n;
  }
  switch (a.state) {
    case 'NORM': if (active) n.state = 'UNACK'; break;
    case 'UNACK': if (!active) n.state = a.latched ? 'LATCH_UNACK' : 'RTNUN'; break;
    case 'ACKED':
      if (!active) n.state = a.latched ? 'LATCH_ACK' : 'NORM';
      else if (moreSevere) n.state = 'UNACK';
      break;
    case 'RTNUN': if (active) n.state = 'UNACK'; break;
    case 'LATCH_UNACK': if (active) n.state = 'UNACK'; break;
    case 'LATCH_ACK': if (active) n.state = 'UNACK'; break;
  }
  if (n.state === 'UNACK' && a.state !== 'UNACK') { delete n.ackedBy; delete n.ackedAt; }
  return n;
}

export function acknowledge(a: Alarm, by: string, now: number): Alarm {
  const next: Partial<Record<AlarmState, AlarmState>> = { UNACK: 'ACKED', RTNUN: 'NORM', LATCH_UNACK: 'LATCH_ACK' };
  const to = next[a.state];
  if (!to) throw new AlarmRefusal(`alarm ${a.id} is ${a.state}: nothing to acknowledge`, 'invalid_state');
  const n: Alarm = { ...a, state: to, ackedBy: by, ackedAt: now, lastAt: now };
  delete n.reAlarmAt;
  return n;
}

/** RESET of a latched alarm (OPC UA Bad_InvalidState semantics): refused while active or unacknowledged. */
export function reset(a: Alarm, now: number): Alarm {
  if (a.active) throw new AlarmRefusal(`alarm ${a.id} is still active: reset refused until the condition clears`, 'active');
  if (isUnacked(a.state)) throw new AlarmRefusal(`alarm ${a.id} is unacknowledged: acknowledge before reset`, 'unacknowledged');
  if (a.state !== 'LATCH_ACK') throw new AlarmRefusal(`alarm ${a.id} is ${a.state}: only a latched, acknowledged alarm is reset`, 'invalid_state');
  return { ...a, state: 'NORM', lastAt: now };
}

export function silence(a: Alarm, now: number): Alarm {
  if (!isAnnunciated(a.state)) throw new AlarmRefusal(`alarm ${a.id} is ${a.state}: nothing to silence`, 'invalid_state');
  return { ...a, silenced: true, lastAt: now };
}

export function shelve(a: Alarm, s: { by: string; role: string; reason: string; durationMs: number; oneShot?: boolean }, now: number): Alarm {
  if (a.lifeSafety || a.priority === 'P1') throw new AlarmRefusal(`alarm ${a.id} is a P1 life-safety alarm: it cannot be shelved (use a bypass permit)`, 'not_shelvable');
  const max = maxShelveMs(a.priority);
  if (s.durationMs <= 0 || s.durationMs > max) throw new AlarmRefusal(`shelve of a ${a.priority} alarm is limited to ${max / 60_000} min`, 'out_of_range');
  if (isSpecial(a.state)) throw new AlarmRefusal(`alarm ${a.id} is ${a.state}: cannot shelve`, 'invalid_state');
  return { ...a, state: 'SHLVD', shelve: { by: s.by, role: s.role, reason: s.reason, until: now + s.durationMs, oneShot: s.oneShot ?? false }, lastAt: now };
}

function byCondition(a: Alarm, now: number): Alarm {
  const n: Alarm = { ...a, lastAt: now, state: a.active ? 'UNACK' : 'NORM' };
  delete n.ackedBy; delete n.ackedAt;
  return n;
}

export function unshelve(a: Alarm, now: number): Alarm {
  if (a.state !== 'SHLVD') throw new AlarmRefusal(`alarm ${a.id} is not shelved`, 'invalid_state');
  const n = byCondition(a, now); delete n.shelve; return n;
}

export function suppress(a: Alarm, by: string, now: number): Alarm {
  if (a.lifeSafety || a.priority === 'P1') throw new AlarmRefusal(`alarm ${a.id} is life-safety: never suppressed by design`, 'not_shelvable');
  if (a.state === 'OOSRV' || a.state === 'SHLVD') return a;
  return { ...a, state: 'DSUPR', suppressedBy: by, lastAt: now };
}

export function unsuppress(a: Alarm, now: number): Alarm {
  if (a.state !== 'DSUPR') return a;
  const n = byCondition(a, now); delete n.suppressedBy; return n;
}

export function outOfService(a: Alarm, permit: { permitId: string; by: string; until?: number }, now: number): Alarm {
  const n: Alarm = { ...a, state: 'OOSRV', oos: permit, lastAt: now };
  delete n.shelve; delete n.suppressedBy;
  return n;
}

export function returnToService(a: Alarm, now: number): Alarm {
  if (a.state !== 'OOSRV') throw new AlarmRefusal(`alarm ${a.id} is not out of service`, 'invalid_state');
  const n = byCondition(a, now); delete n.oos; return n;
}
