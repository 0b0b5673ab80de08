/**
 * Commands to the edge: ack, silence, bypass, maintenance, water stop, fire-department hand-over
 * and take-back, ... as signed EdgeCommands; resets through the two-person path when the zone
 * reached stage 3 or beyond (FS-23). `wait` (ms, ≤ 10 000) holds the answer until the edge's
 * CommandResult arrives.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { COMMAND_KINDS, type CommandKind, type Role } from '../../lib/mqtt-contract.js';
import { principalOf, requireRole } from '../auth/plugin.js';
import { allows, type Principal, type RoleNeed } from '../auth/roles.js';
import { CommandError, type CommandRecord } from '../commands/service.js';
import type { Ops } from '../ops.js';
import { Doc, errorResponses, IdParams, sendError } from './common.js';

/** Who may issue which command (FS-21, FS-23, FS-27); the same rules the edge applies (statecharts/zone/commands.ts). */
export const COMMAND_ROLES: Record<CommandKind, RoleNeed> = {
  ack: { min: 'operator', also: ['firedept'] }, silence: { min: 'operator', also: ['firedept'] }, shelve: { min: 'operator' }, unshelve: { min: 'operator' },
  reset: { min: 'admin' }, reenergize: { min: 'admin' }, 'bypass.start': { min: 'operator' }, 'bypass.end': { min: 'operator' },
  'maint.enter': { min: 'operator' }, 'maint.exit': { min: 'operator' }, 'water.stop': { min: 'admin', also: ['firedept'] },
  'fd.handover': { min: 'operator', also: ['firedept'] }, 'fd.release': { min: 'admin', also: ['firedept'] },
  'incident.controlled': { min: 'admin' }, 'watch.end': { min: 'admin' }, 'manual.release': { min: 'operator', also: ['firedept'] },
  'drill.start': { min: 'operator' }, 'drill.end': { min: 'operator' },
  // Water or gas before confirmed isolation (FS-09, FIRE-SAFETY §6.1 Q4): an authorized person or the fire department.
  'isolation.override': { min: 'admin', also: ['firedept'] },
  // A new fire configuration for the agent (args.fire); applied at the edge only while every zone is idle (FS-36).
  'config.apply': { min: 'admin' },
};

const Kind = Type.Union(COMMAND_KINDS.filter((k) => k !== 'reset').map((k) => Type.Literal(k)));
const IssueBody = Type.Object({
  kind: Kind,
  zone: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' })),
  agent: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' })),
  site: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' })),
  target: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  args: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  reason: Type.Optional(Type.String({ maxLength: 500 })),
  wait: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
}, { additionalProperties: false });
const ResetBody = Type.Object({
  zone: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }),
  reason: Type.String({ minLength: 3, maxLength: 500 }),
  target: Type.Optional(Type.String({ maxLength: 128 })),
  wait: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
}, { additionalProperties: false });
const CommandOut = Type.Object({ command: Type.Optional(Doc), pending: Type.Optional(Doc), needs: Type.Optional(Type.String()) });

export function resolveAgent(ops: Ops, zone: string | undefined, agent?: string, site?: string): { site: string; agent: string } {
  if (agent) return { site: site ?? ops.site, agent };
  if (zone) { const z = ops.fire.agentFor(zone); if (z) return z; }
  const agents = ops.config.agents ?? [];
  if (agents.length === 1) return { site: agents[0]!.site ?? ops.site, agent: agents[0]!.id };
  throw new CommandError(`cannot tell which agent serves zone '${zone ?? '?'}': give 'agent'`, 400);
}

const actor = (p: Principal) => ({ user: p.username, role: p.role as Role });

/** Reset: one admin when the zone stayed below stage 3; otherwise a pending reset a second, different person confirms. */
export async function requestReset(ops: Ops, p: Principal, r: { zone: string; reason: string; target?: string; site?: string; agent?: string }) {
  if (!allows(p.role, COMMAND_ROLES.reset)) throw new CommandError(`role '${p.role}' may not reset (needs admin)`, 403);
  const where = resolveAgent(ops, r.zone, r.agent, r.site);
  const z = ops.fire.get(where.site, r.zone);
  if ((z?.maxStage ?? -1) >= 3) {
    const pending = ops.commands.requestReset({ ...where, zone: r.zone, target: r.target, reason: r.reason, requestedBy: actor(p) });
    return { pending, needs: 'a second person (operator or admin, not you) must confirm: POST /api/commands/pending/{id}/confirm' };
  }
  return { command: await ops.commands.issue({ kind: 'reset', ...where, zone: r.zone, target: r.target, reason: r.reason, actors: [actor(p)] }) };
}

