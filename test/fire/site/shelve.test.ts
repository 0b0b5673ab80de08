/**
 * FS-25 shelving an edge alarm from the console: the operator shelves over the server's HTTP API,
 * the signed command is verified and applied at the edge (the agent against the simulator), and
 * the server mirrors the edge's shelved state from the zone document. A P1 cannot be shelved.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../lib/log.js';
import { startServer, type RunningServer } from '../../../server/main.js';
import { startSiteRig, type SiteRig } from '../support/site-rig.js';

const KEY = 'edge-1-command-key-0123456789abcdef';
const PW = 'a long test password';
const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => { for (const c of cleanup.splice(0).reverse()) { try { await c(); } catch { /* keep cleaning */ } } });

describe('FS-25 shelving an edge alarm through the server', () => {
  it('FS-25 an operator shelves the abort-circuit trouble (P2) from the console: the edge shelves it, the server shows SHLVD with who and why; a P1 shelve is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dcim-shelve-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const keyFile = join(dir, 'edge-1.key');
    writeFileSync(keyFile, `${KEY}\n`, { mode: 0o600 });
    const rig: SiteRig = await startSiteRig({ racks: 2, camera: false, fire: { commandKeyFile: keyFile } });
    cleanup.push(() => rig.close());
    const server: RunningServer = await startServer({
      log: silentLogger, dataPlane: false, port: 0,
      config: { site: 'sim1', dataDir: join(dir, 'server'), broker: { url: rig.broker.url }, issuer: 'server-shelve', agents: [{ id: 'edge-1', key: KEY }], auth: { scryptCost: 14 } },
    });
    cleanup.push(() => server.close());
    await server.ops.auth.createUser('op1', 'operator', PW);
    const login = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'op1', password: PW }) });
    expect(login.status).toBe(200);
    const cookie = /dcim_session=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')![1]!;
    const call = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(`${server.url}${path}`, { method, headers: { cookie: `dcim_session=${cookie}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
      return { status: r.status, json: (await r.json()) as Record<string, any> };
    };
    type A = { id: string; edgeId?: string; state: string; priority: string; shelve?: { by: string; reason: string; until: number } };
    const edgeAlarm = async (edgeId: string) => ((await call('GET', '/api/alarms?all=true')).json as unknown as A[]).find((a) => a.edgeId === edgeId);

    await rig.input('abort.circuit.ok', false);
    const trouble = await rig.until(() => edgeAlarm('abortCircuit'), 'the abort-circuit trouble at the server');
    expect(trouble.priority).toBe('P2');
    const res = await call('POST', `/api/alarms/${trouble.id}/shelve`, { reason: 'panel contractor on site', durationMin: 30 });
    expect(res.status).toBe(202);
    const edgeShelve = () => (rig.zone().stateDoc().alarms as Record<string, { shelved?: unknown }>).abortCircuit?.shelved;
    await rig.until(() => edgeShelve(), 'shelved at the edge');
    expect(edgeShelve()).toMatchObject({ by: 'op1', reason: 'panel contractor on site' });
    const mirrored = await rig.until(async () => { const a = await edgeAlarm('abortCircuit'); return a?.state === 'SHLVD' ? a : undefined; }, 'SHLVD at the server');
    expect(mirrored.shelve).toMatchObject({ by: 'op1', reason: 'panel contractor on site' });
    expect(rig.journal().some((r) => r.type === 'note.command' && r.data.command === 'SHELVE')).toBe(true);

    // A fire alarm (stage 1, P1) cannot be shelved: the server refuses before anything is sent.
    await rig.force('rack.1.probe.a.temperature', 65);
    await rig.force('rack.1.probe.b.temperature', 65);
    await rig.until(() => rig.stage() >= 1, 'stage 1');
    const p1 = await rig.until(async () => ((await call('GET', '/api/alarms')).json as unknown as A[]).find((a) => a.priority === 'P1'), 'a P1 at the server');
    const refused = await call('POST', `/api/alarms/${p1.id}/shelve`, { reason: 'too loud', durationMin: 10 });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(refused.json)).toMatch(/cannot be shelved/);
  }, 60_000);
});
