/**
 * The MQTT contract between agents and servers (DESIGN.md "MQTT"; README "MQTT contract").
 * One versioned namespace per site and agent. Every payload is JSON and has a TypeBox schema
 * here, used by the agent to build it and by the server to validate it.
 *
 *   dcim/v1/{site}/{agent}/status        retained, QoS 1: birth {state:'online'} / last will {state:'offline'}
 *   dcim/v1/{site}/{agent}/birth         retained, QoS 1: devices and points (names, units) the agent reports
 *   dcim/v1/{site}/{agent}/telemetry     QoS 1: batches of points, stream 'telemetry' sequence numbers
 *   dcim/v1/{site}/{agent}/event         QoS 1: alarms, fire-sequence transitions, actuations; stream 'event'
 *   dcim/v1/{site}/{agent}/state/{key}   retained, QoS 1: latest state documents (e.g. state/fire/{zone})
 *   dcim/v1/{site}/{agent}/cmd           QoS 1: commands from a server (signed; verified at the edge)
 *   dcim/v1/{site}/{agent}/cmd/result    QoS 1: the edge's verdict and outcome for each command
 *
 * Servers subscribe with a shared subscription ($share/dcim-server/dcim/v1/+/+/#) so several
 * replicas split the load, and to events with a plain subscription (dcim/v1/+/+/event) on a
 * persistent session, which brokers restore after a restart (each replica gets every event);
 * nothing assumes a single replica.
 */
import { Type, type Static } from '@sinclair/typebox';
import { WirePoint } from './points.js';

export const NAMESPACE = 'dcim/v1';
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';
const Id = Type.String({ pattern: ID_PATTERN });

export type Channel = 'status' | 'birth' | 'telemetry' | 'event' | 'cmd' | 'cmd/result';

export function topic(site: string, agent: string, channel: Channel | `state/${string}`): string {
  return `${NAMESPACE}/${site}/${agent}/${channel}`;
}

/** Parse a topic of this namespace; null when it is not ours. */
export function parseTopic(t: string): { site: string; agent: string; channel: string } | null {
  const parts = t.split('/');
  if (parts.length < 5 || `${parts[0]}/${parts[1]}` !== NAMESPACE) return null;
  return { site: parts[2]!, agent: parts[3]!, channel: parts.slice(4).join('/') };
}

export const SERVER_SHARED_SUBSCRIPTION = `$share/dcim-server/${NAMESPACE}/+/+/#`;

/** Common header of sequenced payloads. `epoch` changes only if the agent loses its sequence store. */
const Sequenced = {
  v: Type.Literal(1),
  site: Id,
  agent: Id,
  epoch: Type.String({ minLength: 1, maxLength: 64 }),
  seq: Type.Integer({ minimum: 1 }),
  sentAt: Type.Integer({ minimum: 0, description: 'ms since epoch when first published (kept on replay)' }),
};

export const TelemetryBatch = Type.Object(
  {
    ...Sequenced,
    /** True when the batch was held in store-and-forward and is replayed late. */
    historical: Type.Optional(Type.Boolean()),
    points: Type.Array(WirePoint, { maxItems: 20000 }),
  },
  { additionalProperties: false },
);
export type TelemetryBatch = Static<typeof TelemetryBatch>;

export const EVENT_KINDS = [
  'alarm', 'fire.transition', 'fire.actuation', 'fire.journal', 'device.status', 'agent.lifecycle',
  'command.audit', 'drill', 'link',
] as const;

