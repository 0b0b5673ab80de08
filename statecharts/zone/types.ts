/**
 * The zone machine's public types: events in (§2.4), effects out (§2.6), context (§2.2).
 * Actuator ids and ops are those of `agent/fire/actuators.ts`:
 *   rack.{n}.breaker open|close, rack.{n}.curtain down|up, rack.{n}.nozzle release, rack.{n}.spray on|off,
 *   room.upstream.breaker open|close, room.charge.inhibit on|off, room.drain.pump on|off, room.gas release,
 *   room.hvac stop, room.dampers close, room.predischarge on|off.
 */
import type { Role } from '../../lib/mqtt-contract.js';
import type { FireParams } from '../params.js';
import type { ChannelId, DecisionRecord, DetectorKind, ThermalStatus } from '../voter/types.js';

export type { Role };
export type Stage = -1 | 0 | 1 | 2 | 3 | 4 | 5;

export interface ActorRef { user: string; role: Role }

/** Fields every human command carries, already verified for signature and freshness (FS-32). */
export interface HumanFields {
  actors: ActorRef[];
  reason?: string;
  issuedAt: number;
  /** the command id, echoed in `commandResult` */
  commandId?: string;
  ts: number;
}

// ---- events -------------------------------------------------------------------------------------

export type VoteEvent =
  | { type: 'VOTE.WATCH'; racks: number[]; ts: number; reasons?: string[]; decisions?: DecisionRecord[] }
  | { type: 'VOTE.S0'; racks: number[]; room?: boolean; ts: number; decisions?: DecisionRecord[] }
  | { type: 'VOTE.S1' | 'VOTE.S2' | 'VOTE.S3'; racks: number[]; ts: number; decisions?: DecisionRecord[] }
  | { type: 'VOTE.CLEAR'; ts: number }
  | { type: 'VOTE.STATUS'; ts: number; status: ThermalStatus }
  | { type: 'CHANNEL.FAULT'; rack: number; channel: ChannelId | DetectorKind; reason: string; ts: number }
  | { type: 'CHANNEL.DEGRADED'; rack: number; validCount: number; reason?: string; ts: number }
  | { type: 'CHANNEL.RESTORED'; rack: number; channel: ChannelId | DetectorKind | 'voting'; ts: number };

export type FieldEvent =
  /** field feedback of an actuator in op vocabulary ('open'/'close', 'down'/'up', 'release'/'ready', 'on'/'off', 'stop'/'run', 'close'/'open') */
  | { type: 'FEEDBACK'; actuator: string; state: string; current?: number; ts: number }
  /**
   * Several FEEDBACK / CHANNEL.* events of one poll, handled in order in one step: the same as
   * sending them one by one (they only run root handlers), at the cost of one context copy.
   */
  | { type: 'INPUTS'; events: InputEvent[]; ts: number }
  /** the runtime's verdict after its verification window and retry (agent/fire/actuation.ts) */
  | { type: 'ACTUATOR.CONFIRMED'; actuator: string; op: string; intentId: string; ts: number }
  | { type: 'ACTUATOR.FAILED'; actuator: string; op: string; intentId: string; result: string; attempts?: number; ts: number }
  | { type: 'ACTUATOR.CONTRADICTED'; actuator: string; op: string; intentId?: string; why: string; ts: number }
  | { type: 'PATCH'; rack: number; fired: boolean; fault?: boolean; ts: number }
  | { type: 'ABORT'; held: boolean; circuitOk?: boolean; ts: number }
  | { type: 'MANUAL_RELEASE'; source: string; ts: number; actors?: ActorRef[]; commandId?: string }
  | { type: 'LOCKOFF'; on: boolean; permitId?: string; ts: number }
  | { type: 'TANK_LEVEL'; pct: number; ts: number }
  | { type: 'GAS_LFL'; pct: number; ts: number }
  /** supervision of the suppression supplies (FS-13): gas store pressure (% of nominal), cooling-water supply */
  | { type: 'GAS_STORE'; pct: number; ts: number }
  | { type: 'WATER_SUPPLY'; ok: boolean; ts: number }
  /** FS-26: a source device of the zone stopped answering (every point bad for a communication reason) or came back */
  | { type: 'IO.LINK'; source: IoSource; device: string; up: boolean; reason?: string; ts: number };

