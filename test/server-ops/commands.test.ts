/** Commands through the API: signing, per-issuer sequence persisted across restarts, roles per kind, validation, results, hand-over journal. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { verifyCommand } from '../../lib/command-signing.js';
import { silentLogger } from '../../lib/log.js';
import type { EdgeCommand } from '../../lib/mqtt-contract.js';
import { createOps } from '../../server/ops.js';
import { agentEvent, testServer, type TestServer } from './helper.js';

const KEY = 'agent-1-key-0123456789abcdef';
let s: TestServer | null = null;
afterEach(async () => { await s?.close(); s = null; });

function capture(s: TestServer) {
  const sent: { topic: string; cmd: EdgeCommand }[] = [];
  s.ops.commands.publisher = { publish: async (topic, payload) => { sent.push({ topic, cmd: JSON.parse(payload) }); } };
  return sent;
}

describe('commands to the edge', () => {
  test('signed with the agent key, fresh, sequenced; the agent of the zone is found from its reports', async () => {
    s = await testServer({ agents: [{ id: 'agent-1', key: KEY }, { id: 'agent-2', key: 'k'.repeat(20) }], issuer: 'server-a' });
    const sent = capture(s);
    s.ops.onEvent(agentEvent({ kind: 'fire.transition', zone: 'BR4', ts: s.clock.t, message: 'watch', data: { to: { incident: 'watch' }, stage: -1 } }));
    for (const kind of ['silence', 'water.stop']) {
      const r = await s.as(kind === 'silence' ? 'op1' : 'fire', 'POST', '/api/commands', { kind, zone: 'BR4', reason: 'on scene' });
      expect(r.statusCode).toBe(202);
    }
    expect(sent.map((x) => x.topic)).toEqual(['dcim/v1/sim1/agent-1/cmd', 'dcim/v1/sim1/agent-1/cmd']);
    expect(sent.map((x) => x.cmd.seq)).toEqual([1, 2]);
    expect(sent[1]!.cmd).toMatchObject({ kind: 'water.stop', zone: 'BR4', issuer: 'server-a', actors: [{ user: 'fire', role: 'firedept' }], reason: 'on scene' });
    for (const { cmd } of sent) {
      expect(verifyCommand(cmd, KEY, s.clock.t, new Map())).toBeNull();
      expect(cmd.expiresAt - cmd.issuedAt).toBe(10_000);
      expect(verifyCommand({ ...cmd, zone: 'BR1' }, KEY, s.clock.t, new Map())).toBe('bad_signature');
    }
    // results: accepted then done; an unknown id is counted, not applied
    s.ops.onCommandResult('sim1', 'agent-1', { v: 1, id: sent[0]!.cmd.id, ok: true, status: 'accepted', ts: s.clock.t });
    s.ops.onCommandResult('sim1', 'agent-1', { v: 1, id: sent[0]!.cmd.id, ok: true, status: 'done', ts: s.clock.t });
    s.ops.onCommandResult('sim1', 'agent-1', { v: 1, id: 'not-ours', ok: false, status: 'rejected', ts: s.clock.t });
    const rec = (await s.as('viewer', 'GET', `/api/commands/${sent[0]!.cmd.id}`)).json();
    expect([rec.status, rec.results.length]).toEqual(['done', 2]);
    expect(s.ops.counters.resultsRejected).toBe(1);
    const zone = (await s.as('viewer', 'GET', '/api/fire-zones/BR4')).json();
    expect(zone.timeline.map((e: { kind: string }) => e.kind)).toEqual(['fire.transition', 'command', 'command', 'command.result', 'command.result']);
  });

  test('per-issuer sequence is persisted: a restarted server continues above its last seq', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dcim-seq-'));
    const cfg = { site: 'sim1', agents: [{ id: 'agent-1', key: KEY }], issuer: 'server-a' };
    const seqs: number[] = [];
    for (let run = 0; run < 2; run++) {
      const ops = await createOps({ config: cfg, log: silentLogger, recordsPath: join(dir, 'records.duckdb') });
      ops.commands.publisher = { publish: async (_t, p) => { seqs.push((JSON.parse(p) as EdgeCommand).seq); } };
      for (let i = 0; i < 3; i++) await ops.commands.issue({ kind: 'silence', site: 'sim1', agent: 'agent-1', zone: 'BR1', actors: [{ user: 'op1', role: 'operator' }] });
      await ops.close();
    }
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('roles per kind and what each kind needs', async () => {
    s = await testServer({ agents: [{ id: 'agent-1', key: KEY }] });
    const sent = capture(s);
    expect((await s.as('op1', 'POST', '/api/commands', { kind: 'water.stop', zone: 'BR1', reason: 'x' })).statusCode).toBe(403);
    expect((await s.as('fire', 'POST', '/api/commands', { kind: 'bypass.start', zone: 'BR1' })).statusCode).toBe(403);
    expect((await s.as('op1', 'POST', '/api/commands', { kind: 'incident.controlled', zone: 'BR1' })).statusCode).toBe(403);
    const noPermit = await s.as('op1', 'POST', '/api/commands', { kind: 'bypass.start', zone: 'BR1', reason: 'probe swap', args: { rack: 3, channel: 'probeA' } });
    expect([noPermit.statusCode, noPermit.json().path]).toEqual([400, 'body.args']);
    const ok = await s.as('op1', 'POST', '/api/commands', { kind: 'bypass.start', zone: 'BR1', reason: 'probe swap', args: { rack: 3, channel: 'probeA', permitId: 'PTW-7', expiresAt: s.clock.t + 3_600_000 } });
    expect(ok.statusCode).toBe(202);
    expect(sent.at(-1)!.cmd).toMatchObject({ kind: 'bypass.start', args: { permitId: 'PTW-7', rack: 3 } });
    expect((await s.as('op1', 'POST', '/api/commands', { kind: 'reset', zone: 'BR1' })).statusCode).toBe(400); // resets only via /api/commands/reset
    const noKey = await s.as('op1', 'POST', '/api/commands', { kind: 'silence', zone: 'BR1', agent: 'agent-9' });
    expect([noKey.statusCode, noKey.json().message]).toEqual([409, "no command key configured for agent 'agent-9' (server config agents[].key)"]);
    // a single-person reset below stage 3 goes at once; shelving a P1 edge alarm is refused before any command
    expect((await s.as('admin', 'POST', '/api/commands/reset', { zone: 'BR1', reason: 'drill over' })).json().command.actors).toEqual([{ user: 'admin', role: 'admin' }]);
    s.ops.onEvent(agentEvent({ kind: 'alarm', zone: 'BR1', ts: s.clock.t, severity: 'P1', message: 'stage 1', data: { alarmId: 'stage1', class: 'alarm', active: true, latched: true, priority: 1 } }));
    const a = s.ops.alarms.list()[0]!;
    const n = sent.length;
    expect((await s.as('op1', 'POST', `/api/alarms/${a.id}/shelve`, { reason: 'nuisance', durationMin: 5 })).statusCode).toBe(409);
    expect(sent.length).toBe(n);
  });

  test('regression: the same edge alarm id in two zones is two alarms; acknowledgement mirrors per zone', async () => {
    s = await testServer({ agents: [{ id: 'agent-1', key: KEY }] });
    const doc = (zone: string, acked: boolean) => ({ stage: -1, state: { incident: 'idle' }, alarms: { 'channel:1/bms': { class: 'trouble', priority: 3, text: 'rack 1 bms: stale', active: true, acked, latched: false } } });
    for (const z of ['z1', 'z2']) s.ops.onEvent(agentEvent({ kind: 'alarm', zone: z, ts: s.clock.t, severity: 'P3', message: 'rack 1 bms: stale', data: { alarmId: 'channel:1/bms', class: 'trouble', active: true, latched: false, priority: 3 } }));
    expect(s.ops.alarms.list().map((a) => [a.zone, a.state, a.count]).sort()).toEqual([['z1', 'UNACK', 1], ['z2', 'UNACK', 1]]);
    s.ops.onFireState('sim1', 'agent-1', 'z1', doc('z1', true));
    s.ops.onFireState('sim1', 'agent-1', 'z2', doc('z2', false));
    expect(s.ops.alarms.list().map((a) => [a.zone, a.state]).sort()).toEqual([['z1', 'ACKED'], ['z2', 'UNACK']]);
    // z1 returns to normal (acknowledged, not latched → NORM); z2 is untouched
    s.ops.onEvent(agentEvent({ kind: 'alarm', zone: 'z1', ts: s.clock.t, severity: 'P3', message: 'rack 1 bms: fresh', data: { alarmId: 'channel:1/bms', class: 'trouble', active: false, latched: false, priority: 3 } }));
    expect(s.ops.alarms.list({ includeNormal: true }).map((a) => [a.zone, a.state]).sort()).toEqual([['z1', 'NORM'], ['z2', 'UNACK']]);
    // a second z2 document listing it unacknowledged and inactive → RTNUN; dropped from the document once acknowledged → NORM
    s.ops.onFireState('sim1', 'agent-1', 'z2', { ...doc('z2', false), alarms: { 'channel:1/bms': { class: 'trouble', priority: 3, text: 'x', active: false, acked: false, latched: false } } });
    expect(s.ops.alarms.list({ zone: 'z2' })[0]!.state).toBe('RTNUN');
    s.ops.onFireState('sim1', 'agent-1', 'z2', { stage: -1, alarms: {} });
    expect(s.ops.alarms.list({ zone: 'z2', includeNormal: true })[0]).toMatchObject({ state: 'NORM', active: false });
    // an active alarm dropped by the edge (e.g. after its recovery) is gone too
    s.ops.onEvent(agentEvent({ kind: 'alarm', zone: 'z3', ts: s.clock.t, severity: 'P3', message: 'stale', data: { alarmId: 'channel:2/bms', class: 'trouble', active: true, latched: false, priority: 3 } }));
    s.ops.onFireState('sim1', 'agent-1', 'z3', { stage: -1, alarms: {} });
    expect(s.ops.alarms.list({ zone: 'z3', includeNormal: true })[0]).toMatchObject({ state: 'NORM', active: false });
  });

  test('FS-26 the chattering flag of an edge alarm (zone document) is mirrored; a document without it keeps the last known value', async () => {
    s = await testServer({ agents: [{ id: 'agent-1', key: KEY }] });
    const rec = (extra: Record<string, unknown>) => ({ stage: -1, alarms: { 'channel:4/probeA': { class: 'trouble', priority: 3, text: 'rack 4 probeA: open circuit', active: true, acked: false, latched: false, ...extra } } });
    s.ops.onFireState('sim1', 'agent-1', 'z1', rec({ chattering: false }));
    expect(s.ops.alarms.list({ zone: 'z1' })[0]).toMatchObject({ state: 'UNACK', chattering: false });
    s.ops.onFireState('sim1', 'agent-1', 'z1', rec({ chattering: true, activations: [1, 2, 3] }));
    expect(s.ops.alarms.list({ zone: 'z1' })[0]!.chattering).toBe(true);
    s.ops.onFireState('sim1', 'agent-1', 'z1', rec({}));
    expect(s.ops.alarms.list({ zone: 'z1' })[0]!.chattering).toBe(true);
    s.ops.onFireState('sim1', 'agent-1', 'z1', rec({ chattering: false }));
    expect(s.ops.alarms.list({ zone: 'z1' })[0]!.chattering).toBe(false);
    // back to normal unacknowledged, then active again: the edge does not announce it again, nor does the server
    const n = s.ops.alarms.kpi.annunciated;
    s.ops.onFireState('sim1', 'agent-1', 'z1', rec({ active: false }));
    expect(s.ops.alarms.list({ zone: 'z1' })[0]!.state).toBe('RTNUN');
    s.ops.onFireState('sim1', 'agent-1', 'z1', rec({ active: true }));
    expect(s.ops.alarms.list({ zone: 'z1' })[0]!.state).toBe('UNACK');
    expect(s.ops.alarms.kpi.annunciated).toBe(n);
  });

  test('fd.handover / fd.release go to the edge and are journaled in the zone incident with who and to whom', async () => {
    s = await testServer({ agents: [{ id: 'agent-1', key: KEY }] });
    const sent = capture(s);
    s.ops.onEvent(agentEvent({ kind: 'fire.transition', zone: 'BR3', ts: s.clock.t, message: 's4', data: { to: { incident: 's4' }, stage: 4 } }));
    await s.ops.idle();
    const r = await s.as('op1', 'POST', '/api/commands', { kind: 'fd.handover', zone: 'BR3', reason: 'water not controlling', args: { counterpart: 'Seongnam FD crew 2' } });
    expect(r.statusCode).toBe(202);
    expect(sent.at(-1)!.cmd.kind).toBe('fd.handover');
    const inc = s.ops.incidents.openForZone('sim1', 'BR3')!;
    expect(inc.fd).toMatchObject({ inControl: true, by: 'op1', to: 'Seongnam FD crew 2' });
    await s.as('fire', 'POST', '/api/commands', { kind: 'fd.release', zone: 'BR3', reason: 'scene returned', args: { counterpart: 'op1' } });
    const j = (await s.as('viewer', 'GET', `/api/incidents/${inc.id}/journal`)).json();
    expect(j.filter((e: { kind: string }) => e.kind === 'handover').map((e: { author: string }) => e.author)).toEqual(['op1', 'fire']);
  });
});
