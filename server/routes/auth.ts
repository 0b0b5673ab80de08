/** Login, logout, the current user, users (admin), API tokens and the audit trail. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ROLES, type Role } from '../../lib/mqtt-contract.js';
import { principalOf, requireRole, SESSION_COOKIE } from '../auth/plugin.js';
import { allows } from '../auth/roles.js';
import { verifyPassword } from '../auth/passwords.js';
import type { Ops } from '../ops.js';
import { errorResponses, IdParams, sendError } from './common.js';

const RoleT = Type.Union(ROLES.map((r) => Type.Literal(r)));
const Username = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$' });
const Login = Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false });
const Me = Type.Object({ id: Type.String(), username: Type.String(), role: RoleT, via: Type.String() });
const User = Type.Object({ id: Type.String(), username: Type.String(), role: RoleT, createdAt: Type.Integer(), disabled: Type.Boolean() });
const NewUser = Type.Object({ username: Username, role: RoleT, password: Type.String({ minLength: 12, maxLength: 256 }) }, { additionalProperties: false });
const PatchUser = Type.Object({ role: Type.Optional(RoleT), disabled: Type.Optional(Type.Boolean()), password: Type.Optional(Type.String({ minLength: 12, maxLength: 256 })) }, { additionalProperties: false });
const NewToken = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }), role: Type.Optional(RoleT), ttlDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })) }, { additionalProperties: false });
const TokenInfo = Type.Object({ id: Type.String(), userId: Type.String(), name: Type.String(), role: RoleT, createdAt: Type.Integer(), expiresAt: Type.Union([Type.Integer(), Type.Null()]), revoked: Type.Boolean() });
const AuditQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 200 })), actor: Type.Optional(Type.String()), action: Type.Optional(Type.String()), since: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: false });

export async function authRoutes(app: FastifyInstance, opts: { ops: Ops; loginMaxPerMin: number; secureCookie: boolean }) {
  const { ops } = opts;
  const tags = ['auth'];

  app.post<{ Body: Static<typeof Login> }>('/api/auth/login', {
    config: { public: true, rateLimit: { max: opts.loginMaxPerMin, timeWindow: 60_000 } },
    schema: { tags, summary: 'Log in; sets the session cookie (HttpOnly, SameSite=Strict)', body: Login, response: { 200: Type.Object({ user: Me, expiresAt: Type.Integer() }), ...errorResponses } },
  }, async (req, reply) => {
    const p = await ops.auth.verifyLogin(req.body.username, req.body.password);
    await ops.repos.audit({ ts: ops.now(), actor: req.body.username, action: 'auth.login', ip: req.ip, ok: Boolean(p) });
    if (!p) return sendError(reply, 401, 'wrong username or password');
    const s = await ops.auth.createSession(p.userId);
    reply.setCookie(SESSION_COOKIE, s.sid, { httpOnly: true, sameSite: 'strict', secure: opts.secureCookie, path: '/', expires: new Date(s.expiresAt) });
    return { user: { id: p.userId, username: p.username, role: p.role, via: 'session' }, expiresAt: s.expiresAt };
  });

  app.post('/api/auth/logout', { schema: { tags, summary: 'End the session', response: { 200: Type.Object({ ok: Type.Boolean() }), ...errorResponses } } }, async (req, reply) => {
    const sid = req.cookies[SESSION_COOKIE];
    if (sid) await ops.auth.endSession(sid);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  app.get('/api/auth/me', { schema: { tags, summary: 'Who am I', response: { 200: Me, ...errorResponses } } }, async (req) => {
    const p = principalOf(req);
    return { id: p.userId, username: p.username, role: p.role, via: p.via };
  });

  app.post<{ Body: { current: string; password: string } }>('/api/auth/password', {
    schema: { tags, summary: 'Change my password', body: Type.Object({ current: Type.String({ maxLength: 256 }), password: Type.String({ minLength: 12, maxLength: 256 }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ ok: Type.Boolean() }), ...errorResponses } },
  }, async (req, reply) => {
    const p = principalOf(req);
    const u = await ops.repos.userById(p.userId);
    if (!u || !(await verifyPassword(req.body.current, u.pw_hash))) return sendError(reply, 403, 'current password is wrong');
    await ops.auth.setPassword(p.userId, req.body.password);
    return { ok: true };
  });

  const admin = requireRole({ min: 'admin' });
  const userOut = (u: { id: string; username: string; role: Role; created_at: number; disabled: boolean }) => ({ id: u.id, username: u.username, role: u.role, createdAt: u.created_at, disabled: u.disabled });

  app.get('/api/users', { preValidation: admin, schema: { tags, summary: 'List users (admin)', response: { 200: Type.Array(User), ...errorResponses } } }, async () => (await ops.repos.listUsers()).map(userOut));

  app.post<{ Body: Static<typeof NewUser> }>('/api/users', { preValidation: admin, schema: { tags, summary: 'Create a user (admin)', body: NewUser, response: { 201: User, ...errorResponses } } }, async (req, reply) => {
    const { id } = await ops.auth.createUser(req.body.username, req.body.role as Role, req.body.password);
    return reply.code(201).send(userOut((await ops.repos.userById(id))!));
  });

  app.patch<{ Params: { id: string }; Body: Static<typeof PatchUser> }>('/api/users/:id', { preValidation: admin, schema: { tags, summary: 'Change role, disable, or set a password (admin)', params: IdParams, body: PatchUser, response: { 200: User, ...errorResponses } } }, async (req, reply) => {
    const u = await ops.repos.userById(req.params.id);
    if (!u) return sendError(reply, 404, `no user '${req.params.id}'`);
    if (req.body.password) await ops.auth.setPassword(u.id, req.body.password);
    await ops.repos.updateUser(u.id, { role: req.body.role as Role | undefined, disabled: req.body.disabled });
    return userOut((await ops.repos.userById(u.id))!);
  });

  app.get('/api/tokens', { schema: { tags, summary: 'List API tokens (admin: all; others: own)', response: { 200: Type.Array(TokenInfo), ...errorResponses } } }, async (req) => {
    const p = principalOf(req);
    const rows = await ops.repos.listTokens(p.role === 'admin' ? undefined : p.userId);
    return rows.map((t) => ({ id: t.id, userId: t.user_id, name: t.name, role: t.role, createdAt: t.created_at, expiresAt: t.expires_at, revoked: t.revoked }));
  });

  app.post<{ Body: Static<typeof NewToken> }>('/api/tokens', { schema: { tags, summary: 'Create an API token for myself; the token is shown once', body: NewToken,
    response: { 201: Type.Object({ id: Type.String(), token: Type.String(), role: RoleT }), ...errorResponses } } }, async (req, reply) => {
    const p = principalOf(req);
    if (p.via === 'token') return sendError(reply, 403, 'tokens cannot create tokens: log in');
    const role = (req.body.role ?? p.role) as Role;
    if (role !== p.role && !allows(p.role, { min: role === 'firedept' ? 'admin' : (role as 'viewer' | 'operator' | 'admin') })) return sendError(reply, 403, `a token's role cannot exceed yours (${p.role})`);
    const t = await ops.auth.createToken(p.userId, req.body.name, role, req.body.ttlDays);
    return reply.code(201).send({ ...t, role });
  });

  app.delete<{ Params: { id: string } }>('/api/tokens/:id', { schema: { tags, summary: 'Revoke a token (own, or any as admin)', params: IdParams, response: { 200: Type.Object({ ok: Type.Boolean() }), ...errorResponses } } }, async (req, reply) => {
    const p = principalOf(req);
    const t = await ops.repos.tokenById(req.params.id);
    if (!t || (t.user_id !== p.userId && p.role !== 'admin')) return sendError(reply, 404, `no token '${req.params.id}'`);
    await ops.repos.revokeToken(t.id);
    return { ok: true };
  });

  app.get<{ Querystring: Static<typeof AuditQuery> }>('/api/audit', { preValidation: admin, schema: { tags, summary: 'Audit trail, newest first (admin)', querystring: AuditQuery,
    response: { 200: Type.Array(Type.Object({ id: Type.Integer(), ts: Type.Integer(), actor: Type.String(), role: Type.Union([Type.String(), Type.Null()]), action: Type.String(),
      target: Type.Union([Type.String(), Type.Null()]), ip: Type.Union([Type.String(), Type.Null()]), ok: Type.Boolean(), detail: Type.Optional(Type.Unknown()) })), ...errorResponses } } },
  async (req) => ops.repos.listAudit({ limit: req.query.limit ?? 200, actor: req.query.actor, action: req.query.action, since: req.query.since }));
}
