/**
 * The data plane's HTTP routes as one Fastify plugin: `app.register(dataRoutes, { store })`.
 * Registered by server/app.ts behind authentication (viewer role). Every route has a JSON Schema.
 * Routes: see server/routes/data/README.md.
 */
import type { FastifyPluginAsync } from 'fastify';
import { SIM1, type SiteKpiConfig } from '../kpi/site-config.js';
import type { Store } from '../store/types.js';
import { kpiRoutes } from './data/kpi.js';
import { pointRoutes } from './data/points.js';

export interface DataRoutesOptions {
  store: Store;
  /** Which points feed which figure, per site (default: the simulated site sim1). */
  sites?: SiteKpiConfig[];
  now?: () => number;
}

export const dataRoutes: FastifyPluginAsync<DataRoutesOptions> = async (app, opts) => {
  const now = opts.now ?? Date.now;
  await app.register(pointRoutes, { store: opts.store, now });
  await app.register(kpiRoutes, { store: opts.store, sites: opts.sites ?? [SIM1], now });
};
