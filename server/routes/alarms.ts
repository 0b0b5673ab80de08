/**
 * The alarm list and operator actions. Server alarms change here; edge alarms (the fire
 * sequence) are checked against the model, then sent to the edge as commands (202): their state
 * changes only when the edge reports it back (mirrored).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { principalOf, requireRole } from '../auth/plugin.js';
import type { Principal } from '../auth/roles.js';
import * as isa from '../alarms/isa.js';
import type { Alarm } from '../alarms/isa.js';
import type { CommandKind, Role } from '../../lib/mqtt-contract.js';
import type { Ops } from '../ops.js';
import { Doc, errorResponses, IdParams, sendError } from './common.js';
import { requestReset } from './commands.js';

const ListQuery = Type.Object({
  state: Type.Optional(Type.String({ pattern: '^[A-Z_]+(,[A-Z_]+)*$', description: 'comma-separated ISA-18.2 states' })),
  priority: Type.Optional(Type.Union(['P1', 'P2', 'P3', 'P4'].map((p) => Type.Literal(p)))),
  zone: Type.Optional(Type.String({ maxLength: 64 })),
  all: Type.Optional(Type.Boolean({ description: 'include alarms back to normal' })),
  drill: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });
const Comment = Type.Object({ comment: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false });
const ShelveBody = Type.Object({
  reason: Type.String({ minLength: 3, maxLength: 500 }),
  durationMin: Type.Number({ exclusiveMinimum: 0, maximum: 480, description: 'P2 ≤ 60, P3/P4 ≤ 480; P1 cannot be shelved' }),
  oneShot: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });
const ResetBody = Type.Object({ reason: Type.String({ minLength: 3, maxLength: 500 }) }, { additionalProperties: false });
const Out = Type.Object({ alarm: Doc, command: Type.Optional(Doc), pending: Type.Optional(Doc), needs: Type.Optional(Type.String()) });

export async function alarmRoutes(app: FastifyInstance, opts: { ops: Ops }) {
  const { ops } = opts;
  const tags = ['alarms'];
  const operator = requireRole({ min: 'operator' });

  const find = (id: string, reply: FastifyReply): Alarm | null => {
    const a = ops.alarms.get(id);
    if (!a) { void sendError(reply, 404, `no alarm '${id}'`); return null; }
    return a;
  };
  const toEdge = async (a: Alarm, kind: CommandKind, p: Principal, reply: FastifyReply, reason?: string, args?: Record<string, unknown>) => {
    if (!a.agent) return sendError(reply, 409, `edge alarm ${a.id} has no agent`);
    const command = await ops.commands.issue({ kind, site: a.site, agent: a.agent, zone: a.zone, target: a.edgeId, reason, args, actors: [{ user: p.username, role: p.role as Role }], alarmId: a.id });
    return reply.code(202).send({ alarm: a, command });
  };

  app.get<{ Querystring: Static<typeof ListQuery> }>('/api/alarms', { schema: { tags, summary: 'Alarm list ordered by class, priority, time (FS-24)', querystring: ListQuery,
    response: { 200: Type.Array(Doc), ...errorResponses } } }, async (req) =>
    ops.alarms.list({ states: req.query.state?.split(','), priority: req.query.priority, zone: req.query.zone, includeNormal: req.query.all, drill: req.query.drill }));

  app.get('/api/alarms/summary', { schema: { tags, summary: 'Counts by priority and state, flood state, KPIs', response: { 200: Doc, ...errorResponses } } }, async () => {
    const list = ops.alarms.list();
    const by = (f: (a: Alarm) => string) => list.reduce<Record<string, number>>((o, a) => { o[f(a)] = (o[f(a)] ?? 0) + 1; return o; }, {});
    const old = list.filter((a) => isa.isAnnunciated(a.state) && ops.now() - (a.activeSince ?? a.firstAt) > 86_400_000).length;
    return { total: list.length, byPriority: by((a) => a.priority), byState: by((a) => a.state), unacked: list.filter((a) => isa.isUnacked(a.state)).length,
      flood: ops.alarms.floodState(), standingOver24h: old, kpi: ops.alarms.kpi };
  });

  app.get<{ Params: { id: string } }>('/api/alarms/:id', { schema: { tags, summary: 'One alarm', params: IdParams, response: { 200: Doc, ...errorResponses } } }, async (req, reply) => find(req.params.id, reply) ?? reply);

  app.post<{ Params: { id: string }; Body: Static<typeof Comment> }>('/api/alarms/:id/ack', { preValidation: requireRole({ min: 'operator', also: ['firedept'] }), schema: { tags, summary: 'Acknowledge', params: IdParams, body: Comment,
    response: { 200: Out, 202: Out, ...errorResponses } } }, async (req, reply) => {
    const a = find(req.params.id, reply); if (!a) return reply;
    const p = principalOf(req);
    if (a.source === 'edge') { ops.alarms.precheck(a.id, (x) => isa.acknowledge(x, p.username, ops.now())); return toEdge(a, 'ack', p, reply, req.body?.comment); }
    return { alarm: ops.alarms.ack(a.id, { username: p.username, role: p.role }) };
  });

  app.post<{ Params: { id: string } }>('/api/alarms/:id/silence', { preValidation: requireRole({ min: 'operator', also: ['firedept'] }), schema: { tags, summary: 'Silence the audible signal (not an acknowledgement)', params: IdParams,
    response: { 200: Out, 202: Out, ...errorResponses } } }, async (req, reply) => {
    const a = find(req.params.id, reply); if (!a) return reply;
    const p = principalOf(req);
    if (a.source === 'edge') { ops.alarms.precheck(a.id, (x) => isa.silence(x, ops.now())); return toEdge(a, 'silence', p, reply); }
    return { alarm: ops.alarms.silence(a.id, { username: p.username, role: p.role }) };
  });

  app.post<{ Params: { id: string }; Body: Static<typeof ShelveBody> }>('/api/alarms/:id/shelve', { preValidation: operator, schema: { tags,
    summary: 'Shelve with reason and expiry (P1 never; P2 ≤ 1 h; P3/P4 ≤ 8 h)', params: IdParams, body: ShelveBody, response: { 200: Out, 202: Out, ...errorResponses } } }, async (req, reply) => {
    const a = find(req.params.id, reply); if (!a) return reply;
    const p = principalOf(req);
    const ms = req.body.durationMin * 60_000;
    if (ms > isa.maxShelveMs(a.priority) && !(a.lifeSafety || a.priority === 'P1')) {
      return sendError(reply, 400, `body.durationMin: a ${a.priority} alarm can be shelved for at most ${isa.maxShelveMs(a.priority) / 60_000} min`, { path: 'body.durationMin' });
    }
    if (a.source === 'edge') {
      ops.alarms.precheck(a.id, (x) => isa.shelve(x, { by: p.username, role: p.role, reason: req.body.reason, durationMs: ms, oneShot: req.body.oneShot }, ops.now()));
      return toEdge(a, 'shelve', p, reply, req.body.reason, { expiresAt: ops.now() + ms, oneShot: req.body.oneShot ?? false });
    }
    return { alarm: ops.alarms.shelve(a.id, { username: p.username, role: p.role }, req.body.reason, ms, req.body.oneShot) };
  });

  app.post<{ Params: { id: string } }>('/api/alarms/:id/unshelve', { preValidation: operator, schema: { tags, summary: 'Unshelve', params: IdParams, response: { 200: Out, 202: Out, ...errorResponses } } }, async (req, reply) => {
    const a = find(req.params.id, reply); if (!a) return reply;
    const p = principalOf(req);
    if (a.source === 'edge') { ops.alarms.precheck(a.id, (x) => isa.unshelve(x, ops.now())); return toEdge(a, 'unshelve', p, reply); }
    return { alarm: ops.alarms.unshelve(a.id, { username: p.username, role: p.role }) };
  });

  app.post<{ Params: { id: string }; Body: Static<typeof ResetBody> }>('/api/alarms/:id/reset', { preValidation: requireRole({ min: 'admin' }), schema: { tags,
    summary: 'Reset a latched alarm (admin, FS-23): refused while active or unacknowledged. Edge alarms reset through the zone reset (two people at stage ≥ 3)', params: IdParams, body: ResetBody,
    response: { 200: Out, 202: Out, ...errorResponses } } }, async (req, reply) => {
    const a = find(req.params.id, reply); if (!a) return reply;
    const p = principalOf(req);
    if (a.source === 'edge') {
      ops.alarms.precheck(a.id, (x) => isa.reset(x, ops.now()));
      if (!a.zone || !a.agent) return sendError(reply, 409, `edge alarm ${a.id} has no zone to reset`);
      const r = await requestReset(ops, p, { zone: a.zone, reason: req.body.reason, target: a.edgeId, site: a.site, agent: a.agent });
      return reply.code(202).send({ alarm: a, ...r });
    }
    return { alarm: ops.alarms.reset(a.id, { username: p.username, role: p.role }) };
  });

  app.post<{ Params: { id: string }; Body: { permitId: string; durationMin: number; reason: string } }>('/api/alarms/:id/out-of-service', { preValidation: operator, schema: { tags,
    summary: 'Out of service through a bypass permit (server alarms; edge channels use the bypass.start command)', params: IdParams,
    body: Type.Object({ permitId: Type.String({ minLength: 1, maxLength: 64 }), durationMin: Type.Number({ exclusiveMinimum: 0, maximum: 240 }), reason: Type.String({ minLength: 3, maxLength: 500 }) }, { additionalProperties: false }),
    response: { 200: Out, ...errorResponses } } }, async (req, reply) => {
    const a = find(req.params.id, reply); if (!a) return reply;
    if (a.source === 'edge') return sendError(reply, 409, 'edge alarms go out of service only through a bypass permit at the edge: POST /api/commands {kind: "bypass.start"}');
    const p = principalOf(req);
    return { alarm: ops.alarms.outOfService(a.id, { username: p.username, role: p.role }, req.body.permitId, ops.now() + req.body.durationMin * 60_000) };
  });

  app.post<{ Params: { id: string } }>('/api/alarms/:id/in-service', { preValidation: operator, schema: { tags, summary: 'End an out-of-service permit (server alarms)', params: IdParams, response: { 200: Out, ...errorResponses } } }, async (req, reply) => {
    const a = find(req.params.id, reply); if (!a) return reply;
    if (a.source === 'edge') return sendError(reply, 409, 'edge alarms return to service through bypass.end at the edge');
    const p = principalOf(req);
    return { alarm: ops.alarms.returnToService(a.id, { username: p.username, role: p.role }) };
  });
}
