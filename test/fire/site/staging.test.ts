/**
 * Staging and escalation (FS-08 latching, FS-09 skip-ahead order, FS-10 escalation on "not
 * controlled", FS-11 the patch observed, never commanded) against the real simulator and the real
 * agent. Inputs come from the simulator: held probe values (`force`), §4 faults (`patch-fire`,
 * `patch-never-fires`), or the physics itself (`thermal-runaway-fast`). Times quoted by the spec are
 * checked on the simulator's clock (write log `simTimeS`, actuator `changedAtS`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { alarm, probes, rackTruth, rigPerTest, zdoc } from '../support/site-helpers.js';
import type { SiteRig } from '../support/site-rig.js';

const site = rigPerTest();
const start = site.start;
afterEach(site.close);

const truth = (r: SiteRig) => r.sim.truth({ devices: false });
const isOn = (v: unknown) => v === true || v === 1;
/** Sim time (s) of the first write of `point` = value. */
const firstWrite = (r: SiteRig, point: string, value = true) => r.writeLog().find((w) => w.point === point && isOn(w.value) === value)?.simTimeS;
const closeOrRaise = (w: string[]) => w.filter((x) => /(breaker\.open|curtain\.down|spray|drain\.pump)\.cmd=0$/.test(x));

/** Wait until the agent has read the field after this moment (a fresh fire I/O sample). */
async function freshRead(r: SiteRig): Promise<void> {
  const t = Date.now();
  await r.until(() => (r.zone().field.get('rack.1.probe.a.temperature')?.ts ?? 0) > t + 300 || undefined, 'a fresh read of the field');
}

describe('FS-08 monotonic, latched stages', () => {
  it('FS-08 stage 1 at 61 °C, cooled to 40 °C → still stage 1 after 24 h of sim time: contactors open, curtain down, no close command', async () => {
    const r = await start({ racks: 2, site: { actuators: { curtainS: 1 } } });
    await probes(r, 1, 61);
    await r.until(() => r.stage() === 1 || undefined, 'stage 1');
    await r.until(() => (rackTruth(r, 1).curtain.active && rackTruth(r, 1).breaker.active && rackTruth(r, 2).breaker.active) || undefined, 'isolated and curtain down in the plant');
    const latchedAt = zdoc(r).latched.s1;

    await probes(r, 1, 40);
    await r.until(() => (zdoc(r).thermal?.maxC ?? 99) < 45 || undefined, 'the agent reads the cooled rack');
    // 24 h of sim time in 1 h steps, yielding between them so the agent keeps polling
    for (let h = 0; h < 24; h++) {
      r.sim.advance(3600);
      await new Promise((res) => setImmediate(res));
    }
    await freshRead(r);

    const doc = zdoc(r);
    expect(truth(r).simTimeS).toBeGreaterThanOrEqual(24 * 3600);
    expect(doc.stage).toBe(1);
    expect(doc.latched.s1).toBe(latchedAt);
    expect(doc.thermal?.maxC).toBeLessThan(45);
    expect(alarm(r, 'stage1')).toMatchObject({ priority: 1, latched: true });
    for (const i of [1, 2]) expect(rackTruth(r, i).breaker).toMatchObject({ cmd: true, active: true });
    expect(rackTruth(r, 1).curtain).toMatchObject({ cmd: true, active: true });
    expect(closeOrRaise(r.writes())).toEqual([]);
    expect(r.journal().some((j) => j.type === 'transition' && Number(j.data.stage) < Number(j.data.stageFrom))).toBe(false);
  });

  it('FS-08 water latches: stage 4 with water flowing, the rack cooled to 30 °C → water stays on, stage 4 kept, nothing stopped or raised', async () => {
    const r = await start({
      racks: 2, site: { actuators: { curtainS: 1, nozzleS: 0.3, sprayS: 0.5 } },
      fire: { timings: { nozzlePreDischargeMs: 500, t3Ms: 1000 } },
    });
    await probes(r, 1, 82);
    await r.until(() => (r.stage() === 4 && rackTruth(r, 1).spray.active) || undefined, 'stage 4, water flowing');
    await probes(r, 1, 30);
    await r.until(() => (zdoc(r).thermal?.maxC ?? 99) < 35 || undefined, 'the agent reads the cooled rack');
    r.sim.advance(600); // 10 min of cooling water in the plant
    await freshRead(r);

    expect(r.stage()).toBe(4);
    expect(rackTruth(r, 1).spray).toMatchObject({ cmd: true, active: true });
    expect(rackTruth(r, 1).curtain.active).toBe(true);
    expect(closeOrRaise(r.writes())).toEqual([]);
    expect(zdoc(r).actuators['rack.1.spray']).toMatchObject({ op: 'on', status: 'confirmed' });
  });
});

