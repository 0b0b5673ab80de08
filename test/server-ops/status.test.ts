/** Status (R30), dependency graph and owner notification (R31), power cut (R41), through the API with a simulated clock. */
import { afterEach, describe, expect, test } from 'vitest';
import type { Point } from '../../lib/points.js';
import { testServer, type TestServer } from './helper.js';

let s: TestServer | null = null;
afterEach(async () => { await s?.close(); s = null; });

const pt = (device: string, ts: number): Point => ({ site: 'sim1', device, name: 'x', value: 1, ts, quality: 'good' });

const GRAPH = {
  status: { evaluateEveryS: 60, unknownToDownS: 180, defaultIntervalS: 60 },
  dependencies: [
    { id: 'chiller-plant', kind: 'chiller' as const, device: 'chiller-plant' },
    { id: 'tank', kind: 'tank' as const, dependsOn: ['chiller-plant'] },
    { id: 'crah-room-2', kind: 'room' as const, dependsOn: ['tank'], device: 'env-sr2' },
    { id: 'crah-room-3', kind: 'room' as const, device: 'env-sr1' },
    { id: 'racks-200', kind: 'rack' as const, dependsOn: ['crah-room-2'] },
    { id: 'S-pay', kind: 'service' as const, dependsOn: ['racks-200'], owners: ['O1'] },
    { id: 'S-msg', kind: 'service' as const, dependsOn: ['crah-room-2', 'crah-room-3'], redundancy: 'any' as const, owners: ['O2'] },
    { id: 'S-mail', kind: 'service' as const, dependsOn: ['crah-room-2'], owners: ['O2'] },
  ],
  notify: { recipients: [{ id: 'O1' }, { id: 'O2' }], channels: [{ id: 'console', type: 'console' as const }] },
};

async function statusOf(id: string) { return (await s!.as('viewer', 'GET', `/api/status/${id}`)).json(); }

