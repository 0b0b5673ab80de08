/** Authentication, roles, tokens, sessions, audit, rate limit and secret hygiene, through inject. */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import { pino } from 'pino';
import { REDACT_PATHS } from '../../lib/log.js';
import { buildApp } from '../../server/app.js';
import { createOps } from '../../server/ops.js';
import { verifyPassword } from '../../server/auth/passwords.js';
import { PASSWORD, testServer, type TestServer } from './helper.js';

let s: TestServer | null = null;
afterEach(async () => { await s?.close(); s = null; });

describe('authentication and roles', () => {
  test('401 without credentials, 401 with a bad token or cookie; health and OpenAPI are public', async () => {
    s = await testServer();
    for (const url of ['/api/alarms', '/api/status', '/api/incidents', '/api/stream', '/api/auth/me']) {
      expect((await s.app.inject({ url })).statusCode).toBe(401);
    }
    expect((await s.app.inject({ url: '/api/alarms', headers: { authorization: 'Bearer dcim_0123456789abcdef.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' } })).statusCode).toBe(401);
    expect((await s.app.inject({ url: '/api/alarms', headers: { cookie: 'dcim_session=forged-session-id-forged-session-id' } })).statusCode).toBe(401);
    expect((await s.app.inject({ url: '/api/health' })).statusCode).toBe(200);
    const doc = (await s.app.inject({ url: '/api/openapi.json' })).json();
    expect(doc.openapi).toBe('3.0.3');
    expect(Object.keys(doc.paths)).toContain('/api/alarms/{id}/shelve');
  });

  test('403 for the wrong role: viewer cannot command, operator cannot administer, firedept can stop water but not shelve', async () => {
    s = await testServer({ agents: [{ id: 'agent-1', key: 'k'.repeat(32) }] });
    expect((await s.as('viewer', 'POST', '/api/incidents', { title: 'test incident', grade: 2 })).statusCode).toBe(403);
    expect((await s.as('viewer', 'POST', '/api/commands', { kind: 'ack', zone: 'BR1' })).statusCode).toBe(403);
    expect((await s.as('op1', 'GET', '/api/users')).statusCode).toBe(403);
    expect((await s.as('op1', 'POST', '/api/commands/reset', { zone: 'BR1', reason: 'done' })).statusCode).toBe(403);
    expect((await s.as('op1', 'POST', '/api/commands', { kind: 'water.stop', zone: 'BR1', reason: 'x' })).statusCode).toBe(403);
    // firedept passes the role check (then 503: no broker in this test), but cannot shelve
    expect((await s.as('fire', 'POST', '/api/commands', { kind: 'water.stop', zone: 'BR1', reason: 'on scene' })).statusCode).toBe(503);
    expect((await s.as('fire', 'POST', '/api/alarms/x/shelve', { reason: 'nope', durationMin: 5 })).statusCode).toBe(403);
    expect((await s.as('fire', 'GET', '/api/alarms')).statusCode).toBe(200);
    // the role check comes before validation: a viewer with a bad body still gets 403
    expect((await s.as('viewer', 'POST', '/api/incidents', { nonsense: true })).statusCode).toBe(403);
  });

  test('data routes (the data plane plugin) are registered behind authentication when a store is given', async () => {
    s = await testServer();
    const seen: unknown[] = [];
    const dataRoutes = async (app: import('fastify').FastifyInstance, o: { store: unknown }) => {
      app.get('/api/points/latest', { schema: { summary: 'latest' } }, async () => { seen.push(o.store); return { points: [] }; });
    };
    const app = await buildApp({ ops: s.ops, store: { kind: 'fake-store' }, dataRoutes: dataRoutes as never });
    expect((await app.inject({ url: '/api/points/latest' })).statusCode).toBe(401);
    const r = await app.inject({ url: '/api/points/latest', headers: { cookie: s.cookie.viewer } });
    expect([r.statusCode, r.json()]).toEqual([200, { points: [] }]);
    expect(seen).toEqual([{ kind: 'fake-store' }]);
    await app.close();
  });

  test('400 names the failing path', async () => {
    s = await testServer();
    const cases: [string, string, unknown, string][] = [
      ['POST', '/api/incidents', { title: 'fire in BR1', grade: 7 }, 'body.grade'],
      ['POST', '/api/incidents', { grade: 2 }, 'body.title'],
      ['POST', '/api/incidents', { title: 'fire in BR1', grade: 2, extra: 1 }, 'body.extra'],
      ['GET', '/api/alarms?priority=P9', undefined, 'querystring.priority'],
      ['POST', '/api/users', { username: 'x y', role: 'viewer', password: 'long enough password' }, 'body.username'],
    ];
    for (const [method, url, body, path] of cases) {
      const r = await s.as(method === 'GET' ? 'op1' : method === 'POST' && url === '/api/users' ? 'admin' : 'op1', method as 'GET', url, body);
      expect(r.statusCode, url).toBe(400);
      expect(r.json().path).toBe(path);
      expect(r.json().message).toContain(path);
    }
  });

  test('login: wrong password 401, session cookie HttpOnly + SameSite=Strict, logout ends it', async () => {
    s = await testServer();
    expect((await s.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'op1', password: 'wrong password!!' } })).statusCode).toBe(401);
    expect((await s.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'nobody', password: PASSWORD } })).statusCode).toBe(401);
    const r = await s.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'op1', password: PASSWORD } });
    expect(r.json().user).toMatchObject({ username: 'op1', role: 'operator' });
    const c = r.cookies.find((x) => x.name === 'dcim_session')!;
    expect(c).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    const cookie = `dcim_session=${c.value}`;
    expect((await s.app.inject({ url: '/api/auth/me', headers: { cookie } })).json()).toMatchObject({ username: 'op1', via: 'session' });
    await s.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie } });
    expect((await s.app.inject({ url: '/api/auth/me', headers: { cookie } })).statusCode).toBe(401);
  });

  test('API tokens: shown once, hashed at rest, role ≤ creator, revocable', async () => {
    s = await testServer();
    let r = await s.as('op1', 'POST', '/api/tokens', { name: 'bms-integration', role: 'admin' });
    expect(r.statusCode).toBe(403);
    r = await s.as('op1', 'POST', '/api/tokens', { name: 'bms-integration', role: 'viewer' });
    expect(r.statusCode).toBe(201);
    const { id, token } = r.json();
    const rows = await s.ops.records.all('SELECT * FROM tokens');
    expect(JSON.stringify(rows)).not.toContain(token.split('.')[1]);
    const auth = { authorization: `Bearer ${token}` };
    expect((await s.app.inject({ url: '/api/auth/me', headers: auth })).json()).toMatchObject({ username: 'op1', role: 'viewer', via: 'token' });
    expect((await s.app.inject({ method: 'POST', url: '/api/incidents', headers: auth, payload: { title: 'by token', grade: 3 } })).statusCode).toBe(403);
    expect((await s.as('op1', 'DELETE', `/api/tokens/${id}`)).statusCode).toBe(200);
    expect((await s.app.inject({ url: '/api/auth/me', headers: auth })).statusCode).toBe(401);
  });

  test('passwords are scrypt hashes with a per-user salt', async () => {
    s = await testServer();
    const rows = await s.ops.records.all<{ username: string; pw_hash: string }>('SELECT username, pw_hash FROM users');
    const hashes = rows.map((r) => r.pw_hash);
    expect(hashes.every((h) => h.startsWith('scrypt$14$8$1$'))).toBe(true);
    expect(new Set(hashes).size).toBe(hashes.length); // same password, different salts
    expect(await verifyPassword(PASSWORD, hashes[0]!)).toBe(true);
    expect(await verifyPassword('other password', hashes[0]!)).toBe(false);
  });

  test('every change is audited with who, what, when and from where; admin only', async () => {
    s = await testServer();
    expect((await s.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'op1', password: PASSWORD } })).statusCode).toBe(200);
    await s.as('op1', 'POST', '/api/incidents', { title: 'manual incident', grade: 3 });
    await s.as('viewer', 'POST', '/api/incidents', { title: 'not allowed', grade: 3 });
    expect((await s.as('op1', 'GET', '/api/audit')).statusCode).toBe(403);
    const audit = (await s.as('admin', 'GET', '/api/audit?limit=20')).json();
    const inc = audit.filter((a: { action: string }) => a.action === 'POST /api/incidents');
    expect(inc.map((a: { actor: string; ok: boolean }) => [a.actor, a.ok])).toEqual([['viewer', false], ['op1', true]]);
    expect(inc[0]).toMatchObject({ ip: '127.0.0.1', role: 'viewer' });
    expect(typeof inc[0].ts).toBe('number');
    expect(audit.some((a: { action: string; actor: string }) => a.action === 'auth.login' && a.actor === 'op1')).toBe(true);
  });

  test('login is rate-limited per client (429 with Retry-After)', async () => {
    s = await testServer();
    const app = await buildApp({ ops: { ...s.ops, config: { ...s.ops.config, auth: { scryptCost: 14, loginMaxPerMin: 3 } } } });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'op1', password: 'guess number ' + i } })).statusCode);
    expect(codes).toEqual([401, 401, 401, 429, 429]);
    const r = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'op1', password: PASSWORD } });
    expect(r.statusCode).toBe(429);
    expect(r.headers['retry-after']).toBeDefined();
    // another client address is not limited
    expect((await app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '10.0.0.7', payload: { username: 'op1', password: PASSWORD } })).statusCode).toBe(200);
    await app.close();
  });

  test('first run creates an admin with a generated password; secrets never reach the log', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _e, cb) { lines.push(String(chunk)); cb(); } });
    const log = pino({ level: 'trace', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
    const ops = await createOps({ config: { site: 'sim1', auth: { scryptCost: 14 } }, log, recordsPath: ':memory:' });
    const first = await ops.auth.ensureFirstAdmin();
    expect(first?.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await ops.auth.ensureFirstAdmin()).toBeNull();
    const app = await buildApp({ ops, logger: log });
    const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: first!.password } });
    expect(login.statusCode).toBe(200);
    const sid = login.cookies[0]!.value;
    const tok = (await app.inject({ method: 'POST', url: '/api/tokens', headers: { cookie: `dcim_session=${sid}` }, payload: { name: 't' } })).json().token as string;
    await app.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${tok}` } });
    await app.close(); await ops.close();
    const all = lines.join('');
    expect(all.length).toBeGreaterThan(100);
    for (const secret of [first!.password, sid, tok]) expect(all).not.toContain(secret);
  });
});