describe('FS-09 skip-ahead runs lower-stage actions first, in dependency order', () => {
  it('FS-09 a rack seen at 40 °C then 82 °C (stage 3 first) → breaker and curtain at t0, nozzle at t0 + pre-discharge without waiting for isolation feedback, water only after isolation is confirmed', async () => {
    // Slow contactors (8 s to their aux contact) so nozzle and T3 come before isolation is confirmed.
    const r = await start({
      racks: 2, site: { actuators: { breakerS: 8, curtainS: 1, nozzleS: 0.2, sprayS: 0.5 } },
      fire: { feedback: { breakerMs: 15000 }, timings: { nozzlePreDischargeMs: 1000, t3Ms: 1000 } },
    });
    await probes(r, 1, 40);
    await r.until(() => (zdoc(r).thermal?.maxC ?? 0) >= 39 || undefined, 'the agent reads 40 °C');
    expect(r.stage()).toBe(-1);
    await probes(r, 1, 82);
    await r.until(() => r.stage() >= 4 || undefined, 'stage 4');
    await r.until(() => rackTruth(r, 1).spray.active || undefined, 'water flowing in the plant');

    const t0 = firstWrite(r, 'rack.1.breaker.open.cmd')!;
    const curtain = firstWrite(r, 'rack.1.curtain.down.cmd')!;
    const nozzle = firstWrite(r, 'rack.1.nozzle.release.cmd')!;
    const spray = firstWrite(r, 'rack.1.spray.cmd')!;
    const w = r.writes();
    // 1. isolation and curtain first (t0), the affected rack before the rest of the zone
    expect(w.indexOf('rack.1.breaker.open.cmd=1')).toBeLessThan(w.indexOf('rack.1.curtain.down.cmd=1'));
    expect(w.indexOf('rack.1.curtain.down.cmd=1')).toBeLessThan(w.indexOf('rack.2.breaker.open.cmd=1'));
    expect(curtain - t0).toBeLessThan(0.5);
    // 2. the nozzle after its pre-discharge, not waiting for isolation: written before any contactor opened in the plant
    expect(nozzle - t0).toBeGreaterThanOrEqual(0.9);
    expect(nozzle - t0).toBeLessThan(2.5);
    const opened = [1, 2].map((i) => rackTruth(r, i).breaker.changedAtS!);
    expect(nozzle).toBeLessThan(Math.min(...opened));
    // 3. water waited for isolation: a supervisory interlock while it waited, then the spray after the plant opened
    expect(alarm(r, 'waterInterlock')).toMatchObject({ priority: 1, active: false });
    expect(spray).toBeGreaterThanOrEqual(Math.max(...opened));
    const j = r.journal();
    const isolated = j.find((x) => x.type === 'note.isolated')!;
    const waterIntent = j.find((x) => x.type === 'decision.intent' && x.data.actuator === 'rack.1.spray')!;
    const s4 = j.find((x) => x.type === 'transition' && x.data.stage === 4)!;
    expect(s4.seq).toBeLessThan(isolated.seq);
    expect(isolated.seq).toBeLessThan(waterIntent.seq);
    // journal order of the decisions: breaker, curtain (same decision), nozzle later
    const decided = j.filter((x) => x.type === 'decision.intent').map((x) => `${String(x.data.actuator)}:${String(x.data.op)}`);
    expect(decided.indexOf('rack.1.breaker:open')).toBeLessThan(decided.indexOf('rack.1.curtain:down'));
    expect(decided.indexOf('rack.1.curtain:down')).toBeLessThan(decided.indexOf('rack.1.nozzle:release'));
  });
});

