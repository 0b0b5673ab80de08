/** Building and energy figures, each with period, inputs, coverage and quality. */
import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import { MissingMetersError } from '../../kpi/pue.js';
import { chillerFigure, pueFigure, ppueFigures } from '../../kpi/service-energy.js';
import { circuitFigures, feedFigures, upsEventsFigure, upsN1Figure, upsStatusFigures } from '../../kpi/service-power.js';
import { bmsFigures, envelopeFigures, tankFigure } from '../../kpi/service-rooms.js';
import type { SiteKpiConfig } from '../../kpi/site-config.js';
import type { Figure } from '../../kpi/figure.js';
import type { Store } from '../../store/types.js';
import { DeviceParams, errors, FigureList, FigureSchema, PueQuery, RangeQuery, SiteParams } from './schemas.js';

type Site = { Params: { site: string } };
type Range = { Querystring: { from?: number; to?: number } };

export const kpiRoutes: FastifyPluginAsync<{ store: Store; sites: SiteKpiConfig[]; now: () => number }> = async (app, { store, sites, now }) => {
  const cfgOf = (site: string): SiteKpiConfig | null => sites.find((s) => s.site === site) ?? null;
  const noSite = (site: string) => ({ statusCode: 404, error: 'Not Found', message: `no KPI configuration for site ${site}` });
  const range = (q: { from?: number; to?: number }): { from: number; to: number } => {
    const to = q.to ?? now();
    return { from: q.from ?? to - 86_400_000, to };
  };
  const list = (site: string, figures: Array<Figure<unknown> | null>) => ({ site, figures: figures.filter((f): f is Figure<unknown> => f !== null) });

  app.get<Site & { Querystring: { from?: number; to?: number; category?: '1' | '2' | '3' } }>('/api/sites/:site/kpi/pue', {
    schema: { tags: ['kpi'], summary: 'PUE from meter counters over a stated period: ratio of sums, category, coverage (R01–R05); stored as a KPI row', params: SiteParams, querystring: PueQuery, response: { 200: FigureSchema, ...errors } },
  }, async (req, reply) => {
    const cfg = cfgOf(req.params.site);
    if (!cfg) return reply.code(404).send(noSite(req.params.site));
    const { from, to } = range(req.query);
    if (to <= from) return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: 'querystring.to: must be after from' });
    try {
      const f = await pueFigure(store, cfg, req.query.category ? { from, to, category: req.query.category } : { from, to });
      await store.writeKpis([{
        site: cfg.site, scope: 'site', scopeId: cfg.site, kpi: 'pue', category: String(f.inputs.category), period: f.period.label,
        periodStart: f.period.start, periodEnd: f.period.end, value: f.value, coverage: f.coverage, quality: f.quality === 'good' ? 0 : f.quality === 'uncertain' ? 1 : 2,
        inputs: { e_dc_kwh: f.inputs.e_dc_kwh as number, e_it_kwh: f.inputs.e_it_kwh as number, flags: f.flags.join(',') },
      }]);
      return f;
    } catch (err) {
      if (err instanceof MissingMetersError) return reply.code(422).send({ statusCode: 422, error: 'Unprocessable Entity', message: err.message, missing: err.missing });
      throw err;
    }
  });

  app.get<Site & Range>('/api/sites/:site/kpi/ppue', {
    schema: { tags: ['kpi'], summary: 'partial PUE per zone (R06)', params: SiteParams, querystring: RangeQuery, response: { 200: FigureList, ...errors } },
  }, async (req, reply) => {
    const cfg = cfgOf(req.params.site);
    if (!cfg) return reply.code(404).send(noSite(req.params.site));
    return list(cfg.site, await ppueFigures(store, cfg, range(req.query)));
  });

  app.get<Site>('/api/sites/:site/kpi/chiller', {
    schema: { tags: ['kpi'], summary: 'chiller COP and kW/ton, live (R08)', params: SiteParams, response: { 200: FigureList, ...errors } },
  }, async (req, reply) => {
    const cfg = cfgOf(req.params.site);
    if (!cfg) return reply.code(404).send(noSite(req.params.site));
    return list(cfg.site, [await chillerFigure(store, cfg, now())]);
  });

  app.get<Site>('/api/sites/:site/kpi/ashrae', {
    schema: { tags: ['kpi'], summary: 'rack inlet ASHRAE class with dew point (R09, R10)', params: SiteParams, response: { 200: FigureList, ...errors } },
  }, async (req, reply) => {
    const cfg = cfgOf(req.params.site);
    if (!cfg) return reply.code(404).send(noSite(req.params.site));
    return list(cfg.site, await envelopeFigures(store, cfg, now()));
  });

  app.get<Site>('/api/sites/:site/kpi/ups', {
    schema: { tags: ['kpi'], summary: 'UPS status, liveness (stale/dead) and the N-1 check over the zones (R12, R14, R16)', params: SiteParams, response: { 200: FigureList, ...errors } },
  }, async (req, reply) => {
    const cfg = cfgOf(req.params.site);
    if (!cfg) return reply.code(404).send(noSite(req.params.site));
    const t = now();
    return list(cfg.site, [...(await upsStatusFigures(store, cfg, t)), await upsN1Figure(store, cfg, t)]);
  });

  app.get<{ Params: { site: string; device: string } } & Range>('/api/sites/:site/kpi/ups/:device/events', {
    schema: { tags: ['kpi'], summary: 'UPS events from status transitions (R13)', params: DeviceParams, querystring: RangeQuery, response: { 200: FigureSchema, ...errors } },
  }, async (req, reply) => {
    const cfg = cfgOf(req.params.site);
    if (!cfg) return reply.code(404).send(noSite(req.params.site));
    const { from, to } = range(req.query);
    return upsEventsFigure(store, cfg, req.params.device, from, to);
  });

  app.get<{ Params: { site: string; device: string }; Querystring: { camera?: string } }>('/api/sites/:site/kpi/bms/:device', {
    schema: {
      tags: ['kpi'], summary: 'battery racks: max over fresh modules, spread, freshness, thermal rise, camera fusion (R17–R19)', params: DeviceParams,
      querystring: Type.Object({ camera: Type.Optional(Type.String({ maxLength: 128, description: 'camera device over this room, e.g. cam-br1' })) }, { additionalProperties: false }),
      response: { 200: FigureList, ...errors },
    },
  }, async (req, reply) => {
    const cfg = cfgOf(req.params.site);
    if (!cfg) return reply.code(404).send(noSite(req.params.site));
    return list(cfg.site, await bmsFigures(store, cfg, req.params.device, now(), req.query.camera));
  });

  app.get<Site>('/api/sites/:site/kpi/tank', {
    schema: { tags: ['kpi'], summary: 'buffer tank remaining cold energy and live ride-through (R21, R22)', params: SiteParams, response: { 200: FigureList, ...errors } },
  }, async (req, reply) => {
    const cfg = cfgOf(req.params.site);
    if (!cfg) return reply.code(404).send(noSite(req.params.site));
    return list(cfg.site, [await tankFigure(store, cfg, now())]);
  });

  app.get<Site & Range>('/api/sites/:site/kpi/feeds', {
    schema: { tags: ['kpi'], summary: 'utility feeds: state, availability, transfers with durations, redundancy lost, N+N headroom (R23–R26)', params: SiteParams, querystring: RangeQuery, response: { 200: FigureSchema, ...errors } },
  }, async (req, reply) => {
    const cfg = cfgOf(req.params.site);
    if (!cfg) return reply.code(404).send(noSite(req.params.site));
    const { from, to } = range(req.query);
    return feedFigures(store, cfg, from, to, now());
  });

  app.get<Site>('/api/sites/:site/kpi/circuits', {
    schema: { tags: ['kpi'], summary: 'A/B rack circuits that would overload the survivor (R27)', params: SiteParams, response: { 200: FigureList, ...errors } },
  }, async (req, reply) => {
    const cfg = cfgOf(req.params.site);
    if (!cfg) return reply.code(404).send(noSite(req.params.site));
    return list(cfg.site, await circuitFigures(store, cfg, now()));
  });
};
