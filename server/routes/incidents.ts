/** Incidents (R35, R36, R41), their append-only journal, drills (R40) and incident KPIs. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { principalOf, requireRole } from '../auth/plugin.js';
import { ROLE_NAMES, STEPS, type IncidentRole, type Step } from '../incidents/model.js';
import type { Ops } from '../ops.js';
import { Doc, errorResponses, IdParams, sendError } from './common.js';

const Grade = Type.Integer({ minimum: 1, maximum: 3, description: '1 most severe' });
const Declare = Type.Object({ title: Type.String({ minLength: 3, maxLength: 300 }), grade: Grade, zone: Type.Optional(Type.String({ maxLength: 64 })),
  drill: Type.Optional(Type.Boolean()), step: Type.Optional(Type.Union([Type.Literal('detect'), Type.Literal('declared')])) }, { additionalProperties: false });
const StepBody = Type.Object({ step: Type.Union(STEPS.map((s) => Type.Literal(s))) }, { additionalProperties: false });
const GradeBody = Type.Object({ grade: Grade, reason: Type.String({ minLength: 3, maxLength: 500 }) }, { additionalProperties: false });
const RolesBody = Type.Object(Object.fromEntries(ROLE_NAMES.map((r) => [r, Type.Optional(Type.String({ minLength: 1, maxLength: 64 }))])), { additionalProperties: false, minProperties: 1 });
const JournalBody = Type.Object({ text: Type.String({ minLength: 1, maxLength: 5000 }), corrects: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false });
const Handover = Type.Object({ direction: Type.Union([Type.Literal('to-fd'), Type.Literal('from-fd')]), counterpart: Type.String({ minLength: 1, maxLength: 200 }),
  reason: Type.String({ minLength: 3, maxLength: 500 }) }, { additionalProperties: false });
const JournalEntry = Type.Object({ id: Type.Integer(), incidentId: Type.String(), ts: Type.Integer(), author: Type.String(), kind: Type.String(), text: Type.String(),
  corrects: Type.Union([Type.Integer(), Type.Null()]), data: Type.Unknown() });
const EntryParams = Type.Object({ id: Type.String({ maxLength: 128 }), entry: Type.String({ maxLength: 32 }) }, { additionalProperties: false });
const DrillStart = Type.Object({ scenario: Type.String({ minLength: 1, maxLength: 100 }), zone: Type.Optional(Type.String({ maxLength: 64 })), site: Type.Optional(Type.String({ maxLength: 64 })),
  startedAt: Type.Optional(Type.Integer({ minimum: 0 })), report: Type.Optional(Type.Record(Type.String(), Type.Unknown())), ended: Type.Optional(Type.Boolean()) }, { additionalProperties: false });
const DrillEnd = Type.Object({ report: Type.Optional(Type.Record(Type.String(), Type.Unknown())), aborted: Type.Optional(Type.Boolean()) }, { additionalProperties: false });

export async function incidentRoutes(app: FastifyInstance, opts: { ops: Ops }) {
  const { ops } = opts;
  const tags = ['incidents'];
  const operator = requireRole({ min: 'operator' });
  const fdOrOperator = requireRole({ min: 'operator', also: ['firedept'] });

  app.get<{ Querystring: { open?: boolean; drill?: boolean } }>('/api/incidents', { schema: { tags, summary: 'Incidents, newest first',
    querystring: Type.Object({ open: Type.Optional(Type.Boolean()), drill: Type.Optional(Type.Boolean()) }, { additionalProperties: false }), response: { 200: Type.Array(Doc), ...errorResponses } } },
  async (req) => ops.incidents.list({ open: req.query.open, drill: req.query.drill }));

  app.post<{ Body: Static<typeof Declare> }>('/api/incidents', { preValidation: operator, schema: { tags, summary: 'Declare an incident by hand', body: Declare, response: { 201: Doc, ...errorResponses } } }, async (req, reply) => {
    const p = principalOf(req);
    const i = await ops.incidents.declare({ title: req.body.title, site: ops.site, zone: req.body.zone, grade: req.body.grade as 1 | 2 | 3, by: p.username, source: 'manual',
      drill: req.body.drill ?? ops.drills.active(ops.site, req.body.zone) !== undefined, step: req.body.step as Step | undefined });
    return reply.code(201).send(i);
  });

  app.get('/api/kpis/incidents', { schema: { tags, summary: 'Incident KPIs over real incidents (drills excluded)', response: { 200: Doc, ...errorResponses } } }, async () => ops.incidents.kpis());

  app.get<{ Params: { id: string } }>('/api/incidents/:id', { schema: { tags, summary: 'One incident', params: IdParams, response: { 200: Doc, ...errorResponses } } }, async (req, reply) =>
    ops.incidents.get(req.params.id) ?? sendError(reply, 404, `no incident '${req.params.id}'`));

  app.post<{ Params: { id: string }; Body: Static<typeof StepBody> }>('/api/incidents/:id/step', { preValidation: operator, schema: { tags, summary: 'Move to the next step (detect → declared → handling → closed → follow-up)',
    params: IdParams, body: StepBody, response: { 200: Doc, ...errorResponses } } }, async (req) => ops.incidents.setStep(req.params.id, req.body.step as Step, principalOf(req).username));

  app.post<{ Params: { id: string }; Body: Static<typeof GradeBody> }>('/api/incidents/:id/grade', { preValidation: operator, schema: { tags, summary: 'Change the grade (1 most severe)', params: IdParams, body: GradeBody,
    response: { 200: Doc, ...errorResponses } } }, async (req) => ops.incidents.setGrade(req.params.id, req.body.grade as 1 | 2 | 3, principalOf(req).username, req.body.reason));

  app.post<{ Params: { id: string }; Body: Partial<Record<IncidentRole, string>> }>('/api/incidents/:id/roles', { preValidation: operator, schema: { tags,
    summary: 'Assign roles: controlTower, operator, communicator, operationsLead', params: IdParams, body: RolesBody, response: { 200: Doc, ...errorResponses } } },
  async (req) => ops.incidents.setRoles(req.params.id, req.body, principalOf(req).username));

  app.get<{ Params: { id: string } }>('/api/incidents/:id/journal', { schema: { tags, summary: 'The journal in timestamp order', params: IdParams, response: { 200: Type.Array(JournalEntry), ...errorResponses } } },
    async (req, reply) => (ops.incidents.get(req.params.id) ? ops.repos.journal(req.params.id) : sendError(reply, 404, `no incident '${req.params.id}'`)));

  app.post<{ Params: { id: string }; Body: Static<typeof JournalBody> }>('/api/incidents/:id/journal', { preValidation: fdOrOperator, schema: { tags,
    summary: 'Append a journal entry; a correction names the entry it corrects (entries are never edited)', params: IdParams, body: JournalBody, response: { 201: JournalEntry, ...errorResponses } } },
  async (req, reply) => reply.code(201).send(await ops.incidents.journal(req.params.id, principalOf(req).username, req.body.corrects ? 'correction' : 'note', req.body.text, undefined, req.body.corrects)));

  for (const method of ['PUT', 'PATCH', 'DELETE'] as const) {
    app.route<{ Params: { id: string; entry: string } }>({ method, url: '/api/incidents/:id/journal/:entry', schema: { tags, summary: 'Not allowed: the journal is append-only (405)', params: EntryParams, response: { 405: errorResponses[400] } },
      handler: async (_req, reply) => reply.code(405).header('allow', 'GET, POST').send({ statusCode: 405, error: 'Method Not Allowed', message: 'the journal is append-only: post a correction that references the entry' }) });
  }

  app.post<{ Params: { id: string }; Body: Static<typeof Handover> }>('/api/incidents/:id/handover', { preValidation: fdOrOperator, schema: { tags,
    summary: 'Record a fire-department hand-over or take-back (also send fd.handover / fd.release to the edge with POST /api/commands)', params: IdParams, body: Handover, response: { 200: Doc, ...errorResponses } } },
  async (req) => {
    const p = principalOf(req);
    const i = await ops.incidents.handover(req.params.id, req.body.direction, p.username, req.body.counterpart, req.body.reason);
    if (i.zone) { const z = ops.fire.get(i.site, i.zone); if (z) ops.fire.note(i.site, i.zone, z.agent, { ts: ops.now(), kind: 'handover', message: `${req.body.direction === 'to-fd' ? 'handed over to' : 'taken back from'} ${req.body.counterpart} by ${p.username}`, actor: p.username }); }
    return i;
  });

  app.get('/api/drills', { schema: { tags: ['drills'], summary: 'Drills with their reports', response: { 200: Type.Array(Doc), ...errorResponses } } }, async () => ops.drills.list());
  app.get<{ Params: { id: string } }>('/api/drills/:id', { schema: { tags: ['drills'], summary: 'One drill', params: IdParams, response: { 200: Doc, ...errorResponses } } }, async (req, reply) =>
    ops.drills.get(req.params.id) ?? sendError(reply, 404, `no drill '${req.params.id}'`));
  app.post<{ Body: Static<typeof DrillStart> }>('/api/drills', { preValidation: operator, schema: { tags: ['drills'],
    summary: 'Record a drill start (or a finished drill with its report when `ended`); what it causes is tagged drill and kept out of KPIs', body: DrillStart, response: { 201: Doc, ...errorResponses } } },
  async (req, reply) => {
    const p = principalOf(req);
    let d = ops.drills.start({ scenario: req.body.scenario, site: req.body.site ?? ops.site, zone: req.body.zone, by: p.username, startedAt: req.body.startedAt });
    if (req.body.ended) d = ops.drills.end(d.id, req.body.report);
    return reply.code(201).send(d);
  });
  app.post<{ Params: { id: string }; Body: Static<typeof DrillEnd> }>('/api/drills/:id/end', { preValidation: operator, schema: { tags: ['drills'], summary: 'End a drill with its timed report', params: IdParams, body: DrillEnd,
    response: { 200: Doc, ...errorResponses } } }, async (req) => ops.drills.end(req.params.id, req.body.report, req.body.aborted));
}
