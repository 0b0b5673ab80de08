/**
 * MQTT device-side configuration: the profile section (a device model: topics, how to extract each
 * value from the JSON payload, units, scaling, payload schema) apart from the device section (an
 * installation: broker, credentials, topic parameters). TypeBox, additionalProperties: false, loaded
 * through lib/config/load.ts by agent/config/** as `profile.mqtt` and `device.mqtt`.
 *
 * Paths: dotted keys and [n] indexes, e.g. `regions[3].max`, `data.temp`; `{index}` (or `{index-1}`,
 * `{index+1}`, `{index:2}` zero-padded) placeholders inside arrays; topics may also use `{site}`,
 * `{device}`, `{room}` (the device's room) and `{param}` (the device's `params`). An array with its own `topic` repeats a topic
 * per index (one sensor per rack); its other settings come from the parent topic.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const lit = <T extends readonly string[]>(xs: T) =>
  Type.Union(xs.map((x) => Type.Literal(x)) as TSchema[]) as unknown as ReturnType<typeof Type.Unsafe<T[number]>>;

export const MQTT_TIMESTAMP_FORMATS = ['ms', 's', 'iso'] as const;

export const MqttPoint = Type.Object(
  {
    name: Type.String({ minLength: 1, description: 'point name (NUT style); `{index}` placeholders inside arrays' }),
    path: Type.String({ minLength: 1, description: 'where the value is in the JSON payload, e.g. regions[{rack-1}].max' }),
    type: Type.Optional(lit(['number', 'bool', 'string'] as const)),
    unit: Type.Optional(Type.String()),
    scale: Type.Optional(Type.Number({ description: 'value = raw * scale + offset' })),
    offset: Type.Optional(Type.Number()),
    range: Type.Optional(Type.Object({ min: Type.Number(), max: Type.Number() }, { additionalProperties: false, description: 'physical range; outside → quality bad, out_of_range' })),
    map: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'raw value → text' })),
    qualityPath: Type.Optional(Type.String({ description: 'path of a per-value status in the payload; see `goodQuality`' })),
    goodQuality: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Number(), Type.Boolean()]), { description: 'values of qualityPath that mean good (others → bad, sensor_fault)' })),
    description: Type.Optional(Type.String()),
    fire: Type.Optional(Type.Boolean({ description: 'fire-relevant: never held back by report-by-exception' })),
  },
  { additionalProperties: false },
);
export type MqttPoint = Static<typeof MqttPoint>;

export const MqttArray = Type.Object(
  {
    index: Type.String({ pattern: '^[a-z][a-zA-Z0-9]*$' }),
    topic: Type.Optional(Type.String({ minLength: 1, description: 'one topic per index (e.g. a sensor per rack): these points come from it, not from the parent topic; placeholders {index}, {index:2} (zero-padded), {device}, {room}, {site}, {param}' })),
    count: Type.Union([Type.Integer({ minimum: 0, maximum: 10000 }), Type.String({ pattern: '^\\$[a-zA-Z][a-zA-Z0-9]*$' })], { description: 'a number or $param from the device' }),
    start: Type.Optional(Type.Integer({ minimum: 0, description: 'first index value (default 1)' })),
    points: Type.Array(MqttPoint),
  },
  { additionalProperties: false },
);
export type MqttArray = Static<typeof MqttArray>;

export const MqttTopic = Type.Object(
  {
    topic: Type.String({ minLength: 1, description: 'MQTT topic (no wildcards); `{site}`, `{device}`, `{room}` and `{param}` (the device integer `params`) placeholders; not subscribed when it has no points of its own' }),
    timestampPath: Type.Optional(Type.String({ description: 'path of the device timestamp; absent → time of receipt' })),
    timestampFormat: Type.Optional(lit(MQTT_TIMESTAMP_FORMATS)),
    maxPayloadBytes: Type.Optional(Type.Integer({ minimum: 16, maximum: 16 * 1024 * 1024, description: 'larger payloads are rejected (default: device maxPayloadBytes)' })),
    schema: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'JSON Schema the payload must satisfy; failures → bad points, parse_error' })),
    staleAfterMs: Type.Optional(Type.Integer({ minimum: 100, description: 'no message for this long → points uncertain, stale (decided by the agent runtime; default 3 × 5 s)' })),
    points: Type.Array(MqttPoint),
    arrays: Type.Optional(Type.Array(MqttArray)),
  },
  { additionalProperties: false },
);
export type MqttTopic = Static<typeof MqttTopic>;

/** `profile.mqtt`: the device model. */
export const MqttProfileSection = Type.Object(
  { topics: Type.Array(MqttTopic, { minItems: 1 }) },
  { additionalProperties: false },
);
export type MqttProfileSection = Static<typeof MqttProfileSection>;

/** `device.mqtt`: one installation. */
export const MqttDeviceConfig = Type.Object(
  {
    broker: Type.String({ pattern: '^(mqtt|mqtts|ws|wss|tcp)://', description: 'broker URL, e.g. mqtt://10.0.0.5:1883' }),
    clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'default dcim-{agent}-{device}' })),
    username: Type.Optional(Type.String({ minLength: 1 })),
    password: Type.Optional(Type.String({ description: 'prefer passwordFile; never logged' })),
    passwordFile: Type.Optional(Type.String()),
    qos: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(1)], { description: 'subscription QoS (default 1)' })),
    maxPayloadBytes: Type.Optional(Type.Integer({ minimum: 16, maximum: 16 * 1024 * 1024, description: 'default 65536' })),
  },
  { additionalProperties: false },
);
export type MqttDeviceConfig = Static<typeof MqttDeviceConfig>;

export const MQTT_DEVICE_DEFAULTS = { maxPayloadBytes: 65536, qos: 1 as 0 | 1 };
