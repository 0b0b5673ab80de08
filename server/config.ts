/**
 * The server's YAML configuration (operational side): listener, data directory, broker, agents
 * and their command keys, auth, status/dependency graph, alarm rules, notification channels and
 * routing, incident recovery targets. Loaded through lib/config/load.ts so every error names
 * file:line:col and the key path. Every key is documented in server/README.md.
 */
import { Type, type Static } from '@sinclair/typebox';
import { loadConfigFile, parseConfig } from '../lib/config/load.js';
import { ID_PATTERN } from '../lib/mqtt-contract.js';

const Priority = Type.Union(['P1', 'P2', 'P3', 'P4'].map((p) => Type.Literal(p)));

export const AgentKeyConfig = Type.Object({
  id: Type.String({ pattern: ID_PATTERN, description: 'agent id (as in its MQTT topics)' }),
  site: Type.Optional(Type.String({ pattern: ID_PATTERN, description: 'site of the agent (default: `site`)' })),
  key: Type.Optional(Type.String({ minLength: 16, description: 'HMAC key shared with this agent for signing commands (prefer keyEnv)' })),
  keyEnv: Type.Optional(Type.String({ minLength: 1, description: 'environment variable that holds the key' })),
}, { additionalProperties: false });

export const NodeConfig = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 128, description: 'node id (a device id, agent id, room, zone, service ...)' }),
  kind: Type.Union(['feed', 'ats', 'zone', 'ups', 'room', 'rack', 'chiller', 'loop', 'tank', 'device', 'agent', 'service', 'other'].map((k) => Type.Literal(k)), { description: 'what the node is; services are Warning (not Down) when upstream fails' }),
  name: Type.Optional(Type.String({ description: 'display name' })),
  dependsOn: Type.Optional(Type.Array(Type.String(), { description: 'upstream node ids this node needs (feeds → ATS → zones → rooms → racks; chillers → loops → tank → rooms)' })),
  redundancy: Type.Optional(Type.Union([Type.Literal('all'), Type.Literal('any')], { description: "'all' (default): any upstream Down → Down; 'any': redundant, Down only when every upstream is Down" })),
  owners: Type.Optional(Type.Array(Type.String(), { description: 'recipient ids notified once per incident when this node goes Down or Warning by a Down cause' })),
  device: Type.Optional(Type.String({ description: 'telemetry device whose data freshness makes this node Up or Unknown, and whose alarms count' })),
  agent: Type.Optional(Type.String({ description: 'agent whose online/offline state makes this node Up or Unknown' })),
  expectedIntervalS: Type.Optional(Type.Number({ minimum: 1, maximum: 3600, description: 'expected data interval (default status.defaultIntervalS); Unknown after 2×' })),
  zone: Type.Optional(Type.String({ description: 'alarms of this zone count for the node' })),
}, { additionalProperties: false });

export const AlarmRuleConfig = Type.Object({
  id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$', description: 'rule id; also the alarm type' }),
  device: Type.String({ minLength: 1, description: 'device id of the point' }),
  point: Type.String({ minLength: 1, description: 'point name' }),
  op: Type.Union(['>', '<', '==', '!='].map((o) => Type.Literal(o)), { description: 'comparison that makes the condition abnormal' }),
  limit: Type.Union([Type.Number(), Type.Boolean()], { description: 'limit (number, or boolean for == / !=)' }),
  deadband: Type.Optional(Type.Number({ minimum: 0, description: 'hysteresis: a > alarm clears below limit − deadband' })),
  onDelayS: Type.Optional(Type.Number({ minimum: 0, maximum: 86400, description: 'condition must hold this long before the alarm (survives restarts)' })),
  offDelayS: Type.Optional(Type.Number({ minimum: 0, maximum: 86400, description: 'condition must stay clear this long before return to normal' })),
  priority: Type.Union(['P1', 'P2', 'P3', 'P4'].map((p) => Type.Literal(p)), { description: 'P1 emergency … P4 low (P1 are life-safety: never shelved)' }),
  class: Type.Optional(Type.Union(['alarm', 'supervisory', 'trouble'].map((c) => Type.Literal(c)), { description: 'default alarm' })),
  latched: Type.Optional(Type.Boolean({ description: 'needs RTN + ACK + RESET' })),
  message: Type.Optional(Type.String({ description: 'alarm text (default: the comparison and value)' })),
  zone: Type.Optional(Type.String({ description: 'zone for first-out and status; use the fire zone id (as in the agent fire config) to have the alarm suppressed by design while that zone is isolated (FS-26)' })),
  owners: Type.Optional(Type.Array(Type.String(), { description: 'owners, for notification routing by owner' })),
}, { additionalProperties: false });

