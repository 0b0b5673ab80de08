/** Test helper: the app on ':memory:' records with a simulated clock and one user per role. */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { silentLogger } from '../../lib/log.js';
import { buildApp } from '../../server/app.js';
import { createOps, type Ops } from '../../server/ops.js';
import { ServerConfig } from '../../server/config.js';
import type { Static } from '@sinclair/typebox';
import { randomUUID } from 'node:crypto';
import { hashPassword } from '../../server/auth/passwords.js';
import type { Role } from '../../lib/mqtt-contract.js';

let hashes: Promise<string[]> | null = null;

export const PASSWORD = 'correct horse battery';
export const USERS = { admin: 'admin', admin2: 'admin', op1: 'operator', op2: 'operator', viewer: 'viewer', fire: 'firedept' } as const;

export interface TestServer {
  app: FastifyInstance; ops: Ops; clock: { t: number; advance(ms: number): void };
  cookie: Record<keyof typeof USERS, string>;
  as(user: keyof typeof USERS, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function testServer(config: Partial<Static<typeof ServerConfig>> = {}, opts: { realClock?: boolean } = {}): Promise<TestServer> {
  const clock = { t: Date.UTC(2026, 2, 6, 9, 0, 0), advance(ms: number) { this.t += ms; } };
  const now = opts.realClock ? Date.now : () => clock.t;
  const ops = await createOps({ config: { site: 'sim1', auth: { scryptCost: 14, loginMaxPerMin: 1000 }, ...config }, log: silentLogger, recordsPath: ':memory:', now });
  // Users get real scrypt hashes (one per user, computed once per test file) and sessions are
  // opened directly: the login route itself is exercised in auth.test.ts and e2e.test.ts.
  hashes ??= Promise.all(Object.keys(USERS).map(() => hashPassword(PASSWORD, 14)));
  const hs = await hashes;
  const app = await buildApp({ ops });
  const cookie = {} as Record<keyof typeof USERS, string>;
  let i = 0;
  for (const [u, role] of Object.entries(USERS) as [keyof typeof USERS, Role][]) {
    const id = randomUUID();
    await ops.repos.insertUser({ id, username: u, role, pw_hash: hs[i++]!, created_at: now(), disabled: false });
    cookie[u] = `dcim_session=${(await ops.auth.createSession(id)).sid}`;
  }
  return {
    app, ops, clock, cookie,
    as: (user, method, url, body) => app.inject({ method, url, headers: { cookie: cookie[user] }, ...(body !== undefined ? { payload: body as object } : {}) }),
    async close() { await app.close(); await ops.close(); },
  };
}

/** A well-formed AgentEvent. */
let seq = 0;
export function agentEvent(e: { kind: string; zone?: string; rack?: string; device?: string; severity?: string; message?: string; data?: Record<string, unknown>; ts: number; agent?: string; site?: string; seq?: number }) {
  return { v: 1 as const, site: e.site ?? 'sim1', agent: e.agent ?? 'agent-1', epoch: 'e1', seq: e.seq ?? ++seq, sentAt: e.ts, ts: e.ts, kind: e.kind, zone: e.zone, rack: e.rack,
    device: e.device, severity: e.severity, message: e.message ?? e.kind, data: e.data } as never;
}
