/**
 * FS-05 (off-gas stage 0; smoke with temperature or rate of rise → stage 1) and FS-06 (the
 * non-latching, actionable pre-alarm "watch") against the real simulator and agent. The `offgas-only`
 * fault makes the rack's vapour detector alarm with no heating; rack smoke is the fire I/O input held.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { A1, alarm, B1, decision as decisionOf, DETECTION_RIG, incident, readUpTo, rigPerTest, samples, transition, type Sample } from '../support/site-helpers.js';
import type { SiteRig } from '../support/site-rig.js';

const site = rigPerTest(DETECTION_RIG);
const start = site.start;
afterEach(site.close);

interface Decision { rack: number; rule: string; reasons: string[] }
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
const decision = (r: SiteRig, event: string, rack = 1) => decisionOf<Decision>(r, event, rack);
const firstAt = (xs: Sample[], pred: (p: Sample) => boolean) => xs.find(pred)?.t;

describe('FS-05 off-gas, smoke and rate-of-rise (site)', () => {
  it('FS-05 off-gas only with every temperature at 35 °C → stage 0: stop-charge and the rack isolated (intent, then feedback), P1; no discharge; clearing keeps s0', async () => {
    const r = await start();
    await r.force(A1, 35);
    await r.force(B1, 35);
    await r.force('rack.1.temperature.max', 35, 'bms-br1');
    const gas = await r.fault({ kind: 'offgas-only', room: 'BR1', rack: 1 });
    await r.until(() => r.stage() >= 0 || undefined, 'stage 0');
    const s0 = transition(r, 'VOTE.S0')!;
    expect(s0).toBeDefined();
    expect(decision(r, 'VOTE.S0')!.rule).toBe('offgas');
    // confirmed only after the 2 s off-gas on-delay
    const tGas = firstAt(samples(r, 'rack.1.offgas'), (p) => p.v === true)!;
    expect(s0.ts - tGas).toBeGreaterThanOrEqual(2000);
    expect(s0.ts - tGas).toBeLessThanOrEqual(2000 + 2000);
    expect(r.stage()).toBe(0);
    expect(alarm(r, 'stage0')).toMatchObject({ class: 'alarm', priority: 1, latched: true });
    // the plant: charging stopped and rack 1's string open, confirmed by their feedback
    await r.until(() => {
      const t = r.sim.truth({ devices: false }).rooms[0]!;
      return (t.racks[0]!.breaker.active && t.actuators['charge-inhibit']?.active) || undefined;
    }, 'charge inhibited and rack 1 open in the plant');
    const log = r.writeLog();
    const w = log.find((x) => x.point === 'rack.1.breaker.open.cmd' && (x.value === true || x.value === 1))!;
    expect(Date.parse(w.ts) - s0.ts).toBeLessThanOrEqual(1000 + 1000); // within 1 s (+1 s for a loaded machine)
    expect(r.writes()).toContain('room.charge.inhibit.cmd=1');
    await r.until(() => r.journal().some((j) => j.type === 'outcome' && j.data.actuator === 'rack.1.breaker' && j.data.ok === true) || undefined, 'isolation confirmed');
    const j = r.journal();
    const intent = j.find((x) => x.type === 'intent' && x.data.actuator === 'rack.1.breaker')!;
    const outcome = j.find((x) => x.type === 'outcome' && x.data.actuator === 'rack.1.breaker')!;
    expect(intent.seq).toBeLessThan(outcome.seq);
    expect(outcome.data).toMatchObject({ ok: true, result: 'confirmed' });
    // only the affected string; nothing is discharged
    expect(r.writes()).not.toContain('rack.2.breaker.open.cmd=1');
    expect(r.writes().filter((x) => /nozzle|spray|gas|curtain/.test(x))).toEqual([]);
    // the vapour clears: stage 0 stays latched, nothing re-closes, charging stays stopped
    r.sim.clearFault(gas);
    await r.until(() => samples(r, 'rack.1.offgas').some((p) => p.v === false && p.t > s0.ts) || undefined, 'off-gas cleared in the field');
    const tClear = firstAt(samples(r, 'rack.1.offgas'), (p) => p.v === false && p.t > s0.ts)!;
    await readUpTo(r, tClear + 3000);
    expect(r.stage()).toBe(0);
    expect(r.writes().filter((x) => x.endsWith('=0'))).toEqual([]);
    expect(alarm(r, 'stage0')!.latched).toBe(true);
  });

  it('FS-05 off-gas also corroborates a single hot channel: probe A 62 °C + off-gas → stage 1', async () => {
    const r = await start();
    await r.force(A1, 62);
    await r.until(() => incident(r) === 'watch' || undefined, 'watch on the single hot channel');
    expect(r.stage()).toBe(-1);
    await r.fault({ kind: 'offgas-only', room: 'BR1', rack: 1 });
    await r.until(() => r.stage() >= 1 || undefined, 'stage 1');
    expect(decision(r, 'VOTE.S1')!.rule).toBe('1ooN+offgas');
    await r.until(() => r.writes().includes('rack.1.curtain.down.cmd=1') || undefined, 'curtain commanded');
  });

  it('FS-05 rack smoke and a valid 52 °C (below the 60 °C threshold) → stage 1', async () => {
    const r = await start();
    await r.force(A1, 52);
    await r.force('rack.1.smoke', true);
    await r.until(() => r.stage() >= 1 || undefined, 'stage 1');
    expect(r.stage()).toBe(1);
    expect(decision(r, 'VOTE.S1')!.rule).toBe('smoke+temp');
    await r.until(() => r.writes().includes('rack.1.breaker.open.cmd=1') || undefined, 'isolation written');
  });

  it('FS-05/06 one-channel smoke → watch; smoke plus a sustained rise ≥ 2 °C/min on cool probes → stage 1', async () => {
    // the 60 s rate window is a site setting; 5 s here
    const r = await start({ fire: { detection: { rorWindowMs: 5000 } } });
    await r.force(A1, 30);
    await r.force(B1, 30);
    await r.force('rack.1.smoke', true);
    await r.until(() => incident(r) === 'watch' || undefined, 'watch on smoke');
    expect(transition(r, 'VOTE.WATCH')!.data.decisions).toEqual([expect.objectContaining({ rack: 1, rule: 'watch', reasons: ['smoke'] })]);
    expect(alarm(r, 'watch')).toMatchObject({ priority: 2, active: true });
    expect(r.stage()).toBe(-1);
    // both probes rise 0.5 °C every 0.4 s (75 °C/min), staying far below 50 °C
    let v = 30;
    while (r.stage() < 1 && v < 45) {
      v += 0.5;
      await r.force(A1, v);
      await r.force(B1, v);
      await sleep(400);
    }
    await r.until(() => r.stage() >= 1 || undefined, 'stage 1');
    expect(decision(r, 'VOTE.S1')!.rule).toBe('smoke+rate-of-rise');
    expect(Math.max(...samples(r, A1).map((p) => (typeof p.v === 'number' ? p.v : 0)))).toBeLessThan(50);
  });
});

describe('FS-06 the pre-alarm "watch" is non-latching and actionable (site)', () => {
  it('FS-06 52 °C on one probe → P2 and a stop-charge request; 49 °C is inside the deadband; 45 °C for 10 s → idle, alarm RTN-unacknowledged', async () => {
    const r = await start();
    await r.force(A1, 52);
    await r.until(() => incident(r) === 'watch' || undefined, 'watch');
    expect(alarm(r, 'watch')).toMatchObject({ class: 'alarm', priority: 2, active: true, acked: false, latched: false });
    expect(r.stage()).toBe(-1);
    await r.until(() => r.writes().includes('room.charge.inhibit.cmd=1') || undefined, 'stop-charge request');
    await r.until(() => r.sim.truth({ devices: false }).rooms[0]!.actuators['charge-inhibit']?.active || undefined, 'charging stopped in the plant');
    expect(r.writes().filter((x) => /breaker|curtain|nozzle/.test(x))).toEqual([]);
    // below 50 but not below 50 − 2 °C: the pre-alarm does not start clearing
    await r.force(A1, 49);
    await readUpTo(r, Date.now() + 3000);
    expect(incident(r)).toBe('watch');
    await r.force(A1, 45);
    await r.until(() => incident(r) === 'idle' || undefined, 'idle again');
    const clear = transition(r, 'VOTE.CLEAR')!;
    const t45 = firstAt(samples(r, A1), (p) => p.v === 45)!;
    expect(clear.ts - t45).toBeGreaterThanOrEqual(10_000);
    expect(clear.ts - t45).toBeLessThanOrEqual(10_000 + 2000);
    expect(r.stage()).toBe(-1);
    // RTN unacknowledged: listed, no longer active, waiting for an acknowledgement
    expect(alarm(r, 'watch')).toMatchObject({ active: false, acked: false, latched: false });
    await r.until(() => r.writes().includes('room.charge.inhibit.cmd=0') || undefined, 'charging allowed again');
    const w = r.writes();
    expect(w.indexOf('room.charge.inhibit.cmd=1')).toBeLessThan(w.indexOf('room.charge.inhibit.cmd=0'));
  });
});
