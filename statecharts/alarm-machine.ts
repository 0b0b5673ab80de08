/**
 * The ISA-18.2 / IEC 62682 alarm state model of FIRE-SAFETY.md §3 as a pure reducer, free of
 * agent specifics so the server can reuse it: states A..G plus the latched pair L1/L2 (yamcs,
 * OPC UA Part 9), shelving with a maximum by priority, suppression by design, out of service by
 * permit, re-alarm of unacknowledged P1. `alarmStep(alarm, event)` never throws: a refused
 * operation returns `ok: false` with the reason (OPC UA Bad_InvalidState semantics).
 */

export type AlarmState = 'NORM' | 'UNACK' | 'ACKED' | 'RTNUN' | 'LATCH_UNACK' | 'LATCH_ACK' | 'SHLVD' | 'DSUPR' | 'OOSRV';
export const ISA_LETTER: Record<AlarmState, string> = {
  NORM: 'A', UNACK: 'B', ACKED: 'C', RTNUN: 'D', LATCH_UNACK: 'L1', LATCH_ACK: 'L2', SHLVD: 'E', DSUPR: 'F', OOSRV: 'G',
};
export type AlarmClassName = 'alarm' | 'supervisory' | 'trouble';
export type AlarmPriority = 1 | 2 | 3 | 4;
export type OperatorRole = 'viewer' | 'operator' | 'admin' | 'firedept';

export interface AlarmDefinition {
  id: string;
  class: AlarmClassName;
  priority: AlarmPriority;
  /** needs RTN + ACK + RESET (fire stages, discharges, actuator failures, impairments) */
  latched: boolean;
  /** never shelvable nor suppressed by design; out of service only by permit (FS-25) */
  lifeSafety: boolean;
}

export interface AlarmInstance {
  def: AlarmDefinition;
  state: AlarmState;
  /** the process condition (abnormal = true), tracked in every state */
  active: boolean;
  silenced: boolean;
  shelve: { oneShot: boolean; expiresAt: number | null; by: string; reason: string } | null;
  permitId: string | null;
  reAlarmAt: number | null;
  since: number;
}

export type AlarmEvent =
  | { type: 'CONDITION'; active: boolean; ts: number }
  | { type: 'ACK'; role: OperatorRole; user: string; ts: number }
  | { type: 'SILENCE'; role: OperatorRole; user: string; ts: number }
  | { type: 'RESET'; role: OperatorRole; user: string; ts: number }
  | { type: 'SHELVE'; role: OperatorRole; user: string; reason: string; ts: number; untilTs?: number; oneShot?: boolean }
  | { type: 'UNSHELVE'; role: OperatorRole; user: string; ts: number }
  | { type: 'SUPPRESS'; on: boolean; ts: number }
  | { type: 'OUT_OF_SERVICE'; on: boolean; permitId?: string; role: OperatorRole; user: string; ts: number }
  | { type: 'TICK'; ts: number }
  /** alarm-manager restart: a shelve whose expiry is unknown is lifted (OPC UA §5.8.17) */
  | { type: 'RESTART'; ts: number };

export interface AlarmStepResult {
  alarm: AlarmInstance;
  ok: boolean;
  reason?: string;
  /** the alarm must be (re-)annunciated audibly now */
  annunciate: boolean;
}

export const MAX_SHELVE_MS: Record<AlarmPriority, number> = { 1: 0, 2: 3_600_000, 3: 8 * 3_600_000, 4: 8 * 3_600_000 };
export const RE_ALARM_MS = 5 * 60_000;

const RANK: Record<OperatorRole, number> = { viewer: 0, operator: 1, firedept: 1, admin: 2 };

export function newAlarm(def: AlarmDefinition, ts: number): AlarmInstance {
  return { def, state: 'NORM', active: false, silenced: false, shelve: null, permitId: null, reAlarmAt: null, since: ts };
}

/** Re-evaluate by condition when leaving E/F/G: active → UNACK, normal → NORM. */
function byCondition(a: AlarmInstance, ts: number): AlarmStepResult {
  const next: AlarmInstance = { ...a, shelve: null, permitId: null, since: ts, silenced: false };
  if (a.active) return { alarm: enterUnack(next, ts), ok: true, annunciate: true };
  return { alarm: { ...next, state: 'NORM', reAlarmAt: null }, ok: true, annunciate: false };
}

function enterUnack(a: AlarmInstance, ts: number): AlarmInstance {
  return { ...a, state: 'UNACK', silenced: false, since: ts, reAlarmAt: a.def.priority === 1 ? ts + RE_ALARM_MS : null };
}

const refuse = (a: AlarmInstance, reason: string): AlarmStepResult => ({ alarm: a, ok: false, reason, annunciate: false });
const to = (a: AlarmInstance, state: AlarmState, ts: number, annunciate = false): AlarmStepResult =>
  ({ alarm: { ...a, state, since: ts, ...(state === 'UNACK' ? {} : { reAlarmAt: null }) }, ok: true, annunciate });