describe('FS-10 escalation on "not controlled"', () => {
  it('FS-10 82 °C held after the nozzles discharge → water at T3 (±1 s, sim clock); 82 °C through T4 of confirmed flow → the gas sequence starts', async () => {
    const r = await start({
      racks: 2, site: { actuators: { curtainS: 1, nozzleS: 0.3, sprayS: 0.5 } },
      fire: { timings: { nozzlePreDischargeMs: 500, t3Ms: 3000, t4Ms: 3000 } },
    });
    await probes(r, 1, 82);
    await r.until(() => r.stage() === 5 || undefined, 'stage 5', 30_000);
    await r.until(() => r.writes().includes('room.dampers.close.cmd=1') || undefined, 'gas close-up written');

    const nozzleAt = rackTruth(r, 1).nozzle.changedAtS!; // pressure switch made in the plant
    const sprayCmd = firstWrite(r, 'rack.1.spray.cmd')!;
    expect(sprayCmd - nozzleAt).toBeGreaterThanOrEqual(2);
    expect(sprayCmd - nozzleAt).toBeLessThan(4);
    const flowAt = rackTruth(r, 1).spray.changedAtS!;
    const closeUp = firstWrite(r, 'room.hvac.stop.cmd')!;
    expect(closeUp - flowAt).toBeGreaterThanOrEqual(2);
    expect(closeUp - flowAt).toBeLessThan(4);
    const doc = zdoc(r);
    expect(doc.thermal?.maxC).toBe(82);
    expect(doc.latched.s3! < doc.latched.s4! && doc.latched.s4! < doc.latched.s5!).toBe(true);
    expect(r.writes()).toEqual(expect.arrayContaining(['room.predischarge.cmd=1', 'room.hvac.stop.cmd=1', 'room.dampers.close.cmd=1']));
    expect(rackTruth(r, 1).spray.active).toBe(true); // water stays on through the gas sequence
    expect(r.writes()).not.toContain('rack.1.spray.cmd=0');
  });
});

