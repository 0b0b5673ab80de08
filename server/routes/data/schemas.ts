/** JSON Schemas (TypeBox) of the data routes: query strings, and responses for fast serialisation and OpenAPI. */
import { Type } from '@sinclair/typebox';
import { AGGREGATES, TIERS } from '../../store/types.js';

export const Err = Type.Object({ statusCode: Type.Integer(), error: Type.String(), message: Type.String(), missing: Type.Optional(Type.Array(Type.String())) }, { additionalProperties: true });
export const errors = { 400: Err, 404: Err, 422: Err };

export const SiteParams = Type.Object({ site: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });
export const DeviceParams = Type.Object({ site: Type.String({ minLength: 1, maxLength: 64 }), device: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false });

const Ms = (description: string) => Type.Integer({ minimum: 0, description });

export const RangeQuery = Type.Object({
  from: Type.Optional(Ms('period start, ms since epoch (default: 24 h before `to`)')),
  to: Type.Optional(Ms('period end, ms since epoch (default: now)')),
}, { additionalProperties: false });

export const LatestQuery = Type.Object({
  device: Type.Optional(Type.String({ maxLength: 128 })),
  name: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 500, description: 'point names (repeat the key)' })),
}, { additionalProperties: false });

export const HistoryQuery = Type.Object({
  device: Type.String({ minLength: 1, maxLength: 128 }),
  name: Type.String({ minLength: 1, maxLength: 200 }),
  from: Ms('start, ms'),
  to: Ms('end, ms'),
  tier: Type.Union([Type.Literal('raw'), ...TIERS.map((t) => Type.Literal(t))], { default: 'raw', description: 'raw samples or a rollup tier' }),
  agg: Type.Optional(Type.Union(AGGREGATES.map((a) => Type.Literal(a)), { description: 'with a rollup tier: one value per bucket' })),
}, { additionalProperties: false });

export const PointQuery = Type.Object({
  device: Type.String({ minLength: 1, maxLength: 128 }),
  name: Type.String({ minLength: 1, maxLength: 200 }),
  from: Ms('start, ms'),
  to: Ms('end, ms'),
}, { additionalProperties: false });

export const BatchQuery = Type.Object({
  agent: Type.Optional(Type.String({ maxLength: 64 })),
  stream: Type.Optional(Type.Union([Type.Literal('telemetry'), Type.Literal('event')])),
  from: Type.Optional(Ms('sentAt from, ms')),
  to: Type.Optional(Ms('sentAt to, ms')),
}, { additionalProperties: false });

export const PueQuery = Type.Object({
  from: Type.Optional(Ms('period start (aligned down to 15 min)')),
  to: Type.Optional(Ms('period end (aligned up to 15 min)')),
  category: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('2'), Type.Literal('3')], { description: 'ISO/IEC 30134-2 / Green Grid category; default: best the meters allow' })),
}, { additionalProperties: false });

export const Value = Type.Union([Type.Number(), Type.Boolean(), Type.String(), Type.Null()]);

export const SampleSchema = Type.Object({ ts: Type.Integer(), value: Value, q: Type.Integer(), reason: Type.Optional(Type.String()) });
export const LatestSchema = Type.Object({ site: Type.String(), device: Type.String(), name: Type.String(), unit: Type.Optional(Type.String()), ts: Type.Integer(), value: Value, q: Type.Integer(), reason: Type.Optional(Type.String()) });
export const RollupSchema = Type.Object({ bucket: Type.Integer(), min: Type.Union([Type.Number(), Type.Null()]), max: Type.Union([Type.Number(), Type.Null()]), sum: Type.Number(), count: Type.Integer(), first: Type.Union([Type.Number(), Type.Null()]), last: Type.Union([Type.Number(), Type.Null()]), countGood: Type.Integer() });
export const AggregateSchema = Type.Object({ bucket: Type.Integer(), value: Type.Union([Type.Number(), Type.Null()]), count: Type.Integer(), countGood: Type.Integer() });
export const DeltaSchema = Type.Object({ bucket: Type.Integer(), delta: Type.Number(), resets: Type.Integer(), wraps: Type.Integer(), coverage: Type.Number() });
export const PointMetaSchema = Type.Object({ site: Type.String(), device: Type.String(), name: Type.String(), measurement: Type.String(), field: Type.String(), type: Type.String(), counter: Type.Boolean(), unit: Type.Optional(Type.String()), tags: Type.Record(Type.String(), Type.String()) });
export const BatchSchema = Type.Object({ site: Type.String(), agent: Type.String(), stream: Type.String(), epoch: Type.String(), seq: Type.Integer(), sentAt: Type.Integer(), receivedAt: Type.Integer(), count: Type.Integer(), historical: Type.Boolean() });
export const GapSchema = Type.Object({ site: Type.String(), agent: Type.String(), stream: Type.String(), epoch: Type.String(), fromSeq: Type.Integer(), toSeq: Type.Integer(), missing: Type.Integer(), start: Type.Integer(), end: Type.Integer() });
export const KpiRowSchema = Type.Object({ site: Type.String(), scope: Type.String(), scopeId: Type.String(), kpi: Type.String(), category: Type.String(), period: Type.String(), periodStart: Type.Integer(), periodEnd: Type.Integer(), value: Type.Union([Type.Number(), Type.Null()]), coverage: Type.Number(), quality: Type.Integer(), inputs: Type.Record(Type.String(), Type.Unknown()) });

/** Every figure: value with its period, inputs, coverage and quality (never a bare number). */
export const FigureSchema = Type.Object({
  kpi: Type.String(),
  value: Value,
  unit: Type.Optional(Type.String()),
  period: Type.Object({ start: Type.Integer(), end: Type.Integer(), label: Type.String() }),
  inputs: Type.Object({}, { additionalProperties: true }),
  coverage: Type.Number({ minimum: 0, maximum: 1 }),
  quality: Type.Union([Type.Literal('good'), Type.Literal('uncertain'), Type.Literal('bad')]),
  flags: Type.Array(Type.String()),
  status: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
});
export const FigureList = Type.Object({ site: Type.String(), figures: Type.Array(FigureSchema) });