describe('status and dependencies', () => {
  test('R30: data stops at 10:00 → Unknown by 10:02, Down by 10:05; resumes → Up within one evaluation', async () => {
    s = await testServer(GRAPH);
    const { ops, clock } = s;
    clock.t = Date.UTC(2026, 2, 6, 9, 58);
    for (const d of ['chiller-plant', 'env-sr1', 'env-sr2']) ops.onPoints([pt(d, clock.t)]);
    clock.t = Date.UTC(2026, 2, 6, 10, 0); for (const d of ['chiller-plant', 'env-sr1', 'env-sr2']) ops.onPoints([pt(d, clock.t)]);
    ops.status.evaluate();
    expect((await statusOf('crah-room-2')).status).toBe('Up');
    const seen: string[] = [];
    for (let m = 1; m <= 6; m++) {
      clock.t = Date.UTC(2026, 2, 6, 10, m);
      ops.onPoints([pt('chiller-plant', clock.t), pt('env-sr1', clock.t)]);
      ops.status.evaluate();
      seen.push(`${m}:${(await statusOf('crah-room-2')).status}`);
    }
    expect(seen).toEqual(['1:Up', '2:Up', '3:Unknown', '4:Unknown', '5:Down', '6:Down']);
    // exact boundary: Unknown after 2 × 60 s without data (10:02:00 + ε), Down 3 min later
    clock.t = Date.UTC(2026, 2, 6, 10, 2, 1); ops.status.evaluate();
    expect((await statusOf('crah-room-2')).status).toBe('Unknown');
    clock.t = Date.UTC(2026, 2, 6, 10, 4, 59); ops.status.evaluate();
    expect((await statusOf('crah-room-2')).status).toBe('Unknown');
    clock.t = Date.UTC(2026, 2, 6, 10, 5, 0); ops.status.evaluate();
    expect((await statusOf('crah-room-2')).status).toBe('Down');
    ops.onPoints([pt('env-sr2', clock.t)]);
    expect((await statusOf('crah-room-2')).status).toBe('Up');
  });

  test('R31: a Down room marks dependents, notifies each owner once per incident with the root cause; redundant service stays Up', async () => {
    s = await testServer(GRAPH);
    const { ops, clock } = s;
    const banners: Record<string, unknown>[] = [];
    ops.bus.on((m) => { if (m.topic === 'banner') banners.push(m.data); });
    for (const d of ['chiller-plant', 'env-sr1', 'env-sr2']) ops.onPoints([pt(d, clock.t)]);
    ops.status.evaluate();
    // the room goes Down by a P1 alarm on its device
    ops.alarms.setCondition({ key: 'crah2', site: 'sim1', type: 'crah.fail', message: 'CRAH room 2 failed', class: 'alarm', priority: 'P1', device: 'env-sr2' }, true);
    const byId = Object.fromEntries((await s.as('viewer', 'GET', '/api/status')).json().map((n: { id: string; status: string }) => [n.id, n.status]));
    expect(byId).toMatchObject({ 'crah-room-2': 'Down', 'racks-200': 'Down', 'S-pay': 'Warning', 'S-mail': 'Warning', 'S-msg': 'Up', tank: 'Up' });
    // evaluate again (and again): still one notification per owner
    ops.status.evaluate(); ops.status.evaluate();
    await ops.notify.idle();
    const toOwners = banners.filter((b) => b.kind === 'status');
    expect(toOwners.map((b) => b.recipient).sort()).toEqual(['O1', 'O2']);
    expect(String(toOwners[0]!.text)).toContain('crah-room-2 Down');
    const why = (await s.as('viewer', 'GET', '/api/status/S-pay/why')).json();
    expect(why.status).toBe('Warning');
    expect(why.chain.map((c: { id: string }) => c.id)).toContain('crah-room-2');
    expect(why.chain.find((c: { id: string }) => c.id === 'crah-room-2').reason).toContain('CRAH room 2 failed');
  });

  test('what is affected if X fails', async () => {
    s = await testServer(GRAPH);
    const { ops, clock } = s;
    for (const d of ['chiller-plant', 'env-sr1', 'env-sr2']) ops.onPoints([pt(d, clock.t)]);
    const r = (await s.as('viewer', 'GET', '/api/status/chiller-plant/impact')).json();
    const after = Object.fromEntries(r.affected.map((a: { id: string; after: string }) => [a.id, a.after]));
    expect(after).toEqual({ tank: 'Down', 'crah-room-2': 'Down', 'racks-200': 'Down', 'S-pay': 'Warning', 'S-mail': 'Warning' });
    expect((await s.as('viewer', 'GET', '/api/status/nope/impact')).statusCode).toBe(404);
  });

  test('Maintenance from an approved window (admin only); agents go Unknown when offline then Down', async () => {
    s = await testServer(GRAPH);
    const { ops, clock } = s;
    for (const d of ['chiller-plant', 'env-sr1', 'env-sr2']) ops.onPoints([pt(d, clock.t)], 'agent-1');
    expect((await s.as('op1', 'POST', '/api/status/tank/maintenance', { on: true, reason: 'MOP-12' })).statusCode).toBe(403);
    const m = await s.as('admin', 'POST', '/api/status/tank/maintenance', { on: true, reason: 'MOP-12 valve swap', untilMin: 60 });
    expect(m.json()).toMatchObject({ status: 'Maintenance' });
    ops.onAgentStatus('sim1', 'agent-1', false, clock.t);
    expect((await statusOf('agent-1')).status).toBe('Unknown');
    expect((await statusOf('crah-room-3')).status).toBe('Warning'); // the agent of its device is Unknown
    clock.advance(180_000); ops.status.evaluate();
    expect((await statusOf('agent-1')).status).toBe('Down');
  });

  test('nodes sharing a device and a configured agent node: no duplicate agent node; agent offline → Unknown at once', async () => {
    s = await testServer({ dependencies: [
      { id: 'agent.edge-1', kind: 'agent', agent: 'edge-1' },
      { id: 'feed.A', kind: 'feed', device: 'ats-1', agent: 'edge-1', dependsOn: ['agent.edge-1'] },
      { id: 'feed.B', kind: 'feed', device: 'ats-1', agent: 'edge-1', dependsOn: ['agent.edge-1'] },
      { id: 'ats', kind: 'ats', device: 'ats-1', agent: 'edge-1', dependsOn: ['feed.A', 'feed.B'], redundancy: 'any' },
    ] });
    const { ops, clock } = s;
    ops.onAgentStatus('sim1', 'edge-1', true, clock.t);
    ops.onPoints([pt('ats-1', clock.t), pt('ups-z1', clock.t)], 'edge-1');
    const ids = (await s.as('viewer', 'GET', '/api/status')).json().map((n: { id: string; status: string }) => `${n.id}:${n.status}`);
    expect(ids).toEqual(['agent.edge-1:Up', 'ats:Up', 'feed.A:Up', 'feed.B:Up', 'ups-z1:Up']);
    expect((await statusOf('ups-z1')).dependsOn).toEqual(['agent.edge-1']);
    ops.onAgentStatus('sim1', 'edge-1', false, clock.t + 1000);
    expect((await statusOf('feed.A'))).toMatchObject({ status: 'Unknown', reason: 'agent edge-1 offline' });
    expect((await statusOf('ups-z1'))).toMatchObject({ status: 'Unknown', reason: 'agent edge-1 offline' });
    expect((await statusOf('ats')).status).toBe('Unknown');
  });

  test('R41: a planned building power cut → dependents Unknown with reason planned-cut, no Down notifications', async () => {
    s = await testServer(GRAPH);
    const { ops, clock } = s;
    const banners: unknown[] = [];
    ops.bus.on((m) => { if (m.topic === 'banner') banners.push(m.data); });
    for (const d of ['chiller-plant', 'env-sr1', 'env-sr2']) ops.onPoints([pt(d, clock.t)]);
    ops.status.evaluate();
    const inc = (await s.as('op1', 'POST', '/api/incidents', { title: 'Battery room fire BR3', grade: 1, zone: 'BR3' })).json();
    const r = await s.as('fire', 'POST', '/api/site/power-cut', { planned: true, reason: 'fire service cuts building power', incidentId: inc.id });
    expect(r.statusCode).toBe(200);
    clock.advance(30 * 60_000); ops.status.evaluate();
    const nodes = (await s.as('viewer', 'GET', '/api/status')).json();
    const room = nodes.find((n: { id: string }) => n.id === 'crah-room-2');
    expect(room).toMatchObject({ status: 'Unknown', reason: 'planned-cut' });
    expect(nodes.some((n: { status: string }) => n.status === 'Down')).toBe(false);
    await ops.notify.idle();
    expect(banners.filter((b) => (b as { kind: string }).kind === 'status')).toHaveLength(0);
    const journal = (await s.as('viewer', 'GET', `/api/incidents/${inc.id}/journal`)).json();
    expect(journal.at(-1)).toMatchObject({ kind: 'power-cut', author: 'fire' });
  });
});
