import { describe, expect, it } from 'vitest';
import { ADMIN, ADMIN2, FIREDEPT, OPERATOR, ZoneHarness } from './zone/harness.js';
import { requiredOutputs } from './outputs.js';

const H = 3_600_000;

/** Stage 1 on rack 1, isolated and curtain down, then cooled and every alarm acknowledged. */
function readyForReset(): ZoneHarness {
  const h = new ZoneHarness({ racks: [1, 2] });
  h.vote('S1', [1]).confirmAll();
  h.status(30, { falling: true, minValidCount: 3 });
  h.feedback('rack.1.curtain', 'up');
  h.human('ACK', [OPERATOR]);
  return h;
}

describe('zone machine: human authority (FS-22, 23, 27, 28, 29)', () => {
  it('FS-23 reset with one probe at 65 °C → rejected with the reason', () => {
    const h = readyForReset();
    h.status(65);
    h.human('RESET', [ADMIN]);
    expect(h.lastResult()).toMatchObject({ ok: false, reason: 'input not normal: 65 °C' });
    expect(h.incident()).toBe('s1');
    expect(h.of('journalNote').at(-1)).toMatchObject({ kind: 'commandRejected' });
  });

  it('FS-23 reset with an unacknowledged alarm → rejected', () => {
    const h = readyForReset();
    h.send({ type: 'CHANNEL.FAULT', rack: 2, channel: 'bms', reason: 'stale', ts: h.now });
    h.human('RESET', [ADMIN]);
    expect(h.lastResult()!.reason).toBe('unacknowledged alarm: channel:2/bms');
  });

  it('FS-23 reset with everything ready → idle; contactors stay open until REENERGIZE, which is its own confirmed step', () => {
    const h = readyForReset();
    h.human('RESET', [OPERATOR]);
    expect(h.lastResult()!.reason).toBe('reset needs the admin role');
    h.human('RESET', [ADMIN]);
    expect(h.lastResult()).toMatchObject({ ok: true });
    expect(h.incident()).toBe('idle');
    expect(h.cmds().filter((c) => /close/.test(c))).toEqual([]);
    expect(requiredOutputs(h.ctx)['rack.1.breaker']).toBe('open');
    h.advance(600_000, 60_000);
    expect(h.cmds().filter((c) => /close/.test(c))).toEqual([]);
    h.human('REENERGIZE', [ADMIN]);
    expect(h.cmds().filter((c) => /close|inhibit:off/.test(c))).toEqual(['rack.1.breaker:close', 'rack.2.breaker:close', 'room.charge.inhibit:off']);
  });

  it('FS-23 stage ≥ 3 reset needs two distinct persons; the patch must be replaced and the nozzle recharged', () => {
    const h = new ZoneHarness({ racks: [1] });
    h.vote('S3', [1]).confirmAll().advance(5000).confirmAll();
    h.send({ type: 'PATCH', rack: 1, fired: true, ts: h.now });
    h.status(30, { falling: true }).advance(60_000);
    expect(h.incident()).toBe('s3.settled');
    h.feedback('rack.1.curtain', 'up').human('ACK', [OPERATOR]);
    h.human('RESET', [ADMIN]);
    expect(h.lastResult()!.reason).toContain('two distinct persons');
    h.human('RESET', [ADMIN, ADMIN]);
    expect(h.lastResult()!.reason).toContain('two distinct persons');
    h.human('RESET', [ADMIN, ADMIN2]);
    expect(h.lastResult()!.reason).toBe('patch needs replacement on rack 1');
    h.send({ type: 'PATCH', rack: 1, fired: false, ts: h.now }).human('ACK', [OPERATOR]);
    h.human('RESET', [ADMIN, ADMIN2]);
    expect(h.lastResult()!.reason).toBe('rack.1.nozzle not restored (recharge or refill)');
    h.feedback('rack.1.nozzle', 'ready').human('RESET', [ADMIN, OPERATOR]);
    expect(h.lastResult()!.ok).toBe(true);
    expect(h.incident()).toBe('idle');
  });

  it('FS-27 bypass probe A for 1 h → enforced and expired at the edge at 1 h ± 1 s, journaled on and off', () => {
    const h = new ZoneHarness();
    h.human('BYPASS.START', [OPERATOR], { rack: 1, channel: 'probeA', permitId: 'BP-1', expiresAt: h.now + H });
    const start = h.now;
    expect(h.lastResult()!.ok).toBe(true);
    expect(h.value).toMatchObject({ bypass: 'active' });
    expect(h.ctx.alarms['bypass:1/probeA']).toMatchObject({ class: 'supervisory' });
    h.send({ type: 'LINK.DOWN', ts: h.now });
    h.advance(H - 1000, 10_000);
    expect(h.ctx.bypasses['1/probeA']).toBeDefined();
    h.advance(2000);
    expect(h.ctx.bypasses['1/probeA']).toBeUndefined();
    expect(h.value).toMatchObject({ bypass: 'none' });
    const off = h.of('journalNote').find((n) => n.kind === 'bypassExpired')!;
    expect(Math.abs(off.at - (start + H))).toBeLessThanOrEqual(1000);
  });

  it('FS-27 a second bypass in the same rack → rejected unless a zone impairment is declared; > 4 h and outputs rejected', () => {
    const h = new ZoneHarness();
    h.human('BYPASS.START', [OPERATOR], { rack: 1, channel: 'probeA', permitId: 'BP-1', expiresAt: h.now + H });
    h.human('BYPASS.START', [OPERATOR], { rack: 1, channel: 'probeB', permitId: 'BP-2', expiresAt: h.now + H });
    expect(h.lastResult()!.reason).toContain('already has a bypass');
    h.human('BYPASS.START', [OPERATOR], { rack: 1, channel: 'probeB', permitId: 'BP-2', expiresAt: h.now + H, impairmentDeclared: true });
    expect(h.lastResult()!.ok).toBe(true);
    expect(h.ctx.alarms['impairmentDeclared:1']).toMatchObject({ priority: 1 });
    h.human('BYPASS.START', [OPERATOR], { rack: 2, channel: 'probeA', permitId: 'BP-3', expiresAt: h.now + 5 * H });
    expect(h.lastResult()!.reason).toContain('at most 4 h');
    h.human('BYPASS.START', [OPERATOR], { rack: 2, channel: 'spray', permitId: 'BP-4', expiresAt: h.now + H });
    expect(h.lastResult()!.reason).toContain('only sensor inputs');
    h.human('BYPASS.START', [{ user: 'v', role: 'viewer' }], { rack: 2, channel: 'probeA', permitId: 'BP-5', expiresAt: h.now + H });
    expect(h.lastResult()!.reason).toContain('operator role');
  });

  it('FS-27 zero valid channels → P1 impairment and fire-department notification, never a discharge', () => {
    const h = new ZoneHarness();
    h.send({ type: 'CHANNEL.DEGRADED', rack: 2, validCount: 0, ts: h.now });
    expect(h.ctx.alarms['impairment:2']).toMatchObject({ priority: 1, class: 'supervisory' });
    expect(h.of('notify')[0]!.payload.text).toContain('fire watch');
    expect(h.cmds()).toEqual([]);
  });

  it('FS-28 maintenance with water inhibited: 62 °C → isolation and curtain still commanded; stage 4 → P1 "inhibited by permit", fire dept notified, no water', () => {
    const h = new ZoneHarness({ racks: [1] });
    h.human('MAINT.ENTER', [OPERATOR], { permitId: 'MP-9', inhibit: ['spray', 'drain.pump'], expiresAt: h.now + 4 * H });
    expect(h.value).toMatchObject({ life: 'maintenance' });
    h.vote('S1', [1]);
    expect(h.cmds()).toEqual(['rack.1.breaker:open', 'rack.1.curtain:down', 'room.charge.inhibit:on']);
    h.confirmAll();
    h.vote('S3', [1]).advance(5000).confirmAll().status(85, { rising: true }).advance(61_000);
    expect(h.cmds().some((c) => /spray|drain/.test(c))).toBe(false);
    expect(h.ctx.alarms['inhibited:MP-9']).toMatchObject({ priority: 1, text: 'actuation inhibited by permit MP-9' });
    expect(h.of('notify').some((n) => n.channel === 'firedept' && n.payload.text.includes('MP-9'))).toBe(true);
  });

  it('FS-28 entering maintenance needs no active alarm and a permit with an expiry; it expires at the edge', () => {
    const h = new ZoneHarness();
    h.send({ type: 'CHANNEL.FAULT', rack: 1, channel: 'bms', reason: 'stale', ts: h.now });
    h.human('MAINT.ENTER', [OPERATOR], { permitId: 'MP-1', inhibit: [], expiresAt: h.now + H });
    expect(h.lastResult()!.reason).toBe('active alarms: channel:1/bms');
    h.send({ type: 'CHANNEL.RESTORED', rack: 1, channel: 'bms', ts: h.now });
    h.human('MAINT.ENTER', [OPERATOR], { permitId: 'MP-1', inhibit: [], expiresAt: h.now - 1 });
    expect(h.lastResult()!.reason).toContain('expiry');
    h.human('MAINT.ENTER', [OPERATOR], { permitId: 'MP-1', inhibit: [], expiresAt: h.now + H });
    expect(h.value).toMatchObject({ life: 'maintenance' });
    h.advance(H + 1000, 60_000);
    expect(h.value).toMatchObject({ life: 'operational' });
    expect(h.ctx.maintenance).toBeNull();
  });

  it('FS-29 a real stage condition aborts a drill and is processed as real', () => {
    const h = new ZoneHarness();
    h.human('DRILL.START', [OPERATOR], { drillId: 'D-1', expiresAt: h.now + H });
    expect(h.value).toMatchObject({ life: 'drill' });
    h.vote('S1', [1]);
    expect(h.value).toMatchObject({ life: 'operational', incident: 's1' });
    expect(h.of('journalNote').find((n) => n.kind === 'drillAborted')!.data.drillId).toBe('D-1');
  });

  it('FS-22 (minimal) controlled needs the criteria; the watch ends only with an admin reason; re-ignition re-enters the stage', () => {
    const h = new ZoneHarness({ racks: [1] });
    h.vote('S1', [1]).confirmAll();
    h.human('INCIDENT.CONTROLLED', [ADMIN]);
    expect(h.lastResult()!.ok).toBe(false);
    h.status(30, { falling: true, coolSince: h.now }).advance(31 * 60_000, 60_000);
    h.human('INCIDENT.CONTROLLED', [ADMIN]);
    expect(h.incident()).toBe('postIncidentWatch');
    h.human('RESET', [ADMIN]);
    expect(h.lastResult()!.reason).toContain('WATCH.END');
    h.vote('S1', [1]);
    expect(h.incident()).toBe('s1');
    expect(h.ctx.alarms.reignition).toMatchObject({ priority: 1 });
  });

  it('FS-28 when the permit ends, outputs it held back are demanded if the latched state still requires them', () => {
    const h = new ZoneHarness({ racks: [1], params: { timings: { t4Ms: 3_600_000 } } });
    h.human('MAINT.ENTER', [OPERATOR], { permitId: 'MP-2', inhibit: ['spray'], expiresAt: h.now + H });
    h.vote('S3', [1]).confirmAll().advance(5000).confirmAll().status(85, { rising: true }).advance(61_000);
    expect(h.cmds().some((c) => /spray/.test(c))).toBe(false);
    h.human('MAINT.EXIT', [OPERATOR]);
    expect(h.cmds()).toContain('rack.1.spray:on');
  });

  it('FS-21/23 a hand-over declared before any stage can be released and reset', () => {
    const h = new ZoneHarness();
    h.human('FD.HANDOVER', [FIREDEPT]);
    expect(h.incident()).toBe('fdControl');
    h.human('FD.RELEASE', [FIREDEPT]);
    h.status(25, { falling: true }).human('ACK', [OPERATOR]).human('RESET', [ADMIN]);
    expect(h.lastResult()!.ok).toBe(true);
    expect(h.incident()).toBe('idle');
  });
});
