/**
 * Payload validation on ingest: ajv compiled once over the TypeBox schemas of lib/mqtt-contract.ts.
 * Returns a typed value or a short reason naming the first failing path; never throws.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { AgentBirth, AgentEvent, AgentStatus, TelemetryBatch } from '../../lib/mqtt-contract.js';

const ajv = new Ajv({ allErrors: false, strict: false });

const validators = {
  telemetry: ajv.compile<TelemetryBatch>(TelemetryBatch),
  event: ajv.compile<AgentEvent>(AgentEvent),
  birth: ajv.compile<AgentBirth>(AgentBirth),
  status: ajv.compile<AgentStatus>(AgentStatus),
};

export type PayloadKind = keyof typeof validators;
export type Parsed<K extends PayloadKind> = (typeof validators)[K] extends ValidateFunction<infer T> ? T : never;

export type Validation<T> = { ok: true; value: T } | { ok: false; reason: 'json' | 'schema'; detail: string };

function describe(e: ErrorObject | undefined): string {
  if (!e) return 'invalid';
  return `${e.instancePath || '/'} ${e.message ?? 'invalid'}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`;
}

export function validatePayload<K extends PayloadKind>(kind: K, payload: Buffer | string): Validation<Parsed<K>> {
  let doc: unknown;
  try {
    doc = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: 'json', detail: (err as Error).message.slice(0, 200) };
  }
  const v = validators[kind] as ValidateFunction<Parsed<K>>;
  if (v(doc)) return { ok: true, value: doc };
  return { ok: false, reason: 'schema', detail: describe(v.errors?.[0]) };
}