describe('FS-11 stage 2 (the patch) is observed, never commanded', () => {
  it('FS-11 §4 #19 patch fires early at 45 °C → stage 2 latched, stage-1 isolation and curtain commanded, nothing commanded for stage 2', async () => {
    const r = await start({ racks: 2, site: { actuators: { curtainS: 1 } } });
    await probes(r, 1, 45);
    await r.until(() => (zdoc(r).thermal?.maxC ?? 0) >= 44 || undefined, 'the agent reads 45 °C');
    await r.fault({ kind: 'patch-fire', room: 'BR1', rack: 1 });
    await r.until(() => r.stage() === 2 || undefined, 'stage 2');
    await r.until(() => (rackTruth(r, 1).curtain.active && rackTruth(r, 2).breaker.active) || undefined, 'isolated and curtain down');

    const doc = zdoc(r);
    expect(rackTruth(r, 1).patchFired).toBe(true);
    expect(rackTruth(r, 1).temperatureC).toBeLessThan(30); // the physics never heated it: the patch alone is the evidence
    expect(doc.latched.s1).not.toBeNull();
    expect(doc.latched.s2).not.toBeNull();
    expect(doc.latched.s3).toBeNull();
    expect(alarm(r, 'patch:1')).toMatchObject({ class: 'supervisory', latched: true });
    expect(alarm(r, 'patch:1')!.text).toMatch(/needs replacement/);
    // only stage-1 outputs were written: no nozzle, water or gas, and nothing "for" the patch
    expect([...new Set(r.writes())].sort()).toEqual(['rack.1.breaker.open.cmd=1', 'rack.1.curtain.down.cmd=1', 'rack.2.breaker.open.cmd=1', 'room.charge.inhibit.cmd=1']);
    const w = r.writes();
    expect(w.indexOf('rack.1.breaker.open.cmd=1')).toBeLessThan(w.indexOf('rack.2.breaker.open.cmd=1'));
  });

  it('FS-11 a fired patch shows "needs replacement" and blocks reset (FS-23) until it is replaced in the plant', async () => {
    const r = await start({ racks: 2, site: { actuators: { curtainS: 1 } } });
    await r.fault({ kind: 'patch-fire', room: 'BR1', rack: 1 });
    await r.until(() => r.stage() === 2 || undefined, 'stage 2');
    await r.until(() => zdoc(r).actuators['rack.1.curtain']?.status === 'confirmed' || undefined, 'curtain down');
    const admin = { actors: [{ user: 'ada', role: 'admin' as const }], reason: 'patch test' };
    /** acknowledge everything, then ask for a reset; repeat while a new alarm arrived in between */
    const tryReset = () => r.until(async () => {
      await r.command('ack', { actors: [{ user: 'ann', role: 'operator' }] });
      const res = await r.command('reset', admin);
      return /unacknowledged/.test(String(res.reason)) ? undefined : res;
    }, 'a reset answer not about unacknowledged alarms');

    const before = await tryReset();
    expect(before).toMatchObject({ ok: false });
    expect(before.reason).toMatch(/patch needs replacement on rack 1/);
    expect(r.stage()).toBe(2);

    r.sim.maintain('BR1', 'replace-patch', 1);
    await r.until(() => zdoc(r).alarms['patch:1']?.active === false || undefined, 'patch alarm back to normal');
    const after = await tryReset();
    // the patch no longer blocks; the next precondition does (the curtain is still down, FS-23)
    expect(after.ok).toBe(false);
    expect(after.reason).not.toMatch(/patch/);
    expect(after.reason).toMatch(/rack\.1\.curtain not confirmed up/);
    expect(r.stage()).toBe(2);
  });

  it('FS-11 §4 #18 patch never fires: the runaway heats rack 1 past 75 °C (voted) with no patch → supervisory "patch did not operate", and escalation continues to stage 3 by the physics', async () => {
    const r = await start({ racks: 2, timeScale: 0, fire: { timings: { patchNoOperateMs: 1000 } } });
    await r.fault({ kind: 'patch-never-fires', room: 'BR1', rack: 1 });
    r.sim.startScenario('thermal-runaway-fast', { room: 'BR1', rack: 1 });
    // jump the physics to ≈ 78 °C (probe A ≈ 75.1 °C, B ≈ 73.8 °C, BMS hottest module ≈ 78 °C), then let it run at 4×
    while (rackTruth(r, 1).temperatureC < 77.9) r.sim.advance(1);
    r.sim.setTimeScale(4);
    await r.until(() => alarm(r, 'patchNoOperate:1') || undefined, 'patch no-operate supervisory');
    const sup = alarm(r, 'patchNoOperate:1')!;
    expect(sup).toMatchObject({ class: 'supervisory', latched: true, active: true });
    expect(sup.text).toMatch(/rack 1: patch did not operate \(voted 7\d(\.\d)? °C\)/);
    expect(rackTruth(r, 1).patchFired).toBe(false); // above the patch's own 68 °C trigger, and it did not operate
    await r.until(() => zdoc(r).latched.s2 ?? undefined, 'stage 2 latched');

    // nothing waits for the patch: the physics runs on to stage 3 and the nozzle
    await r.until(() => r.stage() >= 3 || undefined, 'stage 3');
    await r.until(() => rackTruth(r, 1).nozzleDischargedAtS !== null || undefined, 'nozzle discharged in the plant');
    const doc = zdoc(r);
    expect(doc.latched.s3!).toBeGreaterThan(sup.at);
    expect(rackTruth(r, 1).patchFired).toBe(false);
  });
});

