/**
 * Server alarms through the HTTP API (inject) with a simulated clock: rules with on/off delays
 * and hysteresis, ack / shelve / reset and their refusals, re-alarm, flood, chatter, first-out,
 * count per key, and a restart in the middle of an on-delay (R32).
 */
import { afterEach, describe, expect, test } from 'vitest';
import type { Point } from '../../lib/points.js';
import { agentEvent, testServer, type TestServer } from './helper.js';

let s: TestServer | null = null;
afterEach(async () => { await s?.close(); s = null; });

const pt = (device: string, name: string, value: number | boolean, ts: number, quality: Point['quality'] = 'good'): Point => ({ site: 'sim1', device, name, value, ts, quality });

const RULES = {
  alarms: {
    rules: [
      { id: 'tank.supply.high', device: 'chiller-plant', point: 'tank.supply.temperature', op: '>' as const, limit: 16, deadband: 1, onDelayS: 600, priority: 'P2' as const },
      { id: 'br1.temp.high', device: 'bms-br1', point: 'rack.1.temperature.max', op: '>' as const, limit: 50, deadband: 2, priority: 'P3' as const, zone: 'BR1', latched: true },
      { id: 'br1.smoke', device: 'fire-br1', point: 'room.smoke', op: '==' as const, limit: true, priority: 'P1' as const, zone: 'BR1', class: 'alarm' as const },
      { id: 'ups.load.high', device: 'ups-z1', point: 'ups.load', op: '>' as const, limit: 90, priority: 'P4' as const, offDelayS: 30 },
      { id: 'pdu.current.high', device: 'pdu-gw-1', point: 'rack.1.current', op: '>' as const, limit: 16, priority: 'P3' as const },
    ],
  },
};