/** The devices a zone reads its channels from (FS-26 consequential suppression). */
export type IoSource = 'fireIo' | 'bms' | 'camera';

export type TimeEvent =
  | { type: 'TICK'; ts: number }
  /** the runtime's timer for `deadlines[name]` expired (the runtime may also name it timer.expired) */
  | { type: 'DEADLINE'; name: string; ts: number };

export type HumanEvent =
  | ({ type: 'ACK'; alarmId?: string } & HumanFields)
  /** FS-25: shelve a P2–P4 trouble or supervisory alarm until `untilTs` (never a P1 or a fire alarm) */
  | ({ type: 'SHELVE'; alarmId: string; untilTs: number } & HumanFields)
  | ({ type: 'UNSHELVE'; alarmId: string } & HumanFields)
  | ({ type: 'SILENCE' } & HumanFields)
  | ({ type: 'RESET' } & HumanFields)
  | ({ type: 'REENERGIZE' } & HumanFields)
  | ({ type: 'BYPASS.START'; rack: number; channel: ChannelId | DetectorKind; permitId: string; expiresAt: number; impairmentDeclared?: boolean } & HumanFields)
  | ({ type: 'BYPASS.END'; rack: number; channel: ChannelId | DetectorKind } & HumanFields)
  | ({ type: 'MAINT.ENTER'; permitId: string; inhibit: string[]; expiresAt: number } & HumanFields)
  | ({ type: 'MAINT.EXIT' } & HumanFields)
  | ({ type: 'DRILL.START'; drillId: string; expiresAt: number } & HumanFields)
  | ({ type: 'DRILL.END' } & HumanFields)
  | ({ type: 'WATER.STOP' } & HumanFields)
  | ({ type: 'ISOLATION.OVERRIDE' } & HumanFields)
  | ({ type: 'FD.HANDOVER' } & HumanFields)
  | ({ type: 'FD.RELEASE' } & HumanFields)
  | ({ type: 'INCIDENT.CONTROLLED' } & HumanFields)
  | ({ type: 'WATCH.END' } & HumanFields);

export type SystemEvent =
  /** end of recovery (FS-31): the stage the field shows and whether the snapshot was unusable */
  | { type: 'RECOVERED'; derivedStage: Stage; reconstructed: boolean; restarted: boolean; fieldState?: Record<string, string>; ts: number }
  | { type: 'LINK.UP' | 'LINK.DOWN'; ts: number }
  /** a site-coordinator hand-over trigger (two zones at stage ≥ 3, reserve unavailable; FS-21) */
  | { type: 'HANDOVER.TRIGGER'; reason: string; ts: number };

/** The events an INPUTS event carries (root handlers only, no transition of their own). */
export type InputEvent =
  | { type: 'FEEDBACK'; actuator: string; state: string; current?: number; ts: number }
  | { type: 'CHANNEL.FAULT'; rack: number; channel: ChannelId | DetectorKind; reason: string; ts: number }
  | { type: 'CHANNEL.DEGRADED'; rack: number; validCount: number; reason?: string; ts: number }
  | { type: 'CHANNEL.RESTORED'; rack: number; channel: ChannelId | DetectorKind | 'voting'; ts: number };

/** Event types INPUTS may carry. */
export const INPUT_EVENT_TYPES: ReadonlySet<string> = new Set(['FEEDBACK', 'CHANNEL.FAULT', 'CHANNEL.DEGRADED', 'CHANNEL.RESTORED']);

export type ZoneEvent = VoteEvent | FieldEvent | TimeEvent | HumanEvent | SystemEvent;

// ---- effects (named, parameterised actions; the runtime provides them) --------------------------

export type AlarmClass = 'alarm' | 'supervisory' | 'trouble';
export type Priority = 1 | 2 | 3 | 4;

export type Effect =
  | { type: 'journalIntent'; intentId: string; actuator: string; op: string; cause: string; at: number }
  | { type: 'journalOutcome'; intentId: string; actuator: string; op: string; outcome: 'confirmed' | 'failed' | 'contradicted' | 'inhibited'; at: number; detail?: string }
  | { type: 'cmd'; actuator: string; op: string; intentId: string }
  | { type: 'annunciate'; alarmId: string; class: AlarmClass; priority: Priority; text: string; active: boolean; at: number; rack?: number; latched: boolean }
  | { type: 'notify'; channel: 'firedept' | 'oncall' | 'supervising'; payload: { zone: string; text: string; stage: Stage; at: number } }
  | { type: 'armDeadline'; name: string; at: number }
  | { type: 'cancelDeadline'; name: string }
  | { type: 'recordHandover'; at: number; reason: string; actors: ActorRef[] }
  | { type: 'journalNote'; kind: string; at: number; data: Record<string, unknown> }
  | { type: 'commandResult'; command: string; commandId?: string; ok: boolean; reason?: string; at: number };

