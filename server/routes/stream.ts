/**
 * GET /api/stream — Server-Sent Events for consoles (protocol in server/README.md).
 * Query: `topics` (comma list of status, alarm, fire, incident, command, notification, flood,
 * banner, agent, point; default all but point) and `points` (comma list of `device`,
 * `device/name`, prefix `device/rack.1.*`, or `*`).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../auth/plugin.js';
import { StreamHub } from '../stream/hub.js';
import type { Ops } from '../ops.js';
import { errorResponses } from './common.js';

const Query = Type.Object({
  topics: Type.Optional(Type.String({ pattern: '^[a-z]+(,[a-z]+)*$', maxLength: 200 })),
  points: Type.Optional(Type.String({ maxLength: 4000 })),
}, { additionalProperties: false });

export async function streamRoutes(app: FastifyInstance, opts: { ops: Ops }) {
  const { ops } = opts;
  app.get<{ Querystring: { topics?: string; points?: string } }>('/api/stream', {
    schema: { tags: ['stream'], summary: 'Live stream (text/event-stream): hello snapshot, then status, alarm, fire, incident, command, notification, flood, banner, points', querystring: Query,
      response: { 200: { description: 'text/event-stream', type: 'string' }, ...errorResponses } },
  }, async (req, reply) => {
    const p = principalOf(req);
    const filter = StreamHub.parseFilter(req.query.topics, req.query.points);
    reply.hijack();
    ops.hub.attach(reply.raw, filter, {
      user: { username: p.username, role: p.role },
      alarms: ops.alarms.list(), status: ops.status.list(), fireZones: ops.fire.list(), flood: ops.alarms.floodState(),
      incidents: ops.incidents.list({ open: true }), pendingResets: ops.commands.listPending(),
    }, p.username);
  });
}