export const AgentEvent = Type.Object(
  {
    ...Sequenced,
    ts: Type.Integer({ minimum: 0 }),
    kind: Type.Union(EVENT_KINDS.map((k) => Type.Literal(k))),
    zone: Type.Optional(Id),
    rack: Type.Optional(Type.String({ maxLength: 64 })),
    device: Type.Optional(Type.String({ maxLength: 128 })),
    severity: Type.Optional(Type.Union(['P1', 'P2', 'P3', 'P4', 'info'].map((s) => Type.Literal(s)))),
    message: Type.String({ maxLength: 2000 }),
    /** Kind-specific details (stage, actuator, intent id, alarm state, ...). */
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    historical: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type AgentEvent = Static<typeof AgentEvent>;

export const AgentStatus = Type.Object(
  {
    v: Type.Literal(1),
    state: Type.Union([Type.Literal('online'), Type.Literal('offline')]),
    ts: Type.Integer({ minimum: 0 }),
    version: Type.Optional(Type.String()),
    epoch: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type AgentStatus = Static<typeof AgentStatus>;

export const BirthPoint = Type.Object(
  {
    name: Type.String(),
    unit: Type.Optional(Type.String()),
    type: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const AgentBirth = Type.Object(
  {
    v: Type.Literal(1),
    site: Id,
    agent: Id,
    epoch: Type.String(),
    ts: Type.Integer({ minimum: 0 }),
    version: Type.String(),
    configHash: Type.String(),
    devices: Type.Array(
      Type.Object(
        {
          id: Type.String(),
          profile: Type.String(),
          protocol: Type.Union([Type.Literal('modbus'), Type.Literal('opcua'), Type.Literal('mqtt')]),
          room: Type.Optional(Type.String()),
          zone: Type.Optional(Type.String()),
          rack: Type.Optional(Type.String()),
          kind: Type.Optional(Type.String({ description: 'equipment class: ups, bms, fire_io, camera, chiller, feed, meter, env, pdu' })),
          points: Type.Array(BirthPoint),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type AgentBirth = Static<typeof AgentBirth>;

/** Commands from the server (or the local CLI) to the edge. Verified at the edge (FS-32). */
export const COMMAND_KINDS = [
  'ack', 'silence', 'reset', 'reenergize', 'bypass.start', 'bypass.end', 'maint.enter', 'maint.exit',
  'water.stop', 'fd.handover', 'fd.release', 'incident.controlled', 'watch.end', 'manual.release',
  'drill.start', 'drill.end', 'shelve', 'unshelve', 'isolation.override', 'config.apply',
] as const;
export type CommandKind = (typeof COMMAND_KINDS)[number];

export const ROLES = ['viewer', 'operator', 'admin', 'firedept'] as const;
export type Role = (typeof ROLES)[number];

export const Actor = Type.Object(
  {
    user: Type.String({ minLength: 1, maxLength: 128 }),
    role: Type.Union(ROLES.map((r) => Type.Literal(r))),
  },
  { additionalProperties: false },
);

export const EdgeCommand = Type.Object(
  {
    v: Type.Literal(1),
    id: Type.String({ minLength: 8, maxLength: 64 }),
    kind: Type.Union(COMMAND_KINDS.map((k) => Type.Literal(k))),
    zone: Type.Optional(Id),
    target: Type.Optional(Type.String({ maxLength: 128, description: 'alarm id, channel id, rack ...' })),
    args: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    /** The person(s) behind the command; two for resets that need two operators. */
    actors: Type.Array(Actor, { minItems: 1, maxItems: 2 }),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
    issuedAt: Type.Integer({ minimum: 0 }),
    expiresAt: Type.Integer({ minimum: 0, description: 'at most issuedAt + 10 s (FS-32)' }),
    /** Per-issuer monotonic sequence; replays and reordering are rejected at the edge. */
    issuer: Type.String({ minLength: 1, maxLength: 64 }),
    seq: Type.Integer({ minimum: 1 }),
    /** HMAC-SHA256 (hex) over the canonical JSON of every other field, key shared per agent. */
    sig: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  },
  { additionalProperties: false },
);
export type EdgeCommand = Static<typeof EdgeCommand>;

export const CommandResult = Type.Object(
  {
    v: Type.Literal(1),
    id: Type.String(),
    ok: Type.Boolean(),
    /** accepted | rejected | done | failed */
    status: Type.Union(['accepted', 'rejected', 'done', 'failed'].map((s) => Type.Literal(s))),
    reason: Type.Optional(Type.String({ maxLength: 1000 })),
    ts: Type.Integer({ minimum: 0 }),
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);
export type CommandResult = Static<typeof CommandResult>;