async function waited(ops: Ops, c: CommandRecord, wait?: number) { return wait ? (await ops.commands.wait(c.id, wait)) ?? c : c; }

export async function commandRoutes(app: FastifyInstance, opts: { ops: Ops }) {
  const { ops } = opts;
  const tags = ['commands'];

  app.post<{ Body: Static<typeof IssueBody> }>('/api/commands', { preValidation: requireRole({ min: 'operator', also: ['firedept'] }), schema: { tags, summary: 'Send a signed command to the edge (not reset: see /api/commands/reset)', body: IssueBody,
    response: { 202: CommandOut, ...errorResponses, 503: errorResponses[400] } } }, async (req, reply) => {
    const p = principalOf(req);
    const kind = req.body.kind as CommandKind;
    if (!allows(p.role, COMMAND_ROLES[kind])) return sendError(reply, 403, `role '${p.role}' may not send '${kind}'`);
    if ((kind === 'bypass.start' || kind === 'maint.enter') && (!req.body.reason || typeof req.body.args?.permitId !== 'string' || typeof req.body.args?.expiresAt !== 'number')) {
      return sendError(reply, 400, `body.args: '${kind}' needs args.permitId, args.expiresAt (ms) and a reason (FS-27, FS-28)`, { path: 'body.args' });
    }
    const where = resolveAgent(ops, req.body.zone, req.body.agent, req.body.site);
    const c = await ops.commands.issue({ kind, ...where, zone: req.body.zone, target: req.body.target, args: req.body.args, reason: req.body.reason, actors: [actor(p)] });
    if (c.zone && (kind === 'fd.handover' || kind === 'fd.release')) {
      const inc = ops.incidents.openForZone(c.site, c.zone);
      if (inc) await ops.incidents.handover(inc.id, kind === 'fd.handover' ? 'to-fd' : 'from-fd', p.username, String(req.body.args?.counterpart ?? 'fire department'), req.body.reason ?? kind);
    }
    if (c.zone) ops.fire.note(c.site, c.zone, c.agent, { ts: c.issuedAt, kind: 'command', message: `${kind} sent by ${p.username}`, actor: p.username });
    return reply.code(202).send({ command: await waited(ops, c, req.body.wait) });
  });

  app.post<{ Body: Static<typeof ResetBody> }>('/api/commands/reset', { preValidation: requireRole({ min: 'admin' }), schema: { tags,
    summary: 'Reset a zone (admin). Two different people when the zone reached stage ≥ 3: answers a pending reset to confirm', body: ResetBody,
    response: { 202: CommandOut, ...errorResponses, 503: errorResponses[400] } } }, async (req, reply) => {
    const r = await requestReset(ops, principalOf(req), req.body);
    if (r.command) return reply.code(202).send({ command: await waited(ops, r.command, req.body.wait) });
    return reply.code(202).send(r);
  });

  app.post<{ Params: { id: string }; Body: { wait?: number } }>('/api/commands/pending/:id/confirm', { preValidation: requireRole({ min: 'operator' }), schema: { tags,
    summary: 'Second person (operator or admin, not the requester) confirms a pending reset', params: IdParams,
    body: Type.Object({ wait: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })) }, { additionalProperties: false }),
    response: { 202: CommandOut, ...errorResponses, 503: errorResponses[400] } } }, async (req, reply) => {
    const c = await ops.commands.confirmReset(req.params.id, actor(principalOf(req)));
    return reply.code(202).send({ command: await waited(ops, c, req.body?.wait) });
  });

  app.get('/api/commands/pending', { schema: { tags, summary: 'Pending two-person resets', response: { 200: Type.Array(Doc), ...errorResponses } } }, async () => ops.commands.listPending());
  app.get<{ Querystring: { limit?: number } }>('/api/commands', { schema: { tags, summary: 'Recent commands with their results', querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }, { additionalProperties: false }),
    response: { 200: Type.Array(Doc), ...errorResponses } } }, async (req) => ops.commands.list(req.query.limit ?? 100));
  app.get<{ Params: { id: string } }>('/api/commands/:id', { schema: { tags, summary: 'One command and its results', params: IdParams, response: { 200: Doc, ...errorResponses } } }, async (req, reply) => {
    const c = ops.commands.get(req.params.id);
    return c ?? sendError(reply, 404, `no command '${req.params.id}'`);
  });
}
