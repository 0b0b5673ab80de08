/** Notifications (R34) to a real SMTP server and a real HTTP receiver: routing, signature, escalation, fallback, records. */
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import { testServer, type TestServer } from './helper.js';
import { startSmtp, startWebhook, type SmtpReceiver, type WebhookReceiver } from './receivers.js';

let s: TestServer | null = null;
let smtp: SmtpReceiver | null = null;
let hook: WebhookReceiver | null = null;
afterEach(async () => { await s?.close(); await smtp?.close(); await hook?.close(); s = null; smtp = null; hook = null; });

const SECRET = 'webhook-secret-123';

async function setup() {
  smtp = await startSmtp();
  hook = await startWebhook();
  s = await testServer({
    notify: {
      channels: [
        { id: 'chat', type: 'webhook', url: hook.url, secret: SECRET, timeoutMs: 2000 },
        { id: 'mail', type: 'email', host: '127.0.0.1', port: smtp.port, from: 'dcim@site.example', timeoutMs: 2000 },
        { id: 'console', type: 'console' },
      ],
      recipients: [{ id: 'oncall', email: 'oncall@site.example' }, { id: 'manager', email: 'manager@site.example' }, { id: 'nomail' }],
      routes: [
        { priorities: ['P1', 'P2'], levels: [{ recipients: ['oncall'], channels: ['chat', 'mail'] }, { recipients: ['manager'], channels: ['mail'], afterS: 300 }] },
        { priorities: ['P4'], owners: ['facility'], levels: [{ recipients: ['oncall'], channels: ['mail'] }] },
      ],
    },
  });
  return s;
}

const raise = (s: TestServer, key: string, priority: 'P1' | 'P2' | 'P3' | 'P4', owners: string[] = []) =>
  s.ops.alarms.setCondition({ key, site: 'sim1', type: key, message: `${key} alarm`, class: 'alarm', priority, zone: 'z1', owners }, true)!;

describe('notifications', () => {
  test('a P1 goes to the webhook (HMAC-signed JSON); fallback to e-mail when the webhook fails; every attempt recorded', async () => {
    const s = await setup();
    const a = raise(s, 'ups.on.battery', 'P1');
    await s.ops.notify.idle();
    expect(hook!.hooks).toHaveLength(1);
    const h = hook!.hooks[0]!;
    const expected = `sha256=${createHmac('sha256', SECRET).update(`${String(h.headers['x-dcim-timestamp'])}.${h.body}`).digest('hex')}`;
    expect(h.headers['x-dcim-signature']).toBe(expected);
    expect(JSON.parse(h.body)).toMatchObject({ kind: 'alarm', subjectId: a.id, priority: 'P1', recipient: 'oncall' });
    expect(smtp!.mails).toHaveLength(0); // first channel succeeded: no fallback
    hook!.status = 500;
    const b = raise(s, 'feed.a.lost', 'P2');
    await s.ops.notify.idle();
    expect(smtp!.mails.map((m) => m.to)).toEqual([['oncall@site.example']]);
    expect(smtp!.mails[0]!.raw).toContain('feed.a.lost alarm');
    const attempts = (await s.as('viewer', 'GET', `/api/notifications?subjectId=${b.id}`)).json();
    expect(attempts.map((x: { channel: string; ok: boolean; attempt: number }) => [x.channel, x.ok, x.attempt]).reverse()).toEqual([['chat', false, 1], ['mail', true, 2]]);
    expect(attempts.find((x: { ok: boolean }) => !x.ok).error).toContain('HTTP 500');
  });

  test('escalation: unacknowledged after 5 min → level 2 notified; acknowledging stops it', async () => {
    const s = await setup();
    const a = raise(s, 'chiller.trip', 'P2');
    await s.ops.notify.idle();
    s.clock.advance(299_000); await s.ops.tick(); await s.ops.notify.idle();
    expect(smtp!.mails).toHaveLength(0);
    s.clock.advance(1000); await s.ops.tick(); await s.ops.notify.idle();
    expect(smtp!.mails.map((m) => m.to[0])).toEqual(['manager@site.example']);
    expect(smtp!.mails[0]!.raw).toContain('escalated to level 1');
    const b = raise(s, 'tank.low', 'P2');
    await s.ops.notify.idle();
    await s.as('op1', 'POST', `/api/alarms/${b.id}/ack`, {});
    s.clock.advance(600_000); await s.ops.tick(); await s.ops.notify.idle();
    expect(smtp!.mails).toHaveLength(1);
    expect(s.ops.alarms.get(a.id)!.state).toBe('UNACK');
  });

  test('an unacknowledged P1 re-alarm escalates at once to the next level', async () => {
    const s = await setup();
    const a = raise(s, 'stage1', 'P1');
    await s.ops.notify.idle();
    expect(smtp!.mails).toHaveLength(0); // level 0: webhook
    s.clock.advance(300_000); await s.ops.tick(); await s.ops.notify.idle();
    // the re-alarm (5 min) and the level-1 deadline (300 s) coincide: the manager is mailed once, not twice
    expect(smtp!.mails.map((m) => m.to[0])).toEqual(['manager@site.example']);
    s.clock.advance(300_000); await s.ops.tick(); await s.ops.notify.idle();
    expect(smtp!.mails.map((m) => m.to[0])).toEqual(['manager@site.example', 'manager@site.example']);
    expect(smtp!.mails[1]!.raw).toContain('re-alarm');
    await s.as('op1', 'POST', `/api/alarms/${a.id}/ack`, {});
    s.clock.advance(600_000); await s.ops.tick(); await s.ops.notify.idle();
    expect(smtp!.mails).toHaveLength(2);
  });

  test('routing by priority and owner: P3 matches no route; P4 only for the facility owner', async () => {
    const s = await setup();
    raise(s, 'door.open', 'P3');
    raise(s, 'filter.dirty', 'P4', ['it']);
    await s.ops.notify.idle();
    expect(hook!.hooks.length + smtp!.mails.length).toBe(0);
    raise(s, 'lamp.fail', 'P4', ['facility']);
    await s.ops.notify.idle();
    expect(smtp!.mails).toHaveLength(1);
  });

  test('a failing webhook and a dead SMTP server are recorded failures, not a crash', async () => {
    const s = await setup();
    await smtp!.close(); smtp = null;
    hook!.status = 500;
    const a = raise(s, 'ats.fail', 'P1');
    await s.ops.notify.idle();
    const attempts = (await s.as('viewer', 'GET', `/api/notifications?subjectId=${a.id}`)).json();
    expect(attempts).toHaveLength(2);
    expect(attempts.every((x: { ok: boolean }) => !x.ok)).toBe(true);
    expect(s.ops.notify.stats.failed).toBe(2);
    expect((await s.as('viewer', 'GET', '/api/health')).statusCode).toBe(200);
  });
});
