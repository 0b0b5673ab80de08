/**
 * Edge alarms mirrored exactly (FIRE-SAFETY §3; the edge is the authority). What the agent
 * publishes (agent/fire/zone-runtime.ts):
 * - AgentEvent kind 'alarm' with data {alarmId, class, priority (1..4), active, latched} on every
 *   annunciation and return to normal; an explicit ISA `state` is taken as given when present;
 * - the retained zone document `state/fire/{zone}` with `alarms: {id: {class, priority, text,
 *   active, acked, latched}}` after every change (acknowledgements included); an alarm that
 *   disappears from it was acknowledged (non-latched) or reset → NORM;
 * - 'alarm' events without alarmId: fire-department/on-call notifications (data.notify) are
 *   not alarms (they go on the zone timeline); restart/crash troubles are one-shot alarms that
 *   need acknowledging (RTNUN).
 * The ISA state is derived from (active, acked, latched) — never computed from server timers.
 */
import { randomUUID } from 'node:crypto';
import type { AgentEvent } from '../../lib/mqtt-contract.js';
import { ALARM_STATES, type Alarm, type AlarmClass, type AlarmState, type Priority } from './isa.js';

export class MirrorError extends Error { constructor(m: string) { super(m); this.name = 'MirrorError'; } }

const CLASSES = ['alarm', 'supervisory', 'trouble'];

/** ISA state of an edge alarm from what the edge reports. */
export function edgeState(active: boolean, acked: boolean, latched: boolean): AlarmState {
  if (active) return acked ? 'ACKED' : 'UNACK';
  if (!acked) return latched ? 'LATCH_UNACK' : 'RTNUN';
  return latched ? 'LATCH_ACK' : 'NORM';
}

function priorityOf(p: unknown, severity: string | undefined): Priority {
  if (typeof p === 'number' && p >= 1 && p <= 4) return `P${p}` as Priority;
  if (typeof p === 'string' && /^P[1-4]$/.test(p)) return p as Priority;
  return severity && /^P[1-4]$/.test(severity) ? (severity as Priority) : 'P3';
}

/** Edge alarm ids are per fire zone (each zone has its own `channel:1/bms`): the key includes the zone. */
export function edgeKey(site: string, agent: string, zone: string | undefined, alarmId: string): string { return `edge:${site}:${agent}:${zone ?? '-'}:${alarmId}`; }

export interface EdgeAlarmFields { alarmId: string; class?: unknown; priority?: unknown; active?: unknown; acked?: unknown; latched?: unknown; state?: unknown; text?: unknown; rack?: unknown; lifeSafety?: unknown; firstOut?: unknown; drill?: unknown; shelved?: unknown; chattering?: unknown }

/** Build the mirrored alarm from edge fields; `prev` keeps what the edge does not repeat (acked, first time). */
export function buildEdgeAlarm(site: string, agent: string, zone: string | undefined, f: EdgeAlarmFields, ts: number, message: string, severity: string | undefined, prev?: Alarm): Alarm {
  if (f.class !== undefined && !CLASSES.includes(String(f.class))) throw new MirrorError(`alarm ${f.alarmId}: class '${String(f.class)}' is not alarm/supervisory/trouble`);
  if (f.active !== undefined && typeof f.active !== 'boolean') throw new MirrorError(`alarm ${f.alarmId}: active must be a boolean`);
  const active = typeof f.active === 'boolean' ? f.active : prev?.active ?? true;
  const latched = typeof f.latched === 'boolean' ? f.latched : prev?.latched ?? false;
  // A new activation is unacknowledged; otherwise keep the acknowledgement unless the edge says.
  const acked = typeof f.acked === 'boolean' ? f.acked : active && !prev?.active ? false : Boolean(prev?.ackedBy || prev?.state === 'ACKED' || prev?.state === 'LATCH_ACK');
  let state: AlarmState = edgeState(active, acked, latched);
  if (typeof f.state === 'string') {
    if (!(ALARM_STATES as readonly string[]).includes(f.state)) throw new MirrorError(`alarm ${f.alarmId}: unknown state '${f.state}'`);
    state = f.state as AlarmState;
  }
  // FS-25: the edge shelved it (the zone document carries who, why and until when).
  const sh = f.shelved as { by?: unknown; reason?: unknown; until?: unknown } | undefined;
  const shelve = sh && typeof sh === 'object' && typeof sh.until === 'number' && sh.until > ts
    ? { by: String(sh.by ?? 'edge'), role: 'operator', reason: String(sh.reason ?? ''), until: sh.until, oneShot: false } : undefined;
  if (shelve) state = 'SHLVD';
  const priority = priorityOf(f.priority, severity);
  const a: Alarm = {
    id: prev?.id ?? randomUUID(), key: edgeKey(site, agent, zone ?? prev?.zone, f.alarmId), site, source: 'edge', agent, edgeId: f.alarmId,
    type: f.alarmId.split(':')[0] ?? f.alarmId, message: typeof f.text === 'string' ? f.text : message, class: (f.class ?? prev?.class ?? 'alarm') as AlarmClass, priority,
    lifeSafety: typeof f.lifeSafety === 'boolean' ? f.lifeSafety : priority === 'P1', latched, state, active, silenced: prev?.silenced ?? false,
    firstOut: typeof f.firstOut === 'boolean' ? f.firstOut : prev?.firstOut ?? false, zone: zone ?? prev?.zone,
    rack: f.rack !== undefined && f.rack !== null ? String(f.rack) : prev?.rack, device: prev?.device,
    count: (prev?.count ?? 0) + (active && !prev?.active ? 1 : 0), firstAt: prev?.firstAt ?? ts, lastAt: ts, chattering: typeof f.chattering === 'boolean' ? f.chattering : prev?.chattering ?? false, owners: prev?.owners ?? [],
    drill: f.drill === true || (prev?.drill ?? false), incidentId: prev?.incidentId,
  };
  if (active) a.activeSince = prev?.active ? prev.activeSince : ts; else a.clearedAt = prev && !prev.active ? prev.clearedAt : ts;
  if (acked) { a.ackedBy = prev?.ackedBy ?? 'edge'; a.ackedAt = prev?.ackedAt ?? ts; }
  if (shelve) a.shelve = shelve;
  return a;
}

/** The alarm fields of an 'alarm' AgentEvent, or null when the event is not an alarm (a notification record). */
export function edgeAlarmFields(ev: AgentEvent): EdgeAlarmFields | null {
  const d = ev.data ?? {};
  if (typeof d.alarmId === 'string' && d.alarmId.length > 0 && d.alarmId.length <= 128) return { ...d, alarmId: d.alarmId, rack: d.rack ?? ev.rack } as EdgeAlarmFields;
  if (d.alarmId !== undefined) throw new MirrorError('alarm event data.alarmId must be a string of 1..128 characters');
  if (typeof d.notify === 'string') return null;
  // One-shot troubles (agent restart, zone crash): listed until acknowledged.
  const id = typeof d.trouble === 'string' ? d.trouble : d.restart === true ? 'agent.restart' : `event.${ev.seq}`;
  return { alarmId: id, class: 'trouble', active: false, acked: false, latched: false };
}
