/**
 * The agent configuration (one YAML file, `dcim agent --config FILE`): site, agent id, broker,
 * where profiles are, poll groups, devices (installations of profiles), telemetry, health and
 * the fire response. TypeBox with additionalProperties: false everywhere, so a typo is an error.
 * Tables in README.md are generated from this file (`npx tsx agent/config/gen-docs.ts`).
 */
import { Type, type Static } from '@sinclair/typebox';
import { FireConfig } from '../fire/config-schema.js';
import { ModbusDeviceConfig } from '../drivers/modbus/config.js';
import { OpcuaDeviceConfig } from '../drivers/opcua/config.js';
import { MqttDeviceConfig } from '../drivers/mqtt/config.js';
import { ID_PATTERN } from './profile-schema.js';

export const DEFAULT_POLL_GROUPS = { fast: 250, normal: 1000, slow: 10_000 } as const;
export const DEFAULT_POLL_GROUP = 'normal';

export const Broker = Type.Object(
  {
    url: Type.String({ pattern: '^(mqtt|mqtts|ws|wss|tcp)://', description: 'MQTT broker URL, e.g. mqtt://127.0.0.1:1883' }),
    username: Type.Optional(Type.String({ minLength: 1 })),
    passwordFile: Type.Optional(Type.String({ description: 'file holding the password (first line); relative to the config file' })),
    clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'default dcim-{site}-{agent}' })),
  },
  // MQTT sends a password only with a user name (mqtt.js would wait forever on a password alone)
  { additionalProperties: false, dependencies: { passwordFile: ['username'] }, description: 'absent → the agent starts an embedded broker' },
);
export type Broker = Static<typeof Broker>;

export const Device = Type.Object(
  {
    id: Type.String({ pattern: ID_PATTERN, description: 'device id, unique in the file (e.g. ups-z1)' }),
    profile: Type.String({ minLength: 1, description: 'profile id (a file in agent/profiles/ or in `profiles`)' }),
    room: Type.Optional(Type.String({ description: 'room, e.g. BR1' })),
    zone: Type.Optional(Type.String({ description: 'UPS / fire zone, e.g. z1' })),
    rack: Type.Optional(Type.String({ description: 'rack id, e.g. BR1-R07' })),
    kind: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]*$', description: 'device kind (default: the profile kind)' })),
    pollGroup: Type.Optional(Type.String({ description: 'poll group of points whose profile names none (default `normal`)' })),
    enabled: Type.Boolean({ default: true, description: 'false → configured but not polled' }),
    params: Type.Optional(Type.Record(Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9]*$' }), Type.Integer({ minimum: 0, maximum: 100_000 }), { description: 'profile parameters, e.g. { racks: 8, modules: 17 } for `count: $racks`' })),
    modbus: Type.Optional(ModbusDeviceConfig),
    opcua: Type.Optional(OpcuaDeviceConfig),
    mqtt: Type.Optional(MqttDeviceConfig),
  },
  { additionalProperties: false },
);
export type Device = Static<typeof Device>;

export const Telemetry = Type.Object(
  {
    batchMaxPoints: Type.Integer({ minimum: 1, maximum: 100_000, default: 1000, description: 'points per telemetry message' }),
    batchMaxMs: Type.Integer({ minimum: 10, maximum: 60_000, default: 1000, description: 'longest a point waits for its batch' }),
    deadband: Type.Number({ minimum: 0, default: 0, description: 'report-by-exception: absolute change that is reported (0 = every change); fire points are never held back' }),
    heartbeatMs: Type.Integer({ minimum: 1000, maximum: 86_400_000, default: 60_000, description: 'an unchanged point is re-sent after this long' }),
    bufferMaxBytes: Type.Integer({ minimum: 1024, default: 256 * 1024 * 1024, description: 'store-and-forward disk queue limit; oldest telemetry dropped beyond it, events never' }),
  },
  { additionalProperties: false, default: {} },
);
export type Telemetry = Static<typeof Telemetry>;

export const Health = Type.Object(
  {
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 9464, description: '/metrics and /healthz; 0 = any free port' }),
    host: Type.String({ default: '127.0.0.1', description: 'listen address' }),
  },
  { additionalProperties: false, default: {} },
);
export type Health = Static<typeof Health>;

export const AgentConfig = Type.Object(
  {
    site: Type.String({ pattern: ID_PATTERN, description: 'site id, e.g. sim1' }),
    agent: Type.String({ pattern: ID_PATTERN, description: 'agent id, unique in the site' }),
    dataDir: Type.String({ default: 'data', description: 'store-and-forward queue, fire journal; relative to the config file' }),
    broker: Type.Optional(Broker),
    profiles: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'profile files or folders, relative to the config file; agent/profiles/ is always searched' }),
    pollGroups: Type.Record(Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9_-]*$' }), Type.Integer({ minimum: 10, maximum: 3_600_000 }), { default: { ...DEFAULT_POLL_GROUPS }, description: 'poll group name → interval ms (default fast 250, normal 1000, slow 10000)' }),
    devices: Type.Array(Device),
    telemetry: Telemetry,
    health: Health,
    fire: Type.Optional(FireConfig),
  },
  { additionalProperties: false },
);
export type AgentConfig = Static<typeof AgentConfig>;