export const ChannelConfig = Type.Union([
  Type.Object({
    id: Type.String({ minLength: 1, description: 'channel id' }), type: Type.Literal('webhook'), url: Type.String({ minLength: 8, description: 'POST target' }),
    secret: Type.Optional(Type.String({ minLength: 8, description: 'HMAC-SHA256 signing secret (prefer secretEnv)' })), secretEnv: Type.Optional(Type.String({ description: 'environment variable holding the secret' })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 60000, description: 'default 5000' })),
  }, { additionalProperties: false }),
  Type.Object({
    id: Type.String({ minLength: 1, description: 'channel id' }), type: Type.Literal('email'), host: Type.String({ description: 'SMTP host' }), port: Type.Integer({ minimum: 1, maximum: 65535, description: 'SMTP port' }),
    secure: Type.Optional(Type.Boolean({ description: 'implicit TLS' })), from: Type.String({ description: 'sender address' }), user: Type.Optional(Type.String({ description: 'SMTP user' })),
    passwordEnv: Type.Optional(Type.String({ description: 'environment variable holding the SMTP password' })), timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 60000, description: 'default 10000' })),
  }, { additionalProperties: false }),
  Type.Object({ id: Type.String({ minLength: 1, description: 'channel id' }), type: Type.Literal('console') }, { additionalProperties: false }),
]);

export const RecipientConfig = Type.Object({
  id: Type.String({ minLength: 1, description: 'recipient id (a person, a roster, an owner)' }),
  email: Type.Optional(Type.String({ description: 'e-mail address for email channels' })),
}, { additionalProperties: false });

export const RouteConfig = Type.Object({
  priorities: Type.Optional(Type.Array(Priority, { description: 'alarm priorities this route takes (default all)' })),
  owners: Type.Optional(Type.Array(Type.String(), { description: 'only alarms with one of these owners' })),
  levels: Type.Array(Type.Object({
    recipients: Type.Array(Type.String(), { minItems: 1, description: 'recipient ids' }),
    channels: Type.Array(Type.String(), { minItems: 1, description: 'channel ids in fallback order: the next is tried when one fails' }),
    afterS: Type.Optional(Type.Number({ minimum: 0, description: 'escalate to this level when not acknowledged after this many seconds' })),
  }, { additionalProperties: false }), { minItems: 1, description: 'escalation chain: level 0 at annunciation, then each level after afterS if unacknowledged' }),
}, { additionalProperties: false });