describe('FS-08..FS-11 end to end by the physics', () => {
  it('FS-10 thermal-runaway-fast in rack 2 → stages 0, 1, 2 (the patch fires itself), 3, 4 reached in order, each stage\'s outputs written after it latched, never a close; the true peak stays below runaway', async () => {
    const r = await start({
      racks: 3, timeScale: 0,
      site: { thermal: { patchDurationS: 30 } },
      fire: { timings: { nozzlePreDischargeMs: 500, t3Ms: 1000 } },
    });
    r.sim.startScenario('thermal-runaway-fast', { room: 'BR1', rack: 2 });
    // the slow part of the heating at once (≈ 52 °C, off-gas venting), stage 0 in real time, then the physics at 20× up to
    // the end of the patch's action, and at 8× through stage 3 so the agent's wall-clock on-delay and
    // pre-discharge stay short in sim time
    r.sim.advance(320);
    r.sim.setTimeScale(1); // real time until the off-gas is confirmed (stage 0), far below 60 °C
    await r.until(() => r.stage() === 0 || undefined, 'stage 0 (off-gas)');
    expect(rackTruth(r, 2).temperatureC).toBeLessThan(58);
    r.sim.setTimeScale(20);
    await r.until(() => (rackTruth(r, 2).patchFired && rackTruth(r, 2).temperatureC >= 76) || undefined, 'patch fired and the rack past 76 °C', 30_000);
    r.sim.setTimeScale(8);
    await r.until(() => (r.stage() >= 4 && rackTruth(r, 2).spray.active) || undefined, 'stage 4 with water flowing', 40_000);
    await r.until(() => rackTruth(r, 2).temperatureC < 60 || undefined, 'the rack cooled below 60 °C', 20_000);

    const doc = zdoc(r);
    const l = doc.latched;
    const order = [l.s0, l.s1, l.s2, l.s3, l.s4];
    expect(order.filter((t) => t === null), `latched ${JSON.stringify(l)}`).toEqual([]);
    for (let i = 1; i < order.length; i++) expect(order[i]!).toBeGreaterThanOrEqual(order[i - 1]!);
    expect(l.s5).toBeNull();
    // what started each stage, as the journal recorded it
    const j = r.journal();
    const first = (stage: number) => j.find((x) => x.type === 'transition' && x.data.stage === stage && Number(x.data.stageFrom) < stage)!;
    expect(first(0).data.event).toBe('VOTE.S0');
    expect(['PATCH', 'VOTE.S2']).toContain(first(2).data.event);
    expect(first(3).data.event).toBe('VOTE.S3');
    // stage 3 was voted 2ooN on what the physics made the channels read (camera occluded behind the curtain)
    const s3 = (first(3).data.decisions as { rack: number; rule: string; channels: { channel: string; value: number | null; valid: boolean }[] }[]).find((d) => d.rack === 2)!;
    expect(s3.channels.filter((c) => c.valid && (c.value ?? 0) >= 80).length).toBeGreaterThanOrEqual(2);
    expect(s3.channels.find((c) => c.channel === 'camera')?.valid).toBe(false);
    // outputs decided after their stage latched: isolation of rack 2 at stage 0, curtain at stage 1, nozzle at 3, water at 4
    const seqOf = (actuator: string) => j.find((x) => x.type === 'decision.intent' && x.data.actuator === actuator)!.seq;
    expect(seqOf('rack.2.breaker')).toBeGreaterThan(first(0).seq);
    expect(seqOf('rack.2.curtain')).toBeGreaterThan(first(1).seq);
    expect(seqOf('rack.2.nozzle')).toBeGreaterThan(first(3).seq);
    expect(seqOf('rack.2.spray')).toBeGreaterThan(first(4).seq);
    const w = r.writes();
    expect(w.indexOf('rack.2.breaker.open.cmd=1')).toBeLessThan(w.indexOf('rack.2.curtain.down.cmd=1'));
    expect(w.indexOf('rack.2.curtain.down.cmd=1')).toBeLessThan(w.indexOf('rack.2.nozzle.release.cmd=1'));
    expect(w.indexOf('rack.2.nozzle.release.cmd=1')).toBeLessThan(w.indexOf('rack.2.spray.cmd=1'));
    expect(closeOrRaise(w)).toEqual([]);
    // the plant: the patch operated by itself (never commanded), the nozzle discharged, water flows, it never ran away
    const rack = rackTruth(r, 2);
    expect(rack.patchFired).toBe(true);
    expect(rack.nozzleDischargedAtS).not.toBeNull();
    expect(rack.source?.phase).not.toBe('runaway');
    expect(rack.maxTemperatureC).toBeGreaterThanOrEqual(80);
    expect(rack.maxTemperatureC).toBeLessThan(95);
  });
});