export function alarmStep(a: AlarmInstance, e: AlarmEvent): AlarmStepResult {
  const d = a.def;
  const hidden = a.state === 'SHLVD' || a.state === 'DSUPR' || a.state === 'OOSRV';
  switch (e.type) {
    case 'CONDITION': {
      if (e.active === a.active) return { alarm: a, ok: true, annunciate: false };
      const b = { ...a, active: e.active };
      if (hidden) {
        if (a.state === 'SHLVD' && a.shelve?.oneShot && !e.active) return byCondition(b, e.ts);
        return { alarm: b, ok: true, annunciate: false };
      }
      if (e.active) {
        if (a.state === 'ACKED' || a.state === 'UNACK') return { alarm: b, ok: true, annunciate: false };
        return { alarm: enterUnack(b, e.ts), ok: true, annunciate: true };
      }
      if (a.state === 'UNACK') return to(b, d.latched ? 'LATCH_UNACK' : 'RTNUN', e.ts);
      if (a.state === 'ACKED') return to(b, d.latched ? 'LATCH_ACK' : 'NORM', e.ts);
      return { alarm: b, ok: true, annunciate: false };
    }
    case 'ACK': {
      if (RANK[e.role] < 1) return refuse(a, 'acknowledge needs the operator role');
      if (a.state === 'UNACK') return to(a, 'ACKED', e.ts);
      if (a.state === 'RTNUN') return to(a, 'NORM', e.ts);
      if (a.state === 'LATCH_UNACK') return to(a, 'LATCH_ACK', e.ts);
      return refuse(a, 'nothing to acknowledge');
    }
    case 'SILENCE': {
      if (RANK[e.role] < 1) return refuse(a, 'silence needs the operator role');
      if (a.state !== 'UNACK') return refuse(a, 'not sounding');
      return { alarm: { ...a, silenced: true }, ok: true, annunciate: false };
    }
    case 'RESET': {
      if (e.role !== 'admin') return refuse(a, 'reset needs the admin role');
      if (a.state === 'LATCH_ACK') return to(a, 'NORM', e.ts);
      if (a.active) return refuse(a, 'the condition is still active');
      return refuse(a, a.state === 'LATCH_UNACK' ? 'acknowledge before reset' : 'not latched');
    }
    case 'SHELVE': {
      if (d.lifeSafety || d.priority === 1) return refuse(a, 'life-safety and P1 alarms cannot be shelved');
      if (RANK[e.role] < 1) return refuse(a, 'shelving needs the operator role');
      if (!e.reason?.trim()) return refuse(a, 'a reason is required');
      if (hidden) return refuse(a, `cannot shelve in state ${a.state}`);
      const max = MAX_SHELVE_MS[d.priority];
      if (!e.oneShot) {
        if (e.untilTs === undefined || e.untilTs <= e.ts) return refuse(a, 'a timed shelve needs a future expiry');
        if (e.untilTs - e.ts > max) return refuse(a, `out of range: P${d.priority} shelves at most ${max / 3_600_000} h`);
      }
      return {
        alarm: { ...a, state: 'SHLVD', since: e.ts, reAlarmAt: null, shelve: { oneShot: e.oneShot === true, expiresAt: e.oneShot ? null : e.untilTs!, by: e.user, reason: e.reason } },
        ok: true, annunciate: false,
      };
    }
    case 'UNSHELVE':
      if (a.state !== 'SHLVD') return refuse(a, 'not shelved');
      if (RANK[e.role] < 1) return refuse(a, 'unshelving needs the operator role');
      return byCondition(a, e.ts);
    case 'SUPPRESS':
      if (e.on) {
        if (d.lifeSafety || d.priority === 1) return refuse(a, 'life-safety and P1 alarms are never suppressed by design');
        if (a.state === 'OOSRV' || a.state === 'SHLVD') return { alarm: a, ok: true, annunciate: false };
        return to(a, 'DSUPR', e.ts);
      }
      return a.state === 'DSUPR' ? byCondition(a, e.ts) : { alarm: a, ok: true, annunciate: false };
    case 'OUT_OF_SERVICE':
      if (RANK[e.role] < 1) return refuse(a, 'out of service needs the operator role');
      if (e.on) {
        if (!e.permitId) return refuse(a, 'out of service needs a bypass permit (FS-27)');
        return { alarm: { ...a, state: 'OOSRV', since: e.ts, permitId: e.permitId, reAlarmAt: null, shelve: null }, ok: true, annunciate: false };
      }
      return a.state === 'OOSRV' ? byCondition(a, e.ts) : refuse(a, 'not out of service');
    case 'TICK':
      if (a.state === 'SHLVD' && a.shelve?.expiresAt != null && e.ts >= a.shelve.expiresAt) return byCondition(a, e.ts);
      if (a.state === 'UNACK' && a.reAlarmAt !== null && e.ts >= a.reAlarmAt) {
        return { alarm: { ...a, silenced: false, reAlarmAt: e.ts + RE_ALARM_MS }, ok: true, annunciate: true };
      }
      return { alarm: a, ok: true, annunciate: false };
    case 'RESTART':
      if (a.state === 'SHLVD' && (a.shelve?.expiresAt == null || e.ts >= a.shelve.expiresAt)) return byCondition(a, e.ts);
      return { alarm: a, ok: true, annunciate: false };
  }
}

const CLASS_ORDER: Record<AlarmClassName, number> = { alarm: 0, supervisory: 1, trouble: 2 };

/** FS-24 ordering: class (alarm > supervisory > trouble), then priority, then time (oldest first). */
export function compareAlarms(x: AlarmInstance, y: AlarmInstance): number {
  return CLASS_ORDER[x.def.class] - CLASS_ORDER[y.def.class] || x.def.priority - y.def.priority || x.since - y.since;
}

export const ANNUNCIATED: ReadonlySet<AlarmState> = new Set(['UNACK', 'ACKED', 'RTNUN', 'LATCH_UNACK', 'LATCH_ACK']);

/** §3 mapping to the DESIGN.md service status. */
export function serviceStatus(alarms: readonly AlarmInstance[]): 'Up' | 'Down' | 'Warning' | 'Maintenance' {
  const live = alarms.filter((a) => ANNUNCIATED.has(a.state) && a.state !== 'RTNUN');
  if (live.some((a) => a.def.priority === 1)) return 'Down';
  if (live.some((a) => a.def.priority === 2)) return 'Warning';
  if (alarms.some((a) => a.state === 'OOSRV')) return 'Maintenance';
  return 'Up';
}