describe('alarm lifecycle over the API', () => {
  test('raise → UNACK → ack (audited) → clear → NORM; repeats count on one alarm', async () => {
    s = await testServer(RULES);
    const { ops, clock } = s;
    ops.onPoints([pt('ups-z1', 'ups.load', 95, clock.t)]);
    let list = (await s.as('viewer', 'GET', '/api/alarms')).json();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ type: 'ups.load.high', state: 'UNACK', priority: 'P4', count: 1 });
    const id = list[0].id;
    const ack = await s.as('op1', 'POST', `/api/alarms/${id}/ack`, {});
    expect(ack.statusCode).toBe(200);
    expect(ack.json().alarm).toMatchObject({ state: 'ACKED', ackedBy: 'op1' });
    // off-delay 30 s: a clear is taken only after 30 s
    clock.advance(1000); ops.onPoints([pt('ups-z1', 'ups.load', 50, clock.t)]);
    expect(ops.alarms.get(id)!.state).toBe('ACKED');
    clock.advance(30_000); await ops.tick();
    // and not sooner than the minimum annunciation time (60 s after activation)
    expect(ops.alarms.get(id)!.state).toBe('ACKED');
    clock.advance(29_000); await ops.tick();
    expect(ops.alarms.get(id)!.state).toBe('NORM');
    for (let i = 0; i < 4; i++) { clock.advance(120_000); ops.onPoints([pt('ups-z1', 'ups.load', 99, clock.t)]); clock.advance(1000); ops.onPoints([pt('ups-z1', 'ups.load', 10, clock.t)]); clock.advance(31_000); await ops.tick(); }
    list = (await s.as('viewer', 'GET', '/api/alarms?all=true')).json();
    expect(list).toHaveLength(1);
    expect(list[0].count).toBe(5);
    const audit = (await s.as('admin', 'GET', '/api/audit?action=POST%20/api/alarms')).json();
    expect(audit[0]).toMatchObject({ actor: 'op1', role: 'operator', action: 'POST /api/alarms/:id/ack', ok: true, ip: '127.0.0.1' });
    expect(JSON.parse(audit[0].target)).toEqual({ id });
  });

  test('on-delay 10 min survives a restart at minute 7 (raised at minute 10, not 17)', async () => {
    const { createOps } = await import('../../server/ops.js');
    const { silentLogger } = await import('../../lib/log.js');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'dcim-ops-'));
    let t = Date.UTC(2026, 0, 1, 10);
    const cfg = { site: 'sim1', ...RULES };
    let ops = await createOps({ config: cfg, log: silentLogger, recordsPath: join(dir, 'records.duckdb'), now: () => t });
    ops.onPoints([pt('chiller-plant', 'tank.supply.temperature', 17, t)]);
    t += 7 * 60_000; await ops.tick();
    expect(ops.alarms.list()).toHaveLength(0);
    await ops.close();
    ops = await createOps({ config: cfg, log: silentLogger, recordsPath: join(dir, 'records.duckdb'), now: () => t });
    t += 2 * 60_000 + 59_000; await ops.tick();
    expect(ops.alarms.list()).toHaveLength(0);
    t += 1000; await ops.tick();
    expect(ops.alarms.list().map((a) => a.type)).toEqual(['tank.supply.high']);
    await ops.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('hysteresis: a > 50 alarm with deadband 2 stays active until below 48; latched reset refused until inactive and acked', async () => {
    s = await testServer(RULES);
    const { ops, clock } = s;
    ops.onPoints([pt('bms-br1', 'rack.1.temperature.max', 51, clock.t)]);
    const a = ops.alarms.list()[0]!;
    expect(a).toMatchObject({ state: 'UNACK', latched: true, firstOut: true, zone: 'BR1' });
    ops.onPoints([pt('bms-br1', 'rack.1.temperature.max', 49, clock.t + 1)]);
    expect(ops.alarms.get(a.id)!.active).toBe(true);
    expect((await s.as('op1', 'POST', `/api/alarms/${a.id}/reset`, { reason: 'checked' })).statusCode).toBe(403);
    let r = await s.as('admin', 'POST', `/api/alarms/${a.id}/reset`, { reason: 'checked' });
    expect(r.statusCode).toBe(409);
    expect(r.json().message).toMatch(/still active/);
    clock.advance(60_000);
    ops.onPoints([pt('bms-br1', 'rack.1.temperature.max', 47.5, clock.t)]);
    expect(ops.alarms.get(a.id)!.state).toBe('LATCH_UNACK');
    r = await s.as('admin', 'POST', `/api/alarms/${a.id}/reset`, { reason: 'checked' });
    expect([r.statusCode, r.json().code]).toEqual([409, 'unacknowledged']);
    expect((await s.as('op1', 'POST', `/api/alarms/${a.id}/ack`, {})).json().alarm.state).toBe('LATCH_ACK');
    r = await s.as('admin', 'POST', `/api/alarms/${a.id}/reset`, { reason: 'checked' });
    expect([r.statusCode, r.json().alarm.state]).toEqual([200, 'NORM']);
  });

  test('shelving: P1 refused (409), 9 h refused (400 naming the path), P4 8 h auto-unshelves at expiry', async () => {
    s = await testServer(RULES);
    const { ops, clock } = s;
    ops.onPoints([pt('fire-br1', 'room.smoke', true, clock.t), pt('ups-z1', 'ups.load', 99, clock.t)]);
    const p1 = ops.alarms.list({ priority: 'P1' })[0]!;
    const p4 = ops.alarms.list({ priority: 'P4' })[0]!;
    let r = await s.as('op1', 'POST', `/api/alarms/${p1.id}/shelve`, { reason: 'nuisance', durationMin: 10 });
    expect([r.statusCode, r.json().code]).toEqual([409, 'not_shelvable']);
    r = await s.as('op1', 'POST', `/api/alarms/${p4.id}/shelve`, { reason: 'nuisance', durationMin: 540 });
    expect([r.statusCode, r.json().path]).toEqual([400, 'body.durationMin']);
    r = await s.as('viewer', 'POST', `/api/alarms/${p4.id}/shelve`, { reason: 'nuisance', durationMin: 60 });
    expect(r.statusCode).toBe(403);
    r = await s.as('op1', 'POST', `/api/alarms/${p4.id}/shelve`, { reason: 'sensor work', durationMin: 480 });
    expect(r.json().alarm).toMatchObject({ state: 'SHLVD', shelve: { by: 'op1', role: 'operator', reason: 'sensor work' } });
    clock.advance(8 * 3_600_000 - 1000); await ops.tick();
    expect(ops.alarms.get(p4.id)!.state).toBe('SHLVD');
    clock.advance(1000); await ops.tick();
    expect(ops.alarms.get(p4.id)!.state).toBe('UNACK');
  });

  test('P1 unacknowledged re-alarms every 5 min until acknowledged; ordering class → priority → time', async () => {
    s = await testServer(RULES);
    const { ops, clock } = s;
    const changes: string[] = [];
    ops.bus.on((m) => { if (m.topic === 'alarm') changes.push(String(m.data.change)); });
    ops.onPoints([pt('ups-z1', 'ups.load', 99, clock.t)]);
    clock.advance(1000);
    ops.onPoints([pt('fire-br1', 'room.smoke', true, clock.t)]);
    expect((await s.as('viewer', 'GET', '/api/alarms')).json().map((a: { priority: string }) => a.priority)).toEqual(['P1', 'P4']);
    clock.advance(300_000); await ops.tick();
    clock.advance(300_000); await ops.tick();
    expect(changes.filter((c) => c === 'realarm')).toHaveLength(2);
    const p1 = ops.alarms.list({ priority: 'P1' })[0]!;
    await s.as('op2', 'POST', `/api/alarms/${p1.id}/ack`, {});
    clock.advance(600_000); await ops.tick();
    expect(changes.filter((c) => c === 'realarm')).toHaveLength(2);
  });

  test('flood: > 10 annunciations in 10 min → one flood with a probable cause, grouped; ends below 5', async () => {
    s = await testServer();
    const { ops, clock } = s;
    const floods: unknown[] = [];
    ops.bus.on((m) => { if (m.topic === 'flood') floods.push(m.data); });
    for (let i = 0; i < 25; i++) {
      ops.alarms.setCondition({ key: `k${i}`, site: 'sim1', type: `feed.${i}`, message: `alarm ${i}`, class: 'alarm', priority: i === 0 ? 'P1' : 'P3', zone: 'z1' }, true);
      clock.advance(2000);
    }
    expect(floods).toHaveLength(1);
    const root = ops.alarms.byKeyGet('k0')!;
    expect(floods[0]).toMatchObject({ state: 'start', rootId: root.id });
    expect(ops.alarms.list().filter((a) => a.groupId === root.id)).toHaveLength(15);
    const summary = (await s.as('viewer', 'GET', '/api/alarms/summary')).json();
    expect(summary.flood).toMatchObject({ rootId: root.id, count: 25 });
    clock.advance(600_000); await ops.tick();
    expect(floods[1]).toMatchObject({ state: 'end' });
  });

  test('FS-26 flood root: a P2 watch first out, then the P1 stage alarm and its consequential alarms → the P1 heads the group, not the earlier watch', async () => {
    s = await testServer();
    const { ops, clock } = s;
    const floods: { state: string; rootId?: string }[] = [];
    ops.bus.on((m) => { if (m.topic === 'flood') floods.push(m.data as never); });
    ops.alarms.setCondition({ key: 'watch', site: 'sim1', type: 'fire.watch', message: 'rack 3 watch 55 °C', class: 'alarm', priority: 'P2', zone: 'z1' }, true);
    clock.advance(2000);
    ops.alarms.setCondition({ key: 'stage1', site: 'sim1', type: 'fire.stage', message: 'stage 1: isolated', class: 'alarm', priority: 'P1', zone: 'z1' }, true);
    for (let i = 0; i < 12; i++) {
      clock.advance(1000);
      ops.alarms.setCondition({ key: `c${i}`, site: 'sim1', type: `ups.${i}`, message: `consequential ${i}`, class: 'trouble', priority: 'P3', zone: 'z1' }, true);
    }
    const watch = ops.alarms.byKeyGet('watch')!;
    const stage = ops.alarms.byKeyGet('stage1')!;
    expect(watch.firstOut).toBe(true);
    expect(floods[0]).toMatchObject({ state: 'start', rootId: stage.id });
    expect(ops.alarms.list().filter((a) => a.groupId === stage.id).length).toBeGreaterThan(0);
    expect(ops.alarms.list().some((a) => a.groupId === watch.id)).toBe(false);
  });

  test('FS-26 consequential: stage 1 isolates zone BR1 → its UPS and BMS alarms that follow are suppressed by design and grouped under the stage alarm; zone BR2 and P1 alarms are not; after the reset the ones still active are annunciated', async () => {
    s = await testServer({
      alarms: {
        rules: [
          { id: 'br1.ups.battery', device: 'ups-br1', point: 'ups.status.onBattery', op: '==' as const, limit: true, priority: 'P3' as const, zone: 'BR1' },
          { id: 'br1.bms.current', device: 'bms-br1', point: 'rack.3.current', op: '<' as const, limit: 1, priority: 'P3' as const, zone: 'BR1', class: 'trouble' as const },
          { id: 'br1.smoke', device: 'fire-br1', point: 'room.smoke', op: '==' as const, limit: true, priority: 'P1' as const, zone: 'BR1', class: 'alarm' as const },
          { id: 'br2.ups.battery', device: 'ups-br2', point: 'ups.status.onBattery', op: '==' as const, limit: true, priority: 'P3' as const, zone: 'BR2' },
        ],
      },
    });
    const { ops, clock } = s;
    const annunciatedBefore = () => ops.alarms.kpi.annunciated;
    // a UPS alarm standing before the incident
    ops.onPoints([pt('ups-br1', 'ups.status.onBattery', true, clock.t)]);
    const ups = ops.alarms.byKeyGet('rule:sim1:br1.ups.battery')!;
    expect(ups.state).toBe('UNACK');
    // the edge: stage-1 alarm and transition for zone BR1
    clock.advance(1000);
    ops.onEvent(agentEvent({ kind: 'alarm', zone: 'BR1', ts: clock.t, severity: 'P1', message: 'stage 1: isolated', data: { alarmId: 'stage1', class: 'alarm', active: true, latched: true, priority: 1 } }));
    ops.onEvent(agentEvent({ kind: 'fire.transition', zone: 'BR1', ts: clock.t, message: 'stage 1', data: { stage: 1 } }));
    const stageAlarm = ops.alarms.list({ zone: 'BR1' }).find((a) => a.source === 'edge')!;
    expect(stageAlarm.priority).toBe('P1');
    expect(ops.alarms.get(ups.id)).toMatchObject({ state: 'DSUPR', suppressedBy: 'zone-isolated:sim1/BR1', groupId: stageAlarm.id, active: true });
    // what the power cut brings: rack current gone (BMS), and smoke (P1), in BR1; a UPS alarm in BR2
    const n0 = annunciatedBefore();
    clock.advance(1000);
    ops.onPoints([pt('bms-br1', 'rack.3.current', 0, clock.t), pt('fire-br1', 'room.smoke', true, clock.t), pt('ups-br2', 'ups.status.onBattery', true, clock.t)]);
    const bms = ops.alarms.byKeyGet('rule:sim1:br1.bms.current')!;
    expect(bms).toMatchObject({ state: 'DSUPR', groupId: stageAlarm.id, active: true });
    expect(ops.alarms.byKeyGet('rule:sim1:br1.smoke')!.state).toBe('UNACK'); // P1: never suppressed
    expect(ops.alarms.byKeyGet('rule:sim1:br2.ups.battery')!.state).toBe('UNACK'); // another zone
    expect(annunciatedBefore() - n0).toBe(2);
    // the operator's list shows the consequential ones as suppressed by design, under the stage alarm
    const listed = (await s.as('viewer', 'GET', '/api/alarms')).json() as { id: string; state: string; groupId?: string }[];
    expect(listed.find((a) => a.id === bms.id)).toMatchObject({ state: 'DSUPR', groupId: stageAlarm.id });
    // the BMS current returns while suppressed; the UPS stays on battery; then the zone is reset
    clock.advance(120_000);
    ops.onPoints([pt('bms-br1', 'rack.3.current', 20, clock.t)]);
    await ops.tick();
    const n1 = annunciatedBefore();
    ops.onEvent(agentEvent({ kind: 'fire.transition', zone: 'BR1', ts: clock.t, message: 'reset', data: { stage: -1 } }));
    expect(ops.alarms.get(ups.id)).toMatchObject({ state: 'UNACK', active: true });
    expect(ops.alarms.get(ups.id)!.suppressedBy).toBeUndefined();
    expect(ops.alarms.get(ups.id)!.groupId).toBeUndefined();
    expect(ops.alarms.get(bms.id)!.state).toBe('NORM');
    expect(annunciatedBefore() - n1).toBe(1);
  });

  test('chatter: a point toggling 5 times a minute → one annunciation and a chattering flag', async () => {
    s = await testServer(RULES);
    const { ops, clock } = s;
    const annunciations: string[] = [];
    ops.bus.on((m) => { if (m.topic === 'alarm' && (m.data.alarm as { state: string }).state === 'UNACK' && m.data.from !== 'UNACK') annunciations.push(String(m.data.change)); });
    for (let i = 0; i < 5; i++) {
      ops.onPoints([pt('pdu-gw-1', 'rack.1.current', 17, clock.t)]); clock.advance(6000);
      ops.onPoints([pt('pdu-gw-1', 'rack.1.current', 12, clock.t)]); clock.advance(6000);
      await ops.tick();
    }
    const a = ops.alarms.list()[0]!;
    expect(a.chattering).toBe(true);
    expect(annunciations).toHaveLength(1);
    clock.advance(120_000); await ops.tick();
    expect(ops.alarms.get(a.id)).toMatchObject({ chattering: false, active: false });
  });

  test('bad-quality points do not change a condition', async () => {
    s = await testServer(RULES);
    const { ops, clock } = s;
    ops.onPoints([pt('ups-z1', 'ups.load', 99, clock.t, 'bad')]);
    expect(ops.alarms.list()).toHaveLength(0);
  });
});