export type EffectType = Effect['type'];

// ---- context ------------------------------------------------------------------------------------

export type ActuatorStatus = 'pending' | 'confirmed' | 'failed' | 'inhibited';

export interface ActuatorRecord {
  op: string;
  intentId: string;
  status: ActuatorStatus;
  issuedAt: number;
  cause: string;
}

export interface AlarmRecord {
  class: AlarmClass;
  priority: Priority;
  text: string;
  active: boolean;
  acked: boolean;
  latched: boolean;
  at: number;
  rack?: number;
  /** FS-26: raised while its source device was down: recorded, never annunciated (the device trouble stands for it) */
  suppressedBy?: string;
  /** FS-25: shelved by an operator until `until`; not annunciated again while shelved */
  shelved?: { by: string; reason: string; until: number };
  /**
   * FS-26: times it became active within the last chatter window, oldest first, at most 5 (absent
   * for fire alarms and P1, and in records older than this field)
   */
  activations?: number[];
  /** FS-26: became active ≥ 3 times within 60 s; its return to normal is held by an off-delay */
  chattering?: true;
}

export interface Bypass { rack: number; channel: string; permitId: string; actor: string; reason: string; expiresAt: number }

export interface ZoneContext {
  zone: string;
  racks: number[];
  params: FireParams;
  /** latest event time seen (all decisions use event time, never a clock) */
  now: number;
  incidentNo: number;
  seq: number;
  /** stage → time it latched; null when not latched */
  latched: Record<'s0' | 's1' | 's2' | 's3' | 's4' | 's5', number | null>;
  stage: Stage;
  /** highest evidence per rack (0..3), racks absent have none */
  rackStage: Record<string, number>;
  affectedRacks: number[];
  /** named absolute deadlines (ms); the runtime arms timers from these */
  deadlines: Record<string, number>;
  /** last intent per actuator */
  actuators: Record<string, ActuatorRecord>;
  /** latest field feedback per actuator (op vocabulary) */
  field: Record<string, { state: string; current?: number; at: number }>;
  isolationConfirmed: boolean;
  /** FS-15 cross-zoning: stage 3 was latched on two independent inputs (2ooN, or with smoke/off-gas) */
  crossZoned: boolean;
  isolationOverride: { actor: string; at: number } | null;
  /** T3/T4/hold checked once at their deadline (FS-10) */
  checked: { t3: boolean; t4: boolean; hold: boolean };
  water: { latched: boolean; stoppedAt: number | null };
  gas: { phase: 'none' | 'disabled' | 'inhibited' | 'interlock' | 'predischarge' | 'abortHeld' | 'releasing' | 'holding' | 'failed'; manual: string | null; releasedAt: number | null };
  fdControl: { since: number; reason: string; actors: ActorRef[] } | null;
  handoverReasons: string[];
  alarms: Record<string, AlarmRecord>;
  /** FS-26: source devices down now, with the reason (absent in snapshots older than this field) */
  ioDown?: Partial<Record<IoSource, string>>;
  bypasses: Record<string, Bypass>;
  maintenance: { permitId: string; inhibit: string[]; expiresAt: number } | null;
  drill: { id: string; expiresAt: number } | null;
  lockoff: { on: boolean; permitId: string | null };
  abortHeld: boolean;
  patchFired: Record<string, boolean>;
  thermal: ThermalStatus | null;
  watchRacks: number[];
  /** racks isolated by the last incident that wait for REENERGIZE after reset (FS-23) */
  reenergizePending: number[];
  tankPct: number | null;
  lflPct: number | null;
  linkUp: boolean;
  /** number of actuator failures counted towards hand-over (FS-12 step 5) */
  failures: number;
}

export interface ZoneInput {
  zone: string;
  /** rack indexes (1-based) in this zone */
  racks: number[];
  params?: import('../params.js').PartialParams;
}
