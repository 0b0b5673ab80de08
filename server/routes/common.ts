/** Shared route pieces: the error shape, the error handler (validation → 400 naming the path), common schemas. */
import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AlarmRefusal } from '../alarms/isa.js';
import { AuthError } from '../auth/service.js';
import { CommandError } from '../commands/service.js';
import { IncidentError } from '../incidents/service.js';
import { DrillError } from '../incidents/drills.js';

export const ErrorBody = Type.Object({
  statusCode: Type.Integer(), error: Type.String(), message: Type.String(),
  path: Type.Optional(Type.String({ description: 'the failing input path, e.g. body.durationMin' })),
  code: Type.Optional(Type.String()),
});

export const errorResponses = {
  400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody,
};

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false });
/** Loose object for documents whose shape is documented elsewhere (alarm, incident, status node...). */
export const Doc = Type.Object({}, { additionalProperties: true });

const REASON: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 429: 'Too Many Requests', 503: 'Service Unavailable' };

export function sendError(reply: FastifyReply, status: number, message: string, extra: Record<string, unknown> = {}) {
  return reply.code(status).send({ statusCode: status, error: REASON[status] ?? 'Error', message, ...extra });
}

export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  if (err.validation?.length) {
    const v = err.validation[0]!;
    const p = v.params as Record<string, unknown>;
    const extra = v.keyword === 'required' ? `.${String(p.missingProperty)}` : v.keyword === 'additionalProperties' ? `.${String(p.additionalProperty)}` : '';
    const path = `${err.validationContext ?? 'request'}${v.instancePath.replace(/\//g, '.')}${extra}`;
    const msg = v.keyword === 'additionalProperties' ? 'unknown key (not allowed here)' : v.message ?? 'invalid';
    return sendError(reply, 400, `${path}: ${msg}`, { path });
  }
  if (err instanceof AlarmRefusal) return sendError(reply, 409, err.message, { code: err.code });
  if (err instanceof AuthError || err instanceof CommandError || err instanceof IncidentError || err instanceof DrillError) return sendError(reply, err.status, err.message);
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) return sendError(reply, status, err.message, err.code ? { code: err.code } : {});
  req.log.error({ err }, 'request failed');
  return sendError(reply, 500, 'internal error (logged)');
}
