/** Sites, devices, points (latest, history raw or rollup with aggregate), counter deltas, batches and gaps. */
import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import { sumDeltas } from '../../kpi/counters.js';
import { TIER_MS, type Store } from '../../store/types.js';
import {
  AggregateSchema, BatchQuery, BatchSchema, DeltaSchema, DeviceParams, errors, GapSchema, HistoryQuery, KpiRowSchema, LatestQuery,
  LatestSchema, PointMetaSchema, PointQuery, RangeQuery, RollupSchema, SampleSchema, SiteParams,
} from './schemas.js';

/** Longest raw range one request may read (7 days); longer periods use a rollup tier. */
export const MAX_RAW_RANGE_MS = 7 * 86_400_000;

type Q<T> = { Querystring: T };

export const pointRoutes: FastifyPluginAsync<{ store: Store; now: () => number }> = async (app, { store, now }) => {
  const bad = (message: string) => ({ statusCode: 400, error: 'Bad Request', message });
  const notFound = (message: string) => ({ statusCode: 404, error: 'Not Found', message });

  app.get('/api/sites', {
    schema: { tags: ['data'], summary: 'sites with stored points', response: { 200: Type.Array(Type.Object({ site: Type.String(), devices: Type.Integer(), points: Type.Integer() })) } },
  }, async () => {
    const by = new Map<string, { devices: Set<string>; points: number }>();
    for (const m of store.points()) {
      let s = by.get(m.site);
      if (!s) by.set(m.site, (s = { devices: new Set(), points: 0 }));
      s.devices.add(m.device);
      s.points++;
    }
    return [...by].map(([site, s]) => ({ site, devices: s.devices.size, points: s.points }));
  });

  app.get<{ Params: { site: string } }>('/api/sites/:site/devices', {
    schema: { tags: ['data'], summary: 'devices of a site', params: SiteParams, response: { 200: Type.Array(Type.Object({ device: Type.String(), measurement: Type.String(), points: Type.Integer() })), ...errors } },
  }, async (req, reply) => {
    const by = new Map<string, { measurement: string; points: number }>();
    for (const m of store.points({ site: req.params.site })) {
      const d = by.get(m.device) ?? { measurement: m.measurement.replace(/_(rack|module)$/, ''), points: 0 };
      d.points++;
      by.set(m.device, d);
    }
    if (!by.size) return reply.code(404).send(notFound(`no devices stored for site ${req.params.site}`));
    return [...by].map(([device, d]) => ({ device, ...d }));
  });

  app.get<{ Params: { site: string; device: string } }>('/api/sites/:site/devices/:device/points', {
    schema: { tags: ['data'], summary: 'point registry of a device', params: DeviceParams, response: { 200: Type.Array(PointMetaSchema), ...errors } },
  }, async (req, reply) => {
    const pts = store.points({ site: req.params.site, device: req.params.device });
    if (!pts.length) return reply.code(404).send(notFound(`no points stored for ${req.params.site}/${req.params.device}`));
    return pts;
  });

  app.get<{ Params: { site: string } } & Q<{ device?: string; name?: string[] }>>('/api/sites/:site/points/latest', {
    schema: { tags: ['data'], summary: 'latest value of points, with quality', params: SiteParams, querystring: LatestQuery, response: { 200: Type.Array(LatestSchema), ...errors } },
  }, async (req) => {
    const q: { site: string; device?: string; names?: string[] } = { site: req.params.site };
    if (req.query.device) q.device = req.query.device;
    if (req.query.name) q.names = req.query.name;
    return store.latest(q);
  });

  app.get<{ Params: { site: string } } & Q<{ device: string; name: string; from: number; to: number; tier: 'raw' | '1m' | '15m' | '1h' | '1d'; agg?: 'min' | 'max' | 'mean' | 'sum' | 'count' | 'first' | 'last' | 'count_good' }>>('/api/sites/:site/points/history', {
    schema: {
      tags: ['data'], summary: 'history of one point: raw samples, rollup rows, or one aggregate per bucket', params: SiteParams, querystring: HistoryQuery,
      response: { 200: Type.Object({ tier: Type.String(), agg: Type.Optional(Type.String()), samples: Type.Optional(Type.Array(SampleSchema)), rollups: Type.Optional(Type.Array(RollupSchema)), values: Type.Optional(Type.Array(AggregateSchema)) }), ...errors },
    },
  }, async (req, reply) => {
    const { device, name, from, to, tier, agg } = req.query;
    const key = { site: req.params.site, device, name };
    if (to <= from) return reply.code(400).send(bad('querystring.to: must be after from'));
    if (!store.points({ site: key.site, device }).some((m) => m.name === name)) return reply.code(404).send(notFound(`no point ${key.site}/${device}/${name}`));
    if (tier === 'raw') {
      if (agg) return reply.code(400).send(bad('querystring.agg: needs a rollup tier (1m, 15m, 1h, 1d)'));
      if (to - from > MAX_RAW_RANGE_MS) return reply.code(400).send(bad(`querystring: raw range is limited to ${MAX_RAW_RANGE_MS / 86_400_000} days; use tier=1m or coarser`));
      return { tier, samples: await store.raw(key, from, to) };
    }
    if (agg) return { tier, agg, values: await store.aggregate(key, tier, from, to, agg) };
    return { tier, rollups: await store.rollups(key, tier, from, to) };
  });

  app.get<{ Params: { site: string } } & Q<{ device: string; name: string; from: number; to: number }>>('/api/sites/:site/counters/deltas', {
    schema: {
      tags: ['data'], summary: '15-min energy deltas of a counter with wraps, resets and coverage (R05)', params: SiteParams, querystring: PointQuery,
      response: { 200: Type.Object({ period: Type.Object({ start: Type.Integer(), end: Type.Integer() }), total: Type.Number(), coverage: Type.Number(), resets: Type.Integer(), wraps: Type.Integer(), rows: Type.Array(DeltaSchema) }), ...errors },
    },
  }, async (req, reply) => {
    const { device, name } = req.query;
    const m = store.points({ site: req.params.site, device }).find((x) => x.name === name);
    if (!m) return reply.code(404).send(notFound(`no point ${req.params.site}/${device}/${name}`));
    if (!m.counter) return reply.code(400).send(bad(`querystring.name: ${name} is not a counter`));
    const M15 = TIER_MS['15m'];
    const from = Math.floor(req.query.from / M15) * M15;
    const to = Math.ceil(req.query.to / M15) * M15;
    if (to <= from) return reply.code(400).send(bad('querystring.to: must be after from'));
    const rows = await store.counterDeltas({ site: req.params.site, device, name }, from, to);
    const s = sumDeltas(rows, from, to, M15);
    return { period: { start: from, end: to }, total: s.delta, coverage: s.coverage, resets: s.resets, wraps: s.wraps, rows };
  });

  app.get<{ Params: { site: string } } & Q<{ agent?: string; stream?: 'telemetry' | 'event'; from?: number; to?: number }>>('/api/sites/:site/batches', {
    schema: { tags: ['data'], summary: 'received batch records (R42)', params: SiteParams, querystring: BatchQuery, response: { 200: Type.Array(BatchSchema), ...errors } },
  }, async (req) => store.batches({ site: req.params.site, ...req.query, from: req.query.from ?? now() - 3_600_000 }));

  app.get<{ Params: { site: string } } & Q<{ agent?: string; stream?: 'telemetry' | 'event'; from?: number; to?: number }>>('/api/sites/:site/gaps', {
    schema: { tags: ['data'], summary: 'sequence gaps of the agents\' streams, with start and end time (R42)', params: SiteParams, querystring: BatchQuery, response: { 200: Type.Array(GapSchema), ...errors } },
  }, async (req) => store.gaps({ site: req.params.site, ...req.query, from: req.query.from ?? now() - 86_400_000 }));

  app.get<{ Params: { site: string } } & Q<{ from?: number; to?: number }>>('/api/sites/:site/kpis', {
    schema: { tags: ['data'], summary: 'stored KPI rows (computed figures written back)', params: SiteParams, querystring: RangeQuery, response: { 200: Type.Array(KpiRowSchema), ...errors } },
  }, async (req) => {
    const q: { site: string; from?: number; to?: number } = { site: req.params.site };
    if (req.query.from !== undefined) q.from = req.query.from;
    if (req.query.to !== undefined) q.to = req.query.to;
    return store.kpis(q);
  });
};
