/** Status, dependencies, fire zones, site power cut, notifications, health. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { principalOf, requireRole } from '../auth/plugin.js';
import type { Ops } from '../ops.js';
import { Doc, errorResponses, IdParams, sendError } from './common.js';

const Node = Type.Object({ id: Type.String(), kind: Type.String(), name: Type.Optional(Type.String()), status: Type.String(), reason: Type.String(),
  cause: Type.Union([Type.String(), Type.Null()]), since: Type.Number(), owners: Type.Array(Type.String()), dependsOn: Type.Array(Type.String()) });
const Maint = Type.Object({ on: Type.Boolean(), reason: Type.String({ minLength: 3, maxLength: 500 }), untilMin: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 7 * 24 * 60 })) }, { additionalProperties: false });
const PowerCut = Type.Object({ planned: Type.Boolean(), reason: Type.String({ minLength: 3, maxLength: 500 }), incidentId: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false });
const ZoneParams = Type.Object({ zone: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }) }, { additionalProperties: false });

export async function statusRoutes(app: FastifyInstance, opts: { ops: Ops }) {
  const { ops } = opts;

  app.get('/api/status', { schema: { tags: ['status'], summary: 'Every node with Up / Warning / Down / Maintenance / Unknown', response: { 200: Type.Array(Node), ...errorResponses } } }, async () => ops.status.list());

  app.get<{ Params: { id: string } }>('/api/status/:id', { schema: { tags: ['status'], summary: 'One node', params: IdParams, response: { 200: Node, ...errorResponses } } }, async (req, reply) =>
    ops.status.get(req.params.id) ?? sendError(reply, 404, `no status node '${req.params.id}'`));

  app.get<{ Params: { id: string } }>('/api/status/:id/why', { schema: { tags: ['status'], summary: 'Why is this node not Up: its reason and the upstream chain', params: IdParams,
    response: { 200: Type.Object({ id: Type.String(), status: Type.String(), reason: Type.String(), rootCauses: Type.Array(Doc), chain: Type.Array(Doc) }), ...errorResponses } } }, async (req, reply) => {
    if (!ops.status.nodes.has(req.params.id)) return sendError(reply, 404, `no status node '${req.params.id}'`);
    return ops.status.explain(req.params.id);
  });

  app.get<{ Params: { id: string } }>('/api/status/:id/impact', { schema: { tags: ['status'], summary: 'What is affected if this node fails (what-if)', params: IdParams,
    response: { 200: Type.Object({ id: Type.String(), affected: Type.Array(Doc) }), ...errorResponses } } }, async (req, reply) => {
    if (!ops.status.nodes.has(req.params.id)) return sendError(reply, 404, `no status node '${req.params.id}'`);
    return { id: req.params.id, affected: ops.status.whatIf(req.params.id) };
  });

  app.post<{ Params: { id: string }; Body: Static<typeof Maint> }>('/api/status/:id/maintenance', { preValidation: requireRole({ min: 'admin' }), schema: { tags: ['status'],
    summary: 'Put a node in (or out of) Maintenance for an approved change window (admin)', params: IdParams, body: Maint, response: { 200: Node, ...errorResponses } } }, async (req, reply) => {
    if (!ops.status.nodes.has(req.params.id)) return sendError(reply, 404, `no status node '${req.params.id}'`);
    const p = principalOf(req);
    ops.status.setMaintenance(req.params.id, req.body.on ? { by: p.username, reason: req.body.reason, until: req.body.untilMin ? ops.now() + req.body.untilMin * 60_000 : undefined } : null);
    return ops.status.get(req.params.id)!;
  });

  app.post<{ Body: Static<typeof PowerCut> }>('/api/site/power-cut', { preValidation: requireRole({ min: 'operator', also: ['firedept'] }), schema: { tags: ['status', 'incidents'],
    summary: 'Record a building power cut (R41): dependents go Unknown with reason planned-cut, no Down notifications', body: PowerCut, response: { 200: Doc, ...errorResponses } } }, async (req) => {
    const p = principalOf(req);
    if (req.body.planned) ops.status.setPlannedCut({ since: ops.now(), by: p.username, reason: req.body.reason });
    const inc = req.body.incidentId ? ops.incidents.get(req.body.incidentId) : ops.incidents.list({ open: true })[0];
    if (inc) await ops.incidents.powerCut(inc.id, p.username, req.body.reason, req.body.planned);
    return { plannedCut: ops.status.plannedCut, incidentId: inc?.id ?? null };
  });

  app.post('/api/site/power-restored', { preValidation: requireRole({ min: 'operator', also: ['firedept'] }), schema: { tags: ['status'], summary: 'End a recorded power cut', response: { 200: Doc, ...errorResponses } } }, async () => {
    ops.status.setPlannedCut(null);
    return { plannedCut: null };
  });

  app.get('/api/fire-zones', { schema: { tags: ['fire'], summary: 'Fire zones as the edge reports them (stage, fire-department control)', response: { 200: Type.Array(Doc), ...errorResponses } } }, async () => ops.fire.list());

  app.get<{ Params: { zone: string } }>('/api/fire-zones/:zone', { schema: { tags: ['fire'], summary: 'One fire zone with its timeline', params: ZoneParams, response: { 200: Doc, ...errorResponses } } }, async (req, reply) =>
    ops.fire.get(undefined, req.params.zone) ?? sendError(reply, 404, `no fire zone '${req.params.zone}' reported yet`));

  app.get<{ Querystring: { subjectId?: string; limit?: number } }>('/api/notifications', { schema: { tags: ['notify'], summary: 'Delivery attempts, newest first',
    querystring: Type.Object({ subjectId: Type.Optional(Type.String({ maxLength: 128 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })) }, { additionalProperties: false }),
    response: { 200: Type.Array(Doc), ...errorResponses } } }, async (req) => ops.repos.notifications({ subjectId: req.query.subjectId, limit: req.query.limit ?? 200 }));

  app.get('/api/health', { config: { public: true }, schema: { tags: ['health'], summary: 'Liveness and counters (no secrets)', response: { 200: Doc } } }, async () => ({
    ok: true, ts: ops.now(), counters: ops.counters, stream: ops.hub.stats, notify: ops.notify.stats, commands: ops.commands.stats, statusEvaluations: ops.status.evaluations,
  }));
}