export const ServerConfig = Type.Object({
  site: Type.Optional(Type.String({ pattern: ID_PATTERN, description: 'default site id (default sim1)' })),
  listen: Type.Optional(Type.Object({
    host: Type.Optional(Type.String({ description: 'listen address (default 127.0.0.1)' })),
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, description: 'HTTP port (default 8080; 0 = any free port)' })),
  }, { additionalProperties: false })),
  dataDir: Type.Optional(Type.String({ description: 'data directory: records.duckdb (operational records), points.duckdb (embedded store); default ./data' })),
  /** The data plane's store (server/store createStore StoreConfig); default embedded DuckDB `${dataDir}/points.duckdb`. */
  store: Type.Optional(Type.Object({}, { additionalProperties: true, description: "data plane store (server/store StoreConfig, e.g. {kind: influxdb, url, database}); default embedded DuckDB" })),
  broker: Type.Optional(Type.Object({
    url: Type.String({ description: 'MQTT broker URL (mqtt://host:1883)' }),
    username: Type.Optional(Type.String({ description: 'MQTT user' })),
    passwordEnv: Type.Optional(Type.String({ description: 'environment variable holding the MQTT password' })),
    clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'MQTT client id of this replica\'s persistent ingest sessions (default dcim-server-<hostname>; one per replica)' })),
  }, { additionalProperties: false, dependencies: { passwordEnv: ['username'] } })),
  issuer: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'issuer name in every EdgeCommand; one per replica (default server-<site>)' })),
  agents: Type.Optional(Type.Array(AgentKeyConfig, { description: 'agents this server may command' })),
  auth: Type.Optional(Type.Object({
    sessionTtlMin: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 24 * 60, description: 'console session lifetime (default 480)' })),
    loginMaxPerMin: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'login attempts per client address per minute (default 10)' })),
    scryptCost: Type.Optional(Type.Integer({ minimum: 14, maximum: 20, description: 'log2 of scrypt N for new password hashes (default 17)' })),
    secureCookie: Type.Optional(Type.Boolean({ description: 'mark the session cookie Secure (set behind HTTPS)' })),
  }, { additionalProperties: false })),
  status: Type.Optional(Type.Object({
    evaluateEveryS: Type.Optional(Type.Number({ minimum: 1, maximum: 60, description: 'periodic evaluation (default 30; also on every change)' })),
    unknownToDownS: Type.Optional(Type.Number({ minimum: 1, maximum: 86400, description: 'Unknown lasting this long becomes Down (default 180)' })),
    defaultIntervalS: Type.Optional(Type.Number({ minimum: 1, maximum: 3600, description: 'expected data interval of devices (default 60)' })),
  }, { additionalProperties: false })),
  dependencies: Type.Optional(Type.Array(NodeConfig, { description: 'the dependency graph (devices and agents seen on the wire are added automatically)' })),
  alarms: Type.Optional(Type.Object({
    rules: Type.Optional(Type.Array(AlarmRuleConfig, { description: 'server-side alarm rules on points' })),
    floodThreshold: Type.Optional(Type.Integer({ minimum: 2, description: 'more annunciations than this in the window is a flood (default 10)' })),
    floodWindowS: Type.Optional(Type.Integer({ minimum: 10, description: 'flood window (default 600)' })),
    chatterPerMin: Type.Optional(Type.Integer({ minimum: 2, description: 'activations per minute that flag chattering (default 3)' })),
    reAlarmS: Type.Optional(Type.Integer({ minimum: 10, description: 'unacknowledged P1 re-alarm period (default 300)' })),
    minAnnunciationS: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600, description: 'a return to normal sooner than this after activation is taken at this time (chatter)' })),
  }, { additionalProperties: false })),
  notify: Type.Optional(Type.Object({
    channels: Type.Optional(Type.Array(ChannelConfig, { description: 'channel plugins: webhook, email, console (a console channel always exists)' })),
    recipients: Type.Optional(Type.Array(RecipientConfig, { description: 'people and rosters' })),
    routes: Type.Optional(Type.Array(RouteConfig, { description: 'routing by priority and owner, with escalation levels' })),
  }, { additionalProperties: false })),
  incidents: Type.Optional(Type.Object({
    recoveryTargetMin: Type.Optional(Type.Object({ '1': Type.Number({ minimum: 1 }), '2': Type.Number({ minimum: 1 }), '3': Type.Number({ minimum: 1 }) },
      { additionalProperties: false, description: 'recovery target per grade, minutes (default 1: 30, 2: 60, 3: 240); overrun raises the grade' })),
  }, { additionalProperties: false })),
}, { additionalProperties: false });
export type ServerConfig = Static<typeof ServerConfig>;
export type NodeConfig = Static<typeof NodeConfig>;
export type AlarmRuleConfig = Static<typeof AlarmRuleConfig>;
export type ChannelConfig = Static<typeof ChannelConfig>;
export type RouteConfig = Static<typeof RouteConfig>;

export function loadServerConfig(file: string): ServerConfig {
  return loadConfigFile(file, ServerConfig);
}

export function parseServerConfig(text: string, file = 'server.yaml'): ServerConfig {
  return parseConfig(text, ServerConfig, file);
}

/** The command key of an agent, from `key` or the environment variable named by `keyEnv`. */
export function agentKey(cfg: ServerConfig, agent: string): string | undefined {
  const a = cfg.agents?.find((x) => x.id === agent);
  if (!a) return undefined;
  return a.key ?? (a.keyEnv ? process.env[a.keyEnv] : undefined);
}
