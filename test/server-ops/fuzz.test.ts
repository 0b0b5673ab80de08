/**
 * Fuzz: thousands of malformed HTTP requests (each answered with a clear 4xx and a JSON error,
 * never a 5xx) and thousands of malformed MQTT payloads (each counted as a rejection, never a
 * throw), through inject, the link's handler and a real Mosquitto broker; the server stays up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { silentLogger } from '../../lib/log.js';
import { OpsLink } from '../../server/commands/link.js';
import { startServer } from '../../server/main.js';
import { startMosquitto } from '../support/mosquitto.js';
import { waitFor } from '../support/ports.js';
import mqtt from 'mqtt';
import { testServer, type TestServer } from './helper.js';

/** Deterministic PRNG (mulberry32) so a failure reproduces. */
function rng(seed: number) {
  return () => { seed |= 0; seed = (seed + 0x6d2b79f5) | 0; let t = Math.imul(seed ^ (seed >>> 15), 1 | seed); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

const WEIRD = ['', ' ', '\u0000', '../../etc/passwd', '%00', '%E0%A4%A', "' OR 1=1 --", '<script>', '🔥'.repeat(50), 'x'.repeat(5000), '-1', '1e309', 'NaN', '{}', '[]', 'null'];
const junkValue = (r: () => number, depth = 0): unknown => {
  const k = Math.floor(r() * 9);
  if (depth > 2) return WEIRD[Math.floor(r() * WEIRD.length)];
  switch (k) {
    case 0: return null;
    case 1: return r() * 1e12 - 5e11;
    case 2: return r() < 0.5;
    case 3: return WEIRD[Math.floor(r() * WEIRD.length)];
    case 4: return [junkValue(r, depth + 1), junkValue(r, depth + 1)];
    case 5: return { [WEIRD[Math.floor(r() * WEIRD.length)]!]: junkValue(r, depth + 1), grade: junkValue(r, depth + 1), kind: 'ack' };
    case 6: return -1;
    case 7: return { title: junkValue(r, depth + 1), grade: 9, extra: true };
    default: return 'ZZ';
  }
};

let s: TestServer | null = null;
afterAll(async () => { await s?.close(); });

describe('fuzz', () => {
  test('2000 malformed HTTP requests → each a 4xx with a JSON error; the server stays up', async () => {
    s = await testServer({ agents: [{ id: 'agent-1', key: 'k'.repeat(32) }] });
    const r = rng(42);
    const routes: [string, string][] = [
      ['POST', '/api/auth/login'], ['POST', '/api/incidents'], ['POST', '/api/incidents/{id}/step'], ['POST', '/api/incidents/{id}/journal'], ['POST', '/api/incidents/{id}/grade'],
      ['POST', '/api/alarms/{id}/ack'], ['POST', '/api/alarms/{id}/shelve'], ['POST', '/api/alarms/{id}/reset'], ['POST', '/api/commands'], ['POST', '/api/commands/reset'],
      ['POST', '/api/users'], ['PATCH', '/api/users/{id}'], ['POST', '/api/tokens'], ['POST', '/api/status/{id}/maintenance'], ['POST', '/api/site/power-cut'], ['POST', '/api/drills'],
      ['GET', '/api/alarms'], ['GET', '/api/audit'], ['GET', '/api/notifications'], ['GET', '/api/stream'], ['GET', '/api/incidents'], ['DELETE', '/api/tokens/{id}'],
      ['PUT', '/api/alarms'], ['GET', '/api/nothing-here'], ['POST', '/api/status'],
    ];
    const users = ['admin', 'op1', 'viewer', null] as const;
    const codes = new Map<number, number>();
    const bad: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const [method, tpl] = routes[Math.floor(r() * routes.length)]!;
      const id = encodeURIComponent(String(WEIRD[Math.floor(r() * WEIRD.length)]) || 'x');
      let url = tpl.replace('{id}', id);
      const user = users[Math.floor(r() * users.length)];
      if (method === 'GET' || method === 'DELETE') url += `?${encodeURIComponent(String(WEIRD[Math.floor(r() * WEIRD.length)]) || 'q')}=${encodeURIComponent(String(junkValue(r)))}&limit=-5`;
      const mode = Math.floor(r() * 4);
      const headers: Record<string, string> = {};
      if (user) headers.cookie = s.cookie[user];
      let payload: string | undefined;
      if (method !== 'GET' && method !== 'DELETE') {
        if (mode === 0) { headers['content-type'] = 'application/json'; payload = '{"broken": ' + 'x'.repeat(Math.floor(r() * 20)); }
        else if (mode === 1) { headers['content-type'] = 'text/plain'; payload = 'hello'; }
        else if (mode === 2) { headers['content-type'] = 'application/json'; payload = JSON.stringify(junkValue(r)); }
        else { headers['content-type'] = 'application/json'; payload = JSON.stringify({ ...(junkValue(r) as object), unexpectedKey: 1 }); }
      }
      const res = await s.app.inject({ method: method as 'GET', url, headers, payload });
      codes.set(res.statusCode, (codes.get(res.statusCode) ?? 0) + 1);
      let body: { message?: unknown } = {};
      try { body = res.json(); } catch { /* checked below */ }
      if (res.statusCode < 400 || res.statusCode >= 500 || typeof body.message !== 'string') bad.push(`${method} ${url.slice(0, 80)} [${payload?.slice(0, 60)}] → ${res.statusCode} ${res.body.slice(0, 120)}`);
    }
    expect(bad).toEqual([]);
    expect([...codes.keys()].every((c) => c >= 400 && c < 500)).toBe(true);
    expect(codes.get(400)).toBeGreaterThan(300);
    expect(codes.get(401)).toBeGreaterThan(100);
    expect((await s.app.inject({ url: '/api/health' })).statusCode).toBe(200);
  }, 120_000);

  test('3000 malformed MQTT payloads → every one a counted rejection; 300 more through a real broker; the server keeps working', async () => {
    const broker = await startMosquitto();
    const dir = mkdtempSync(join(tmpdir(), 'dcim-fuzz-'));
    const server = await startServer({ log: silentLogger, dataPlane: false, port: 0, config: { site: 'sim1', dataDir: dir, broker: { url: broker.url }, auth: { scryptCost: 14 }, agents: [{ id: 'agent-1', key: 'k'.repeat(32) }] } });
    try {
      const link = new OpsLink(server.ops, { url: broker.url, events: true }, silentLogger);
      const r = rng(7);
      const base = { v: 1, site: 'sim1', agent: 'agent-1', epoch: 'e', seq: 1, sentAt: 1, ts: 1, kind: 'alarm', message: 'm' };
      const makers: (() => [string, Buffer])[] = [
        () => ['dcim/v1/sim1/agent-1/event', Buffer.from('{not json' + 'x'.repeat(Math.floor(r() * 50)))],
        () => ['dcim/v1/sim1/agent-1/event', Buffer.from(JSON.stringify({ ...base, seq: -1 }))],
        () => ['dcim/v1/sim1/agent-1/event', Buffer.from(JSON.stringify({ ...base, kind: 'explode' }))],
        () => ['dcim/v1/sim1/agent-1/event', Buffer.from(JSON.stringify({ ...base, site: 'other' }))],
        () => ['dcim/v1/sim1/agent-1/event', Buffer.from(JSON.stringify({ ...base, seq: Math.floor(r() * 1e9) + 1, data: { alarmId: 12 } }))],
        () => ['dcim/v1/sim1/agent-1/event', Buffer.from(JSON.stringify({ ...base, seq: Math.floor(r() * 1e9) + 1, data: { alarmId: 'a1', active: 'yes' } }))],
        () => ['dcim/v1/sim1/agent-1/event', Buffer.from(JSON.stringify({ ...base, seq: Math.floor(r() * 1e9) + 1, data: { alarmId: 'a1', class: 'catastrophe' } }))],
        () => ['dcim/v1/sim1/agent-1/cmd/result', Buffer.from(JSON.stringify({ v: 1, id: 5, ok: 'yes' }))],
        () => ['dcim/v1/sim1/agent-1/status', Buffer.from(JSON.stringify({ v: 2, state: 'sideways' }))],
        () => ['dcim/v1/sim1/agent-1/state/fire/BR1', Buffer.from(JSON.stringify([1, 2, 3]))],
        () => ['dcim/v2/whatever', Buffer.from('{}')],
        () => ['dcim/v1/sim1/agent-1/event', Buffer.from(JSON.stringify(junkValue(r)))],
        () => ['dcim/v1/sim1/agent-1/event', Buffer.alloc(Math.floor(r() * 64), Math.floor(r() * 256))],
      ];
      for (let i = 0; i < 3000; i++) {
        const [t, p] = makers[Math.floor(r() * makers.length)]!();
        expect(() => link.onMessage(t, p)).not.toThrow();
      }
      expect(link.stats.rejected).toBe(3000);
      // and through the broker, to the server's own link
      const counters = server.ops.counters;
      const pub = mqtt.connect(broker.url);
      await new Promise<void>((res) => pub.once('connect', () => res()));
      for (let i = 0; i < 300; i++) { const [t, p] = makers[i % 10]!(); pub.publish(t, p, { qos: 1 }); }
      // a good event after the garbage is still processed
      const now = Date.now();
      pub.publish('dcim/v1/sim1/agent-1/event', JSON.stringify({ ...base, seq: 5, ts: now, sentAt: now, zone: 'BR1', severity: 'P2', message: 'door open', data: { alarmId: 'door', class: 'supervisory', active: true, priority: 2 } }), { qos: 1 });
      await waitFor(() => server.ops.alarms.list().some((a) => a.edgeId === 'door'), { what: 'good event processed after garbage', timeoutMs: 30_000 });
      expect(counters.eventsRejected).toBeGreaterThan(0);
      await pub.endAsync();
      const h = await fetch(`${server.url}/api/health`);
      expect(h.status).toBe(200);
      await link.stop();
    } finally {
      await server.close();
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
