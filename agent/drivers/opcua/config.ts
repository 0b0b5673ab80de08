/**
 * OPC-UA configuration: the profile section (a device model: node ids, units, scaling, how each
 * variable is sampled) apart from the device section (an installation: endpoint, security,
 * credentials, intervals). Both are TypeBox schemas with additionalProperties: false, loaded through
 * lib/config/load.ts by the agent's config loader (agent/config/**), which embeds them as
 * `profile.opcua` and `device.opcua`.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const lit = <T extends readonly string[]>(xs: T) =>
  Type.Union(xs.map((x) => Type.Literal(x)) as TSchema[]) as unknown as ReturnType<typeof Type.Unsafe<T[number]>>;

export const OPCUA_SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
export type OpcuaSecurityMode = (typeof OPCUA_SECURITY_MODES)[number];

/** Names of node-opcua's SecurityPolicy enum (the URI suffix after `#`). */
export const OPCUA_SECURITY_POLICIES = [
  'None', 'Basic128Rsa15', 'Basic256', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss',
] as const;
export type OpcuaSecurityPolicy = (typeof OPCUA_SECURITY_POLICIES)[number];

export const OPCUA_DEADBAND_TYPES = ['none', 'absolute', 'percent'] as const;

export const OpcuaDeadband = Type.Object(
  {
    type: lit(OPCUA_DEADBAND_TYPES),
    value: Type.Number({ minimum: 0, description: 'absolute: engineering units; percent: 0..100 of EURange' }),
  },
  { additionalProperties: false, description: 'server-side DataChangeFilter deadband' },
);

export const OpcuaPoint = Type.Object(
  {
    name: Type.String({ minLength: 1, description: 'point name (NUT style); `{index}` placeholders inside arrays' }),
    nodeId: Type.String({ minLength: 3, description: 'node id, e.g. ns=1;s=Chiller1.SupplyTemp; `{index}` placeholders inside arrays' }),
    mode: Type.Optional(lit(['subscribe', 'read'] as const)),
    samplingIntervalMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000, description: 'monitored item sampling interval (default: the device publishingIntervalMs)' })),
    deadband: Type.Optional(OpcuaDeadband),
    unit: Type.Optional(Type.String()),
    scale: Type.Optional(Type.Number({ description: 'value = raw * scale + offset' })),
    offset: Type.Optional(Type.Number()),
    range: Type.Optional(Type.Object({ min: Type.Number(), max: Type.Number() }, { additionalProperties: false, description: 'physical range; outside → quality bad, out_of_range' })),
    map: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'raw value → text' })),
    type: Type.Optional(lit(['bool', 'number', 'string'] as const)),
    description: Type.Optional(Type.String()),
    writable: Type.Optional(Type.Boolean({ description: 'the agent may write it' })),
    fire: Type.Optional(Type.Boolean({ description: 'fire-relevant: never held back by report-by-exception' })),
  },
  { additionalProperties: false },
);
export type OpcuaPoint = Static<typeof OpcuaPoint>;

export const OpcuaArray = Type.Object(
  {
    index: Type.String({ pattern: '^[a-z][a-zA-Z0-9]*$', description: 'placeholder used as {index} in names and node ids' }),
    count: Type.Union([Type.Integer({ minimum: 0, maximum: 10000 }), Type.String({ pattern: '^\\$[a-zA-Z][a-zA-Z0-9]*$' })], { description: 'a number or $param (the device\'s `params`)' }),
    start: Type.Optional(Type.Integer({ minimum: 0, description: 'first index value (default 1)' })),
    points: Type.Array(OpcuaPoint),
  },
  { additionalProperties: false },
);
export type OpcuaArray = Static<typeof OpcuaArray>;

/** `profile.opcua`: the device model. */
export const OpcuaProfileSection = Type.Object(
  {
    namespaceUri: Type.Optional(Type.String({ description: 'if set, `ns=` in node ids is resolved against this URI at connect time (ns index may differ per server)' })),
    points: Type.Array(OpcuaPoint),
    arrays: Type.Optional(Type.Array(OpcuaArray)),
  },
  { additionalProperties: false },
);
export type OpcuaProfileSection = Static<typeof OpcuaProfileSection>;

/** `device.opcua`: one installation of that model. */
export const OpcuaDeviceConfig = Type.Object(
  {
    endpoint: Type.String({ pattern: '^opc\\.tcp://', description: 'opc.tcp://host:port/path' }),
    securityMode: Type.Optional(lit(OPCUA_SECURITY_MODES)),
    securityPolicy: Type.Optional(lit(OPCUA_SECURITY_POLICIES)),
    username: Type.Optional(Type.String({ minLength: 1 })),
    password: Type.Optional(Type.String({ description: 'prefer passwordFile; never logged' })),
    passwordFile: Type.Optional(Type.String({ description: 'file holding the password (first line)' })),
    publishingIntervalMs: Type.Optional(Type.Integer({ minimum: 50, maximum: 3_600_000, description: 'subscription publishing interval (default 1000)' })),
    readIntervalMs: Type.Optional(Type.Integer({ minimum: 50, maximum: 3_600_000, description: 'poll interval of `mode: read` points (default 1000)' })),
    requestTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000, description: 'per request (default 5000)' })),
    reconnectMaxDelayMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000, description: 'back-off cap between reconnect attempts (default 10000)' })),
  },
  { additionalProperties: false },
);
export type OpcuaDeviceConfig = Static<typeof OpcuaDeviceConfig>;

export const OPCUA_DEFAULTS = {
  securityMode: 'None' as OpcuaSecurityMode,
  securityPolicy: 'None' as OpcuaSecurityPolicy,
  publishingIntervalMs: 1000,
  readIntervalMs: 1000,
  requestTimeoutMs: 5000,
  reconnectMaxDelayMs: 10_000,
};
