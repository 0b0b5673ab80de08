/** Incidents (R35, R36, R40, R41): automatic from fire stages, steps, grades, journal, hand-over, drills. */
import { afterEach, describe, expect, test } from 'vitest';
import { agentEvent, testServer, type TestServer } from './helper.js';

let s: TestServer | null = null;
afterEach(async () => { await s?.close(); s = null; });

/** A fire.transition as agent/fire/zone-runtime.ts publishes it (xstate value in data.to, stage number). */
const transition = (zone: string, incident: string, stage: number, ts: number, extra: Record<string, unknown> = {}) =>
  agentEvent({ kind: 'fire.transition', zone, ts, severity: stage >= 0 ? 'P1' : 'info', message: `zone ${zone}: → stage ${stage}`,
    data: { event: 'VOTE', to: { life: 'operational', incident }, stage, stageFrom: stage - 1, ...extra } });

async function settle(s: TestServer) { await s.ops.idle(); }

describe('incidents', () => {
  test('fire stages open one incident per zone and grade it up (never down); stages are journaled; alarms are linked', async () => {
    s = await testServer();
    const { ops, clock } = s;
    ops.onEvent(transition('BR2', 'watch', -1, clock.t));
    await settle(s);
    let list = (await s.as('viewer', 'GET', '/api/incidents?open=true')).json();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ zone: 'BR2', grade: 3, source: 'auto', fireStage: 'watch', step: 'declared' });
    clock.advance(60_000);
    ops.onEvent(agentEvent({ kind: 'alarm', zone: 'BR2', ts: clock.t, severity: 'P1', message: 'stage 1: rack 3 at 61 °C', data: { alarmId: 'stage1', class: 'alarm', active: true, latched: true, priority: 1 } }));
    ops.onEvent(transition('BR2', 's1', 1, clock.t));
    clock.advance(60_000);
    ops.onEvent(transition('BR2', 's3', 3, clock.t));
    clock.advance(60_000);
    ops.onEvent(transition('BR2', 's2', 2, clock.t));
    await settle(s);
    list = (await s.as('viewer', 'GET', '/api/incidents?open=true')).json();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ grade: 1, fireStage: 's2' });
    expect(list[0].alarmIds).toHaveLength(1);
    const journal = (await s.as('viewer', 'GET', `/api/incidents/${list[0].id}/journal`)).json();
    expect(journal.map((e: { kind: string }) => e.kind)).toEqual(['declared', 'stage', 'grade', 'stage', 'grade', 'stage', 'stage']);
    expect(journal.filter((e: { kind: string }) => e.kind === 'grade').map((e: { text: string }) => e.text)).toEqual(['grade 3 → 2: fire stage s1', 'grade 2 → 1: fire stage s3']);
    expect(journal.every((e: { author: string }) => e.author === 'agent:agent-1')).toBe(true);
  });

  test('steps move forward only; the journal is append-only (405) and corrections reference the entry', async () => {
    s = await testServer();
    const inc = (await s.as('op1', 'POST', '/api/incidents', { title: 'UPS zone 2 on battery', grade: 2, step: 'detect' })).json();
    expect(inc.step).toBe('detect');
    expect((await s.as('op1', 'POST', `/api/incidents/${inc.id}/step`, { step: 'closed' })).statusCode).toBe(409);
    for (const step of ['declared', 'handling', 'closed', 'follow-up']) {
      const r = await s.as('op1', 'POST', `/api/incidents/${inc.id}/step`, { step });
      expect([r.statusCode, r.json().step]).toEqual([200, step]);
    }
    const e = (await s.as('op2', 'POST', `/api/incidents/${inc.id}/journal`, { text: 'feed A lost at 09:02' })).json();
    for (const m of ['PUT', 'PATCH', 'DELETE'] as const) {
      const r = await s.as('op2', m, `/api/incidents/${inc.id}/journal/${e.id}`, m === 'DELETE' ? undefined : { text: 'edited' });
      expect(r.statusCode).toBe(405);
    }
    const c = await s.as('op2', 'POST', `/api/incidents/${inc.id}/journal`, { text: 'correction: feed A lost at 09:03', corrects: e.id });
    expect(c.json()).toMatchObject({ kind: 'correction', corrects: e.id });
    expect((await s.as('op2', 'POST', `/api/incidents/${inc.id}/journal`, { text: 'x', corrects: 99999 })).statusCode).toBe(400);
    const j = (await s.as('viewer', 'GET', `/api/incidents/${inc.id}/journal`)).json();
    expect(j.map((x: { ts: number }) => x.ts)).toEqual([...j.map((x: { ts: number }) => x.ts)].sort((a, b) => a - b));
    expect(j.find((x: { id: number }) => x.id === e.id).text).toBe('feed A lost at 09:02');
    const roles = await s.as('op1', 'POST', `/api/incidents/${inc.id}/roles`, { controlTower: 'op1', communicator: 'op2' });
    expect(roles.json().roles).toEqual({ controlTower: 'op1', communicator: 'op2' });
  });

  test('R36: grade escalates when recovery overruns its target, journaled and notified', async () => {
    s = await testServer({ notify: { routes: [{ levels: [{ recipients: ['duty'], channels: ['console'] }] }], recipients: [{ id: 'duty' }] } });
    const { ops, clock } = s;
    const banners: Record<string, unknown>[] = [];
    ops.bus.on((m) => { if (m.topic === 'banner') banners.push(m.data); });
    clock.t = Date.UTC(2026, 2, 6, 9, 0);
    const inc = (await s.as('op1', 'POST', '/api/incidents', { title: 'Chiller 1 trip', grade: 2 })).json();
    clock.t = Date.UTC(2026, 2, 6, 10, 0); await ops.tick();
    expect(ops.incidents.get(inc.id)!.grade).toBe(2);
    clock.t = Date.UTC(2026, 2, 6, 10, 0, 1); await ops.tick();
    expect(ops.incidents.get(inc.id)!.grade).toBe(1);
    const j = (await s.as('viewer', 'GET', `/api/incidents/${inc.id}/journal`)).json();
    expect(j.at(-1)).toMatchObject({ kind: 'grade', author: 'system', text: 'grade 2 → 1: escalated: recovery target 60 min exceeded' });
    await ops.notify.idle();
    expect(banners.map((b) => b.subject)).toEqual(['Incident grade 2: Chiller 1 trip', 'Incident grade 1: Chiller 1 trip']);
  });

  test('R41: fire-department hand-over from the edge and by an operator; who to whom and when', async () => {
    s = await testServer();
    const { ops, clock } = s;
    ops.onEvent(transition('BR3', 's5', 5, clock.t));
    clock.advance(60_000);
    ops.onEvent(agentEvent({ kind: 'fire.transition', zone: 'BR3', ts: clock.t, severity: 'P1', message: 'zone BR3: fire department in control (gas not controlled)', data: { handover: true, reason: 'gas not controlled' } }));
    await settle(s);
    const zone = (await s.as('viewer', 'GET', '/api/fire-zones/BR3')).json();
    expect(zone).toMatchObject({ stage: 'fdControl', fdControl: true });
    const inc = ops.incidents.openForZone('sim1', 'BR3')!;
    expect(inc.fd).toMatchObject({ inControl: true, since: clock.t });
    const back = await s.as('fire', 'POST', `/api/incidents/${inc.id}/handover`, { direction: 'from-fd', counterpart: 'site duty manager op1', reason: 'fire out, scene returned' });
    expect(back.json().fd).toMatchObject({ inControl: false, by: 'fire', to: 'site duty manager op1' });
    const j = (await s.as('viewer', 'GET', `/api/incidents/${inc.id}/journal`)).json();
    expect(j.at(-1)).toMatchObject({ kind: 'handover', author: 'fire' });
    expect(j.at(-1).text).toContain('taken back from the fire department (site duty manager op1) by fire');
  });

  test('R40: drills are recorded with their report; what they cause is tagged drill and kept out of KPIs', async () => {
    s = await testServer();
    const { ops, clock } = s;
    const real = (await s.as('op1', 'POST', '/api/incidents', { title: 'real event', grade: 3 })).json();
    clock.advance(30 * 60_000);
    await s.as('op1', 'POST', `/api/incidents/${real.id}/step`, { step: 'handling' });
    await s.as('op1', 'POST', `/api/incidents/${real.id}/step`, { step: 'closed' });
    const drill = (await s.as('op1', 'POST', '/api/drills', { scenario: 'battery-fire-stages', zone: 'BR1' })).json();
    expect(drill).toMatchObject({ state: 'running', by: 'op1' });
    ops.onEvent(transition('BR1', 's1', 1, clock.t));
    ops.onEvent(agentEvent({ kind: 'alarm', zone: 'BR1', ts: clock.t, severity: 'P1', message: 'stage 1', data: { alarmId: 'stage1', class: 'alarm', active: true, latched: true, priority: 1 } }));
    await settle(s);
    const inc = ops.incidents.openForZone('sim1', 'BR1')!;
    expect(inc.drill).toBe(true);
    expect(ops.alarms.list({ zone: 'BR1' })[0]!.drill).toBe(true);
    const ended = await s.as('op1', 'POST', `/api/drills/${drill.id}/end`, { report: { detectionLatencyS: 2.1, firstNotificationS: 8.4, missedSteps: [] } });
    expect(ended.json()).toMatchObject({ state: 'ended', report: { detectionLatencyS: 2.1 } });
    expect((await s.as('op1', 'POST', `/api/drills/${drill.id}/end`, {})).statusCode).toBe(409);
    const kpi = (await s.as('viewer', 'GET', '/api/kpis/incidents')).json();
    expect(kpi).toMatchObject({ count: 1, drillsExcluded: 1, mttrMin: 30 });
  });
});
