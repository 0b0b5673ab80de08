/**
 * End to end over real sockets: a real Mosquitto broker, the server listening on port 0, a
 * real SMTP server and webhook receiver, and an edge stand-in that verifies commands with the
 * agent's own intake (agent/fire/commands.ts CommandIntake) and answers like the fire runtime.
 *
 * Simulated thermal runaway → incident opened and graded → P1 alarm mirrored → operator
 * acknowledges over HTTP → signed ack verified at the edge → notifications delivered → after the
 * sequence, reset by two people reaches the edge and is journaled on both sides; a replayed and a
 * stale command are rejected at the edge.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { silentLogger } from '../../lib/log.js';
import { signCommand } from '../../lib/command-signing.js';
import { topic, type CommandResult, type EdgeCommand } from '../../lib/mqtt-contract.js';
import { CommandIntake } from '../../agent/fire/commands.js';
import { startServer, type RunningServer } from '../../server/main.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { waitFor } from '../support/ports.js';
import { startSmtp, startWebhook, type SmtpReceiver, type WebhookReceiver } from './receivers.js';
import { sse, type SseClient } from './sse.js';

const KEY = 'agent-1-command-key-0123456789';
const PW = 'a long test password';
let broker: Mosquitto; let server: RunningServer; let smtp: SmtpReceiver; let hook: WebhookReceiver; let edge: MqttClient; let dir: string;
const edgeJournal: { type: string; data: Record<string, unknown> }[] = [];
const received: EdgeCommand[] = [];
let seq = 0;
const zoneAlarms: Record<string, { class: string; priority: number; text: string; active: boolean; acked: boolean; latched: boolean }> = {};
let stage = -1;

function publishEvent(kind: string, message: string, data: Record<string, unknown>, severity = 'P1') {
  const now = Date.now();
  edge.publish(topic('sim1', 'agent-1', 'event'), JSON.stringify({ v: 1, site: 'sim1', agent: 'agent-1', epoch: 'ep1', seq: ++seq, sentAt: now, ts: now, kind, zone: 'BR1', severity, message, data }), { qos: 1 });
}
function publishState() {
  edge.publish(topic('sim1', 'agent-1', 'state/fire/BR1'), JSON.stringify({ v: 1, zone: 'BR1', stage, state: { incident: stage >= 0 ? `s${stage}` : 'idle' }, alarms: zoneAlarms, fdControl: null, updatedAt: Date.now() }), { qos: 1, retain: true });
}
function transition(to: string, n: number) { stage = n; publishEvent('fire.transition', `zone BR1: → stage ${n}`, { to: { life: 'operational', incident: to }, stage: n }); publishState(); }

async function login(username: string): Promise<string> {
  const r = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PW }) });
  expect(r.status).toBe(200);
  return /dcim_session=([^;]+)/.exec(r.headers.get('set-cookie') ?? '')![1]!;
}
async function call(cookie: string, method: string, path: string, body?: unknown) {
  const r = await fetch(`${server.url}${path}`, { method, headers: { cookie: `dcim_session=${cookie}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  return { status: r.status, json: await r.json() as Record<string, any> };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dcim-e2e-'));
  broker = await startMosquitto();
  smtp = await startSmtp();
  hook = await startWebhook();
  server = await startServer({
    log: silentLogger, dataPlane: false, port: 0,
    config: {
      site: 'sim1', dataDir: dir, broker: { url: broker.url }, issuer: 'server-e2e', agents: [{ id: 'agent-1', key: KEY }], auth: { scryptCost: 14 },
      notify: {
        channels: [{ id: 'chat', type: 'webhook', url: hook.url, secret: 'hook-secret-1' }, { id: 'mail', type: 'email', host: '127.0.0.1', port: smtp.port, from: 'dcim@site.example' }],
        recipients: [{ id: 'oncall', email: 'oncall@site.example' }, { id: 'fireteam', email: 'fire@site.example' }],
        routes: [{ priorities: ['P1'], levels: [{ recipients: ['oncall'], channels: ['chat'] }] }, { priorities: ['P1'], levels: [{ recipients: ['fireteam'], channels: ['mail'] }] }],
      },
    },
  });
  expect(server.firstAdmin?.username).toBe('admin');
  await Promise.all([['lead', 'admin'], ['op1', 'operator'], ['viewer1', 'viewer']].map(([u, r]) => server.ops.auth.createUser(u!, r as 'admin', PW)));
  await server.ops.auth.setPassword((await server.ops.repos.userByName('admin'))!.id, PW);

  edge = mqtt.connect(broker.url, { clientId: 'edge-agent-1' });
  await new Promise<void>((r) => edge.once('connect', () => r()));
  const intake = new CommandIntake({
    keys: { '*': KEY }, seqFile: join(dir, 'edge-seq.json'), clock: { now: () => Date.now(), monotonic: () => performance.now() },
    journal: (type, data) => { edgeJournal.push({ type, data }); },
    publishResult: (r: CommandResult) => { edge.publish(topic('sim1', 'agent-1', 'cmd/result'), JSON.stringify(r), { qos: 1 }); },
    dispatch: async (c) => {
      if (c.kind === 'ack') {
        for (const [id, a] of Object.entries(zoneAlarms)) if (!c.target || c.target === id) a.acked = true;
        publishState();
        return { ok: true, status: 'done' };
      }
      if (c.kind === 'reset') {
        if (c.actors[0]!.role !== 'admin') return { ok: false, status: 'rejected', reason: 'reset needs the admin role' };
        if (stage >= 3 && new Set(c.actors.map((a) => a.user)).size < 2) return { ok: false, status: 'rejected', reason: 'stage ≥ 3: reset needs two distinct persons' };
        if (Object.values(zoneAlarms).some((a) => a.active || !a.acked)) return { ok: false, status: 'rejected', reason: 'alarm active or unacknowledged' };
        for (const id of Object.keys(zoneAlarms)) delete zoneAlarms[id];
        transition('idle', -1);
        return { ok: true, status: 'done' };
      }
      return { ok: false, status: 'rejected', reason: `not handled: ${c.kind}` };
    },
  });
  intake.start();
  await edge.subscribeAsync(topic('sim1', 'agent-1', 'cmd'), { qos: 1 });
  edge.on('message', (_t, payload) => { received.push(JSON.parse(payload.toString())); void intake.handle(payload, 'mqtt'); });
}, 60_000);

afterAll(async () => {
  await edge?.endAsync(true);
  await server?.close();
  await smtp?.close(); await hook?.close();
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('thermal runaway → incident → alarm → ack → notifications → two-person reset, journaled on both sides', async () => {
  const op1 = await login('op1'); const lead = await login('lead'); const admin = await login('admin'); const viewer = await login('viewer1');
  const stream: SseClient = await sse(`${server.url}/api/stream`, { cookie: `dcim_session=${op1}` });
  expect(stream.status).toBe(200);
  await stream.next((e) => e.event === 'hello', 30_000);

  // The edge detects a thermal runaway in BR1 rack 7 and runs its stages.
  transition('watch', -1);
  zoneAlarms.stage1 = { class: 'alarm', priority: 1, text: 'stage 1: rack 7 at 61 °C, isolated', active: true, acked: false, latched: true };
  publishEvent('alarm', zoneAlarms.stage1.text, { alarmId: 'stage1', class: 'alarm', active: true, latched: true, priority: 1, rack: 7 });
  transition('s1', 1);
  transition('s3', 3);

  const alarmEv = await stream.next((e) => e.event === 'alarm' && (e.data.alarm as { edgeId?: string }).edgeId === 'stage1', 30_000);
  expect(alarmEv.data.alarm).toMatchObject({ state: 'UNACK', priority: 'P1', source: 'edge', zone: 'BR1', latched: true });
  const inc = await waitFor(async () => { const l = (await call(viewer, 'GET', '/api/incidents?open=true')).json as unknown as { grade: number; id: string; fireStage: string }[]; return l[0]?.grade === 1 && l[0].fireStage === 's3' ? l[0] : undefined; }, { what: 'incident graded 1', timeoutMs: 30_000 });
  await stream.next((e) => e.event === 'fire' && e.data.stage === 's3', 30_000);

  // Notifications reach the webhook and the SMTP receiver.
  await waitFor(() => hook.hooks.length > 0 && smtp.mails.length > 0, { what: 'notifications delivered', timeoutMs: 30_000 });
  expect(JSON.parse(hook.hooks[0]!.body)).toMatchObject({ kind: 'alarm', priority: 'P1' });
  expect(smtp.mails[0]!.to).toEqual(['fire@site.example']);

  // A viewer cannot acknowledge; the operator acknowledges over the API; the edge verifies and confirms.
  const alarmId = (alarmEv.data.alarm as { id: string }).id;
  expect((await call(viewer, 'POST', `/api/alarms/${alarmId}/ack`, {})).status).toBe(403);
  const ack = await call(op1, 'POST', `/api/alarms/${alarmId}/ack`, {});
  expect(ack.status).toBe(202);
  const cmdId = ack.json.command.id as string;
  await waitFor(async () => ((await call(op1, 'GET', `/api/commands/${cmdId}`)).json.status === 'done' ? true : undefined), { what: 'ack done', timeoutMs: 30_000 });
  await stream.next((e) => e.event === 'alarm' && (e.data.alarm as { id: string; state: string }).id === alarmId && (e.data.alarm as { state: string }).state === 'ACKED', 30_000);
  const ackCmd = received.find((c) => c.id === cmdId)!;
  expect(ackCmd).toMatchObject({ kind: 'ack', target: 'stage1', zone: 'BR1', issuer: 'server-e2e', actors: [{ user: 'op1', role: 'operator' }] });
  expect(ackCmd.expiresAt - ackCmd.issuedAt).toBeLessThanOrEqual(10_000);

  // Reset refused by the model while the alarm is active (409, no command sent).
  const before = received.length;
  expect((await call(lead, 'POST', `/api/alarms/${alarmId}/reset`, { reason: 'too early' })).status).toBe(409);
  expect(received.length).toBe(before);

  // The sequence ends: the condition returns to normal, latched and acknowledged.
  zoneAlarms.stage1.active = false;
  publishEvent('alarm', zoneAlarms.stage1.text, { alarmId: 'stage1', class: 'alarm', active: false, latched: true, priority: 1 });
  publishState();
  await waitFor(async () => ((await call(viewer, 'GET', `/api/alarms/${alarmId}`)).json.state === 'LATCH_ACK' ? true : undefined), { what: 'LATCH_ACK', timeoutMs: 30_000 });

  // Two-person reset (stage ≥ 3): lead requests, the same person cannot confirm, a viewer cannot, op1 confirms.
  const req = await call(lead, 'POST', '/api/commands/reset', { zone: 'BR1', reason: 'runaway contained, racks inspected' });
  expect(req.status).toBe(202);
  const pendingId = req.json.pending.id as string;
  expect((await call(lead, 'POST', `/api/commands/pending/${pendingId}/confirm`, {})).status).toBe(409);
  expect((await call(viewer, 'POST', `/api/commands/pending/${pendingId}/confirm`, {})).status).toBe(403);
  const conf = await call(op1, 'POST', `/api/commands/pending/${pendingId}/confirm`, { wait: 5000 });
  expect(conf.status).toBe(202);
  expect(conf.json.command).toMatchObject({ kind: 'reset', actors: [{ user: 'lead', role: 'admin' }, { user: 'op1', role: 'operator' }] });
  await waitFor(async () => ((await call(op1, 'GET', `/api/commands/${conf.json.command.id as string}`)).json.status === 'done' ? true : undefined), { what: 'reset done', timeoutMs: 30_000 });
  await waitFor(async () => ((await call(viewer, 'GET', `/api/alarms/${alarmId}`)).json.state === 'NORM' ? true : undefined), { what: 'alarm back to NORM after reset', timeoutMs: 30_000 });

  // Journaled on both sides.
  expect(edgeJournal.filter((j) => j.type === 'command.accepted').map((j) => j.data.kind)).toEqual(['ack', 'reset']);
  expect(edgeJournal.find((j) => j.type === 'command.accepted' && j.data.kind === 'reset')!.data.actors).toEqual([{ user: 'lead', role: 'admin' }, { user: 'op1', role: 'operator' }]);
  const journal = await waitFor(async () => { const j = (await call(viewer, 'GET', `/api/incidents/${inc.id}/journal`)).json as unknown as { kind: string; text: string }[]; return j.some((e) => e.text.includes('reset by lead + op1 → done')) ? j : undefined; }, { what: 'server journal', timeoutMs: 30_000 });
  expect(journal.map((e) => e.kind)).toContain('command');

  // A captured command replayed → rejected at the edge; a stale one (issued 20 s ago) too.
  const resetCmd = received.find((c) => c.kind === 'reset')!;
  edge.emit('message', topic('sim1', 'agent-1', 'cmd'), Buffer.from(JSON.stringify(resetCmd)), {} as never);
  const stale = signCommand({ v: 1, id: 'stale-command-1', kind: 'ack', zone: 'BR1', actors: [{ user: 'op1', role: 'operator' }], issuedAt: Date.now() - 20_000, expiresAt: Date.now() - 10_000, issuer: 'server-e2e', seq: 1_000_000 }, KEY);
  edge.emit('message', topic('sim1', 'agent-1', 'cmd'), Buffer.from(JSON.stringify(stale)), {} as never);
  await waitFor(() => edgeJournal.filter((j) => j.type === 'command.rejected').length >= 2, { what: 'edge rejections', timeoutMs: 30_000 });
  expect(edgeJournal.filter((j) => j.type === 'command.rejected').map((j) => j.data.reason)).toEqual(['replayed', 'expired']);
  const resetRec = await waitFor(async () => { const c = (await call(admin, 'GET', `/api/commands/${resetCmd.id}`)).json; return (c.results as CommandResult[]).some((r) => r.reason === 'replayed') ? c : undefined; }, { what: 'replay result at the server', timeoutMs: 30_000 });
  expect(resetRec.results.map((r: CommandResult) => r.status)).toEqual(['accepted', 'done', 'rejected']);

  // Every command is audited with who and from where.
  const audit = (await call(admin, 'GET', '/api/audit?action=POST%20/api/commands')).json as unknown as { actor: string; ip: string; ok: boolean }[];
  expect(audit.some((a) => a.actor === 'op1' && a.ip === '127.0.0.1' && a.ok)).toBe(true);
  stream.close();
}, 120_000);
