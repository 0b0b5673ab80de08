/**
 * The server as a Fastify plugin (STYLE.md lesson 15): ecosystem plugins first (cookie, rate
 * limit, OpenAPI), then ours (auth, error handler), then routes. `main.ts` owns the process.
 * Data routes (server/routes/data.ts, the data plane) are registered when a store is given,
 * behind authentication, for the viewer role and above.
 */
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import { authPlugin, describeNeed, requireRole } from './auth/plugin.js';
import type { RoleNeed } from './auth/roles.js';
import { errorHandler } from './routes/common.js';
import { authRoutes } from './routes/auth.js';
import { alarmRoutes } from './routes/alarms.js';
import { commandRoutes } from './routes/commands.js';
import { incidentRoutes } from './routes/incidents.js';
import { statusRoutes } from './routes/status.js';
import { streamRoutes } from './routes/stream.js';
import type { Ops } from './ops.js';

export interface AppOptions {
  ops: Ops;
  /** The data plane's store (server/store createStore); with `dataRoutes`, registers the data routes. */
  store?: unknown;
  dataRoutes?: FastifyPluginAsync<{ store: never }>;
  /** The console (issue 7) as a plugin; its routes mark `config: { public: true }` where no login is needed. */
  consolePlugin?: FastifyPluginAsync;
}

export const app: FastifyPluginAsync<AppOptions> = async (fastify, opts) => {
  const { ops } = opts;
  const cfg = ops.config;
  await fastify.register(cookie);
  // @fastify/rate-limit: per-route limits (login only), standard 429 + Retry-After headers, and a
  // pluggable store (Redis) for several replicas — more than a hand-written counter would give.
  await fastify.register(rateLimit, { global: false, keyGenerator: (req) => req.ip });
  await fastify.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'dcim server API', version: '1', description: 'Operational API: auth, alarms, status, incidents, commands to the edge, live stream. Authentication: session cookie `dcim_session` (POST /api/auth/login) or `Authorization: Bearer <token>`.' },
      components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'dcim_session' }, bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ session: [] }, { bearer: [] }],
    },
  });
  fastify.setErrorHandler(errorHandler);
  fastify.setNotFoundHandler((req, reply) => reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `no route ${req.method} ${req.url.split('?')[0]}` }));
  await fastify.register(authPlugin, { auth: ops.auth, repos: ops.repos, now: ops.now });

  // Each operation's description states who may call it (read by the console and the README table).
  fastify.addHook('onRoute', (route) => {
    if (!route.schema || (route.schema as { hide?: boolean }).hide) return;
    const pv = ([] as unknown[]).concat(route.preValidation ?? []).find((f) => typeof f === 'function' && 'roleNeed' in (f as object)) as { roleNeed: RoleNeed } | undefined;
    const who = route.config?.public ? 'public' : pv ? describeNeed(pv.roleNeed) : 'any role';
    route.schema = { ...route.schema, description: `Role: ${who}.${route.schema.description ? ` ${route.schema.description}` : ''}` };
  });
  fastify.get('/api/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => fastify.swagger());
  await fastify.register(authRoutes, { ops, loginMaxPerMin: cfg.auth?.loginMaxPerMin ?? 10, secureCookie: cfg.auth?.secureCookie ?? false });
  await fastify.register(alarmRoutes, { ops });
  await fastify.register(commandRoutes, { ops });
  await fastify.register(incidentRoutes, { ops });
  await fastify.register(statusRoutes, { ops });
  await fastify.register(streamRoutes, { ops });
  if (opts.store !== undefined && opts.dataRoutes) {
    const dataRoutes = opts.dataRoutes;
    await fastify.register(async (scope) => {
      scope.addHook('preValidation', requireRole({ min: 'viewer' }));
      await scope.register(dataRoutes, { store: opts.store as never });
    });
  }
  if (opts.consolePlugin) await fastify.register(opts.consolePlugin);
};

/** A ready Fastify instance with the app registered (tests use `inject`; main.ts listens). */
export async function buildApp(opts: AppOptions & { logger?: FastifyServerOptions['logger'] | FastifyServerOptions['loggerInstance'] }): Promise<FastifyInstance> {
  const { logger, ...appOpts } = opts;
  const fastify = Fastify({
    ...(logger && typeof logger === 'object' && 'child' in logger ? { loggerInstance: logger as FastifyServerOptions['loggerInstance'] } : { logger: (logger as FastifyServerOptions['logger']) ?? false }),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
    bodyLimit: 1024 * 1024,
    trustProxy: false,
    forceCloseConnections: true,
  });
  await fastify.register(app, appOpts);
  await fastify.ready();
  return fastify;
}
