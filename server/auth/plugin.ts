/**
 * Authentication on every route unless the route says `config: { public: true }`:
 * a console session cookie (`dcim_session`, HttpOnly, SameSite=Strict) or an API token
 * (`Authorization: Bearer dcim_<id>.<secret>`). 401 when neither resolves; routes check roles
 * with `requireRole` (403). Every mutating request is written to the audit trail with who,
 * what, when and from where, whatever its outcome.
 */
import fp from 'fastify-plugin';
import '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthService } from './service.js';
import type { Repos } from '../records/repos.js';
import { allows, type Principal, type RoleNeed } from './roles.js';

export const SESSION_COOKIE = 'dcim_session';

declare module 'fastify' {
  interface FastifyRequest { principal: Principal | null }
  interface FastifyContextConfig { public?: boolean; audit?: string }
}

export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw Object.assign(new Error('authentication required'), { statusCode: 401 });
  return req.principal;
}

/** Human-readable requirement, e.g. "operator+ or firedept" (used in the OpenAPI document). */
export function describeNeed(need: RoleNeed): string {
  return `${need.min === 'viewer' ? 'any role' : need.min === 'admin' ? 'admin' : `${need.min}+`}${need.also?.length ? ` or ${need.also.join('/')}` : ''}`;
}

export function requireRole(need: RoleNeed) {
  return Object.assign(async (req: FastifyRequest, reply: FastifyReply) => {
    const p = req.principal;
    if (!p) return reply.code(401).send({ statusCode: 401, error: 'Unauthorized', message: 'authentication required' });
    if (!allows(p.role, need)) {
      return reply.code(403).send({ statusCode: 403, error: 'Forbidden', message: `role '${p.role}' may not do this (needs ${describeNeed(need)})` });
    }
  }, { roleNeed: need });
}

export interface AuthPluginOptions { auth: AuthService; repos: Repos; now: () => number }

export const authPlugin = fp(async (app: FastifyInstance, opts: AuthPluginOptions) => {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req, reply) => {
    const header = req.headers.authorization;
    let p: Principal | null = null;
    if (typeof header === 'string' && header.startsWith('Bearer ')) {
      p = await opts.auth.resolveToken(header.slice(7).trim());
    } else {
      const sid = req.cookies?.[SESSION_COOKIE];
      if (sid) p = await opts.auth.resolveSession(sid);
    }
    req.principal = p;
    if (!p && !req.routeOptions.config?.public) {
      return reply.code(401).send({ statusCode: 401, error: 'Unauthorized', message: 'authentication required: log in or send a Bearer token' });
    }
  });
  app.addHook('onResponse', async (req, reply) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return;
    const p = req.principal;
    const params = req.params && typeof req.params === 'object' ? req.params : undefined;
    await opts.repos.audit({
      ts: opts.now(), actor: p?.username ?? 'anonymous', role: p?.role ?? null,
      action: `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`, target: params && Object.keys(params).length ? JSON.stringify(params) : null,
      ip: req.ip, ok: reply.statusCode < 400, detail: { status: reply.statusCode, via: p?.via ?? null },
    }).catch((err: Error) => req.log.error({ err }, 'audit write failed'));
  });
}, { name: 'dcim-auth', dependencies: ['@fastify/cookie'] });
