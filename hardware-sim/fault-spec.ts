/**
 * Fault specifications (POST /faults body, `injectFault(spec)`, scenario `fault:` steps).
 * TypeBox schemas so a bad spec is a 400 with the key path, never a crash.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Ajv } from 'ajv';

const Room = Type.String({ pattern: '^BR[0-9]+$', description: 'battery room, e.g. BR1' });
const RackIdx = Type.Integer({ minimum: 1, maximum: 100, description: 'rack index in the room (1-based)' });
const Device = Type.String({ minLength: 1, description: 'device id, e.g. fire-br1' });
const Point = Type.String({ minLength: 1, description: 'point name as in the profile (a status bit name works for stuck)' });
const obj = <K extends string, T extends Record<string, TSchema>>(kind: K, props: T, description: string) =>
  Type.Object({ kind: Type.Literal(kind), ...props }, { additionalProperties: false, description });

export const ACTUATORS = ['breaker', 'curtain', 'nozzle', 'spray', 'upstream', 'charge-inhibit', 'pump', 'gas', 'hvac', 'dampers', 'predischarge'] as const;
export const RACK_ACTUATORS = ['breaker', 'curtain', 'nozzle', 'spray'] as const;

export const FaultSpec = Type.Union([
  obj('offline', { device: Device, mode: Type.Optional(Type.Union([Type.Literal('silent'), Type.Literal('refuse')])) },
    'device stops answering: silent = connections accepted, requests never answered (default); refuse = connections closed'),
  obj('exception', {
    device: Device,
    table: Type.Union([Type.Literal('coil'), Type.Literal('discrete'), Type.Literal('input'), Type.Literal('holding')]),
    from: Type.Integer({ minimum: 0, maximum: 65535 }),
    to: Type.Integer({ minimum: 0, maximum: 65535 }),
    code: Type.Optional(Type.Integer({ minimum: 1, maximum: 255, description: 'Modbus exception code (default 4, slave device failure)' })),
    unitId: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })),
  }, 'any request touching [from, to] of the table gets this Modbus exception'),
  obj('stuck', { device: Device, point: Point, value: Type.Optional(Type.Union([Type.Number(), Type.Boolean()])), unitId: Type.Optional(Type.Integer()) },
    'the point reads `value` (default: its value when injected) whatever happens'),
  obj('offset', { device: Device, point: Point, delta: Type.Number(), unitId: Type.Optional(Type.Integer()) }, 'the point reads true value + delta'),
  obj('spike', { device: Device, point: Point, value: Type.Number(), samples: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })), unitId: Type.Optional(Type.Integer()) },
    'the next `samples` reads (default 1) of the point return `value`, then the fault clears itself'),
  obj('dither', { device: Device, point: Point, center: Type.Number(), amplitude: Type.Number({ minimum: 0 }), periodS: Type.Number({ exclusiveMinimum: 0 }), unitId: Type.Optional(Type.Integer()) },
    'the point toggles between center − amplitude and center + amplitude every periodS/2 of sim time'),
  obj('bms-camera-disagree', { room: Room, rack: RackIdx, bmsDeltaC: Type.Optional(Type.Number()), cameraDeltaC: Type.Optional(Type.Number()) },
    'BMS temperatures of the rack read + bmsDeltaC (default +60); the camera region + cameraDeltaC (default 0)'),
  obj('offgas-only', { room: Room, rack: RackIdx }, 'the rack off-gas detector alarms with no heating'),
  obj('actuator', {
    room: Room,
    rack: Type.Optional(RackIdx),
    actuator: Type.Union(ACTUATORS.map((a) => Type.Literal(a))),
    mode: Type.Union([Type.Literal('stuck'), Type.Literal('lies'), Type.Literal('welded'), Type.Literal('reclose')]),
    afterS: Type.Optional(Type.Number({ minimum: 0, description: 'reclose: seconds after opening (default 5)' })),
  }, 'stuck = no movement, no feedback; lies = feedback follows the command, the plant does not; welded = contacts stay closed (current flows, aux stays closed); reclose = spurious re-close after afterS'),
  obj('patch-never-fires', { room: Room, rack: RackIdx }, 'the self-triggering patch does not operate'),
  obj('patch-fire', { room: Room, rack: RackIdx }, 'the patch fires now, whatever the temperature (patch fires early)'),
  obj('gas-store-low', { room: Room, pressurePct: Type.Optional(Type.Number({ minimum: 0, maximum: 150 })) }, 'gas store pressure drops (default 80 %; below 50 % a release delivers nothing)'),
  obj('water-supply-lost', { room: Room }, 'cooling-water supply lost: the spray valve opens but no water flows'),
  obj('drain-tank-full', { room: Room, levelPct: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })) }, 'the underground tank reads levelPct (default 96 %)'),
  obj('building-power-cut', { offline: Type.Optional(Type.Boolean({ description: 'also every device stops answering (default false: fire I/O, BMS and meters stay on their own supplies)' })) },
    'fire department cuts the whole building: both feed breakers open and every UPS output off (EPO)'),
  obj('feed-loss', { feed: Type.Union([Type.Literal('A'), Type.Literal('B')]) }, 'utility feed lost (voltage gone)'),
  obj('ups-fault', { zone: Type.String({ pattern: '^z[0-9]+$' }), mode: Type.Optional(Type.Union([Type.Literal('bypass'), Type.Literal('rectifier')])) },
    'bypass (default): internal fault, load on bypass without battery protection; rectifier: input stage failed, zone on battery'),
  obj('rack-heat', { room: Room, rack: RackIdx, temperatureC: Type.Number({ minimum: -20, maximum: 1200 }) },
    'a test-bench heater holds the rack hot spot at temperatureC (every channel that looks at the rack sees it: probes, BMS, camera, smoke, patch, the releasing panel); cleared, the physics takes over from there'),
  obj('reignite', { room: Room, rack: RackIdx, profile: Type.Optional(Type.Union([Type.Literal('slow'), Type.Literal('fast')])) }, 'a new heat source starts in the rack (re-ignition)'),
  obj('input', {
    room: Room,
    input: Type.Union(['abort', 'abort.circuit.ok', 'manual.release', 'lockoff', 'smoke'].map((k) => Type.Literal(k))),
    value: Type.Boolean(),
  }, 'hold a room input (abort held, abort circuit fault, manual release, lock-off, room smoke)'),
  obj('camera', {
    camera: Type.String({ pattern: '^cam-br[0-9]+$' }),
    mode: Type.Union([Type.Literal('truncated'), Type.Literal('nan'), Type.Literal('wrong_types'), Type.Literal('oversize'), Type.Literal('offline'), Type.Literal('occluded'), Type.Literal('frozen')]),
  }, 'delegated to the MQTT camera simulator: malformed payloads (truncated, nan, wrong_types, oversize), offline, occluded, or frozen (repeats its last ROI message, same ts and seq)'),
  obj('env-sensor', {
    rack: Type.String({ pattern: '^SR[0-9]+-R[0-9]+$', description: 'server rack id, e.g. SR1-R03' }),
    position: Type.Optional(Type.Union([Type.Literal('inlet_top'), Type.Literal('inlet_middle'), Type.Literal('inlet_bottom')])),
    mode: Type.Union([Type.Literal('stuck'), Type.Literal('silent'), Type.Literal('offset')]),
    offsetC: Type.Optional(Type.Number()),
  }, 'delegated to the rack-inlet sensors: one sensor (default inlet_middle) stuck, silent or offset by offsetC'),
  obj('opcua-node', {
    nodeId: Type.String({ minLength: 1, description: 'e.g. ns=1;s=BufferTank.Temperature' }),
    mode: Type.Union([Type.Literal('bad'), Type.Literal('uncertain')]),
  }, 'delegated to the OPC-UA chiller plant: the node reads with a Bad or Uncertain status'),
  obj('env', {
    gateway: Type.String({ pattern: '^env-sr[0-9]+$' }),
    mode: Type.Union([Type.Literal('truncated'), Type.Literal('nan'), Type.Literal('wrong_types'), Type.Literal('oversize'), Type.Literal('offline')]),
  }, 'delegated to the MQTT rack-inlet sensor gateways: malformed payloads or offline'),
]);
export type FaultSpec = Static<typeof FaultSpec>;

export class FaultSpecError extends Error {
  constructor(message: string) { super(message); this.name = 'FaultSpecError'; }
}

const ajv = new Ajv({ allErrors: false, strict: false });
const validate = ajv.compile(FaultSpec);

/** Validate an untrusted fault spec; throws FaultSpecError naming the problem. */
export function parseFaultSpec(input: unknown): FaultSpec {
  if (validate(input)) return input as FaultSpec;
  const kind = (input as { kind?: unknown } | null)?.kind;
  const kinds = FaultSpec.anyOf.map((s) => (s.properties.kind as { const: string }).const);
  if (typeof kind !== 'string' || !kinds.includes(kind)) throw new FaultSpecError(`fault kind must be one of ${kinds.join(', ')}; got ${JSON.stringify(kind)}`);
  const branch = FaultSpec.anyOf.find((s) => (s.properties.kind as { const: string }).const === kind)!;
  const v = ajv.compile(branch);
  v(input);
  const e = v.errors?.[0];
  const where = e ? `${e.instancePath || '(spec)'}${e.keyword === 'additionalProperties' ? `/${String((e.params as { additionalProperty: string }).additionalProperty)}` : ''}` : '';
  throw new FaultSpecError(`fault '${kind}': ${where} ${e?.message ?? 'invalid'}`.trim());
}
