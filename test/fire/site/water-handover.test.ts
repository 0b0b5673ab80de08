/**
 * FS-20 (continuous water, supervised drainage, human-only stop), FS-21 (notification and
 * hand-over change who is in authority), FS-23 (authorized reset, re-energizing its own step) and
 * the §4 failure modes #24 (water supply lost, drain tank full), against the real simulator
 * (hardware-sim, fire I/O of BR1) and the whole edge agent over Modbus TCP, with signed commands
 * over the agent's local control socket.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { recovered } from '../support/site-helpers.js';
import { startSiteRig, type SiteRig, type SiteRigOptions } from '../support/site-rig.js';

let rig: SiteRig | null = null;
afterEach(async () => { await rig?.close(); rig = null; });

const ANN = { user: 'ann', role: 'operator' as const };
const BOB = { user: 'bob', role: 'admin' as const };
const CAROL = { user: 'carol', role: 'admin' as const };
const FD = { user: 'chief', role: 'firedept' as const };

/** Stage 3 → 4 after T3 (1 s); T4 long unless a test shortens it, so the zone stays at stage 4. */
const opts = (o: { t3Ms?: number; t4Ms?: number; waterMs?: number; camera?: boolean; gasHoldMs?: number } = {}): SiteRigOptions => ({
  racks: 2,
  camera: o.camera ?? true,
  // staleness = 3 × the fast poll: 600 ms keeps channels valid on a loaded 2-core machine, so the
  // refusals below are the ones the test means (reset and water stop read channel validity)
  pollGroups: { fast: 200, normal: 500, slow: 5000 },
  fire: {
    timings: { onDelayMs: 500, nozzlePreDischargeMs: 500, t3Ms: o.t3Ms ?? 1000, t4Ms: o.t4Ms ?? 600_000, gasDelayMs: 10_000, gasHoldMs: o.gasHoldMs ?? 600_000 },
    feedback: { waterMs: o.waterMs ?? 10_000 },
  },
  site: { actuators: { nozzleS: 0.3, sprayS: 0.3, pumpS: 0.3, curtainS: 0.5, gasS: 0.5 } },
});

interface AlarmView { class: string; priority: number; text: string; active: boolean; acked: boolean; latched: boolean }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const doc = (r: SiteRig) => r.zone().stateDoc();
const alarm = (r: SiteRig, id: string) => doc(r).alarms[id] as AlarmView | undefined;
const thermal = (r: SiteRig) => doc(r).thermal as { maxC: number | null; minValidCount: number } | null;
const fdControl = (r: SiteRig) => doc(r).fdControl as { since: number; reason: string; actors: { user: string; role: string }[] } | null;
const incident = (r: SiteRig) => (doc(r).state as { incident?: unknown } | null)?.incident;
const room = (r: SiteRig) => r.sim.truth({ devices: false }).rooms[0]!;
const confirmed = (r: SiteRig, actuator: string) =>
  r.journal().find((x) => x.type === 'decision.outcome' && x.data.actuator === actuator && x.data.outcome === 'confirmed');
const failedOutcome = (r: SiteRig, actuator: string) =>
  r.journal().find((x) => x.type === 'decision.outcome' && x.data.actuator === actuator && x.data.outcome === 'failed');

/** Both probes of rack 1 at 85 °C → stage 3 → nozzle → T3 → stage 4 with water flowing and the drain pump running. */
async function toWater(r: SiteRig): Promise<void> {
  await recovered(r);
  await r.force('rack.1.probe.a.temperature', 85);
  await r.force('rack.1.probe.b.temperature', 85);
  await r.until(() => (r.stage() >= 4 && confirmed(r, 'rack.1.spray') && confirmed(r, 'room.drain.pump')) || undefined, 'water flowing and drain pump running', 20_000);
}

async function cool(r: SiteRig, c = 30): Promise<void> {
  await r.force('rack.1.probe.a.temperature', c);
  await r.force('rack.1.probe.b.temperature', c);
  await r.until(() => ((thermal(r)?.maxC ?? 99) < 40) || undefined, `probes read ${c} °C in the agent`);
}

describe('continuous water and supervised drainage (FS-20)', () => {
  it('FS-20 water latches on with the drain pump; cooled to 30 °C it stays on; operator stop and admin stop without the criteria are rejected; all channels bad → "no positive evidence"', async () => {
    rig = await startSiteRig(opts({ camera: false }));
    const r = rig;
    await toWater(r);
    expect(r.writes()).toEqual(expect.arrayContaining(['rack.1.spray.cmd=1', 'room.drain.pump.cmd=1']));
    expect(room(r).racks[0]!.spray.active).toBe(true);
    expect(room(r).actuators.pump!.active).toBe(true);
    await cool(r, 30);
    await sleep(2000);
    expect(r.writes().filter((w) => /spray\.cmd=0|drain\.pump\.cmd=0/.test(w))).toEqual([]);
    expect(room(r).racks[0]!.spray.active).toBe(true);
    expect(r.stage()).toBe(4);

    const op = await r.command('water.stop', { actors: [ANN], reason: 'looks cool' });
    expect(op.ok).toBe(false);
    expect(op.reason).toBe('stopping water needs the admin or firedept role');
    const noReason = await r.command('water.stop', { actors: [BOB] });
    expect(noReason).toMatchObject({ ok: false, reason: 'a reason is required' });
    await r.until(() => ((thermal(r)?.minValidCount ?? 0) >= 2) || undefined, 'two valid channels per rack');
    const early = await r.command('water.stop', { actors: [BOB], reason: 'probes at 30 °C' });
    expect(early.ok).toBe(false);
    // 30 °C now, but not yet non-rising over the rate window, let alone 30 min (waterStopQuietMs); on a
    // loaded machine a reading may go stale for a moment (staleness 3 × the 100 ms poll), which is
    // the other refusal of the same rule
    expect(early.reason).toMatch(/^(criteria not met: |no positive evidence: )/);

    // every channel bad: probes out of range, BMS gone (camera not installed) → no data is not cool
    await r.force('rack.1.probe.a.temperature', 900);
    await r.force('rack.1.probe.b.temperature', 900);
    await r.fault({ kind: 'offline', device: 'bms-br1', mode: 'refuse' });
    await r.until(() => (thermal(r)?.minValidCount === 0) || undefined, 'no valid channel on rack 1', 20_000);
    const blind = await r.command('water.stop', { actors: [BOB], reason: 'nothing reads hot' });
    expect(blind.ok).toBe(false);
    expect(blind.reason).toMatch(/^no positive evidence/);
    expect(r.stage()).toBe(4);
    expect(r.writes().filter((w) => /spray\.cmd=0/.test(w))).toEqual([]);
    const rejected = r.journal().filter((x) => x.type === 'note.commandRejected' && x.data.command === 'WATER.STOP').map((x) => x.data.reason);
    expect(rejected).toEqual([op.reason, noReason.reason, early.reason, blind.reason]);
  });

  it('FS-20 drain tank 85 % → P2; 96 % (§4 #24) → P1 with a hand-over decision prompt to the fire department; water and pump are not stopped', async () => {
    rig = await startSiteRig(opts());
    const r = rig;
    await toWater(r);
    const high = await r.fault({ kind: 'drain-tank-full', room: 'BR1', levelPct: 85 });
    await r.until(() => alarm(r, 'tankHigh')?.active || undefined, 'tank high');
    expect(alarm(r, 'tankHigh')).toMatchObject({ class: 'supervisory', priority: 2 });
    expect(alarm(r, 'tankFull')).toBeUndefined();
    r.sim.clearFault(high);
    await r.fault({ kind: 'drain-tank-full', room: 'BR1', levelPct: 96 });
    await r.until(() => alarm(r, 'tankFull')?.active || undefined, 'tank full');
    const a = alarm(r, 'tankFull')!;
    expect(a).toMatchObject({ class: 'alarm', priority: 1 });
    expect(a.text).toMatch(/drain tank 96%/);
    expect(a.text).toMatch(/decide: hand-over recommended \(water is not stopped automatically\)/);
    await r.until(() => r.sub.events.some((e) => e.kind === 'alarm' && e.data?.notify === 'firedept' && /drain tank 96%/.test(e.message)) || undefined, 'fire department told');
    await sleep(1500);
    expect(r.writes().filter((w) => /spray\.cmd=0|drain\.pump\.cmd=0/.test(w))).toEqual([]);
    expect(room(r).racks[0]!.spray.active).toBe(true);
    expect(room(r).actuators.pump!.active).toBe(true);
    expect(r.stage()).toBe(4);
    expect(fdControl(r)).toBeNull(); // a decision for people, not an automatic hand-over
  });

  it('FS-20 water supply lost (§4 #24) → supervisory "water impaired"; the spray then never flows → P1, stage 5 at once (no T4 wait), water never stopped by the agent', async () => {
    rig = await startSiteRig(opts({ waterMs: 1000 }));
    const r = rig;
    await recovered(r);
    await r.fault({ kind: 'water-supply-lost', room: 'BR1' });
    await r.until(() => alarm(r, 'waterSupply')?.active || undefined, 'water impaired shown');
    const a = alarm(r, 'waterSupply')!;
    expect(a).toMatchObject({ class: 'supervisory', priority: 1 });
    expect(a.text).toMatch(/^water impaired, zone z1: cooling-water supply lost/);
    expect(r.stage()).toBe(-1);
    await r.force('rack.1.probe.a.temperature', 85);
    await r.force('rack.1.probe.b.temperature', 85);
    await r.until(() => r.stage() >= 5 || undefined, 'stage 5 after the water failed', 20_000);
    expect(failedOutcome(r, 'rack.1.spray')).toBeDefined();
    expect(alarm(r, 'actuatorFailed:rack.1.spray')).toMatchObject({ class: 'alarm', priority: 1 });
    expect(room(r).racks[0]!.spray.cmd).toBe(true); // valve left open: water is demanded, only no supply
    expect(room(r).racks[0]!.spray.active).toBe(false);
    const s5 = r.journal().find((x) => x.type === 'transition' && x.data.stage === 5)!;
    expect(s5.data.event).not.toBe('DEADLINE'); // not T4: the failed flow escalated
    expect(doc(r).deadlines.t4).toBeUndefined();
    expect(r.writes().filter((w) => /spray\.cmd=0/.test(w))).toEqual([]);
    expect(alarm(r, 'waterSupply')?.active).toBe(true);
  });
});

describe('fire-department notification and hand-over (FS-21)', () => {
  it('FS-21 notified at stage 1; hand-over declared → fdControl with time, reason and actor; operators\' and admins\' plant commands refused, no automatic escalation; the fire department stops the water and releases', async () => {
    rig = await startSiteRig(opts({ t4Ms: 3000 }));
    const r = rig;
    await toWater(r);
    // notification at stage 0/1 (here the skip-ahead's stage 1), journaled and published
    const notify = r.journal().find((x) => x.type === 'notify' && x.data.channel === 'firedept')!;
    expect(String((notify.data.payload as { text: string }).text)).toMatch(/stage 1: battery isolated, curtain down/);
    await r.until(() => r.sub.events.some((e) => e.kind === 'alarm' && e.data?.notify === 'firedept') || undefined, 'the fire-department notice on the broker');

    const t4 = doc(r).deadlines.t4!;
    const h = await r.command('fd.handover', { actors: [ANN], reason: 'crew on scene' });
    expect(h.ok).toBe(true);
    const fd = fdControl(r)!;
    expect(fd.reason).toBe('manual declaration: crew on scene');
    expect(fd.actors).toEqual([ANN]);
    expect(incident(r)).toBe('fdControl');
    const rec = r.journal().find((x) => x.type === 'handover')!;
    expect(rec.data).toMatchObject({ reason: 'manual declaration: crew on scene', actors: [ANN], at: fd.since });
    const writesAtHandover = r.writes().length;

    // authority moved: plant commands from operators and admins are refused
    const refusals = [
      await r.command('water.stop', { actors: [ANN], reason: 'x' }),
      await r.command('water.stop', { actors: [BOB], reason: 'cool enough' }),
      await r.command('manual.release', { actors: [ANN], reason: 'gas now' }),
      await r.command('isolation.override', { actors: [BOB], reason: 'water without isolation' }),
      await r.command('reset', { actors: [BOB, CAROL], reason: 'done' }),
    ];
    expect(refusals.map((x) => x.ok)).toEqual([false, false, false, false, false]);
    expect(refusals[1]!.reason).toBe('the zone is under fire-department control: only the fire department (firedept role) may stop the water');
    expect(refusals[2]!.reason).toBe('the zone is under fire-department control: only the fire department (firedept role) may release the gas');
    expect(refusals[3]!.reason).toMatch(/under fire-department control/);
    expect(refusals[4]!.reason).toBe('the zone is under fire-department control: FD.RELEASE first');

    // no automatic escalation: T4 passes (not controlled, 85 °C) and a second rack heats, nothing new is commanded
    await r.force('rack.2.probe.a.temperature', 85);
    await r.force('rack.2.probe.b.temperature', 85);
    while (Date.now() < t4 + 1500) await sleep(250);
    expect(r.writes().slice(writesAtHandover)).toEqual([]);
    expect(r.stage()).toBe(4);
    expect(room(r).gasReleasedAtS).toBeNull();
    // latched actions stay in force
    expect(room(r).racks[0]!.spray.active).toBe(true);
    expect(room(r).racks.every((k) => k.breaker.active)).toBe(true);

    // the fire department has authority on scene: water stop without the criteria is accepted
    const stop = await r.command('water.stop', { actors: [FD], reason: 'overhaul' });
    expect(stop.ok).toBe(true);
    await r.until(() => r.writes().includes('rack.1.spray.cmd=0') || undefined, 'spray valve closed');
    await r.until(() => !room(r).racks[0]!.spray.active || undefined, 'water off in the plant');
    expect(r.journal().some((x) => x.type === 'note.command' && x.data.command === 'WATER.STOP' && (x.data.actors as { user: string }[])[0]!.user === 'chief')).toBe(true);
    const rel = await r.command('fd.release', { actors: [FD], reason: 'fire out, scene handed back' });
    expect(rel.ok).toBe(true);
    expect(fdControl(r)).toBeNull();
    expect(incident(r)).toBe('awaitingReset');
  });
});

describe('automatic hand-over (FS-21 trigger 1)', () => {
  it('FS-21 gas released and still 85 °C at the end of the agent hold → fdControl with a journaled time and reason; no new automatic commands afterwards', async () => {
    rig = await startSiteRig(opts({ t4Ms: 1000, gasHoldMs: 2000 }));
    const r = rig;
    await toWater(r);
    await r.until(() => fdControl(r) || undefined, 'hand-over after the hold', 30_000);
    const fd = fdControl(r)!;
    expect(fd.reason).toBe('gas released and not controlled after the hold time');
    expect(fd.actors).toEqual([]);
    const released = confirmed(r, 'room.gas')!;
    expect(fd.since - Number(released.data.at)).toBeGreaterThanOrEqual(2000);
    const rec = r.journal().find((x) => x.type === 'handover')!;
    expect(rec.data).toMatchObject({ reason: fd.reason, at: fd.since });
    expect(alarm(r, 'fdControl')).toMatchObject({ class: 'alarm', priority: 1, active: true });
    await r.until(() => r.sub.events.some((e) => e.kind === 'alarm' && e.data?.notify === 'firedept' && /hand-over/.test(e.message)) || undefined, 'the fire-department hand-over notice on the broker');
    const n = r.writes().length;
    await r.force('rack.2.probe.a.temperature', 90);
    await r.force('rack.2.probe.b.temperature', 90);
    await sleep(2500);
    expect(r.writes().slice(n)).toEqual([]);
    expect(room(r).racks[0]!.spray.active).toBe(true); // latched water stays on
  });
});

describe('authorized reset (FS-23)', () => {
  it('FS-23 stage 3: two distinct persons; rejected while hot, with an unacknowledged alarm, with the nozzle not recharged; then idle with the breakers still open until REENERGIZE, its own step', async () => {
    rig = await startSiteRig(opts({ t3Ms: 600_000 }));
    const r = rig;
    await recovered(r);
    await r.force('rack.1.probe.a.temperature', 85);
    await r.force('rack.1.probe.b.temperature', 85);
    await r.until(() => (r.stage() === 3 && confirmed(r, 'rack.1.nozzle') && confirmed(r, 'rack.2.breaker')) || undefined, 'stage 3, nozzle discharged, zone isolated', 20_000);
    const reset = (actors: { user: string; role: 'operator' | 'admin' | 'firedept' | 'viewer' }[], reason = 'incident closed') => r.command('reset', { actors, reason });

    expect(await reset([BOB])).toMatchObject({ ok: false, reason: 'stage ≥ 3: reset needs two distinct persons (operator or admin)' });
    expect(await reset([BOB, { user: 'bob', role: 'operator' }])).toMatchObject({ ok: false, reason: 'stage ≥ 3: reset needs two distinct persons (operator or admin)' });
    expect(await reset([ANN, BOB])).toMatchObject({ ok: false, reason: 'reset needs the admin role' });
    // one probe at 65 °C → rejected with the reason
    await r.force('rack.1.probe.a.temperature', 65);
    await r.force('rack.1.probe.b.temperature', 25);
    await r.until(() => (thermal(r)?.maxC !== null && thermal(r)!.maxC! < 70) || undefined, 'rack 1 at 65 °C in the agent');
    const hot = await reset([BOB, ANN]);
    expect(hot.ok).toBe(false);
    expect(hot.reason).toMatch(/^input not normal: 6\d(\.\d+)? °C$/);
    await r.force('rack.1.probe.a.temperature', 25);
    await r.until(() => ((thermal(r)?.maxC ?? 99) < 40) || undefined, 'cool');
    const unacked = await reset([BOB, ANN]);
    expect(unacked.ok).toBe(false);
    expect(unacked.reason).toMatch(/^unacknowledged alarm: .*stage3/);
    expect((await r.command('ack', { actors: [ANN] })).ok).toBe(true);
    const nozzle = await reset([BOB, ANN]);
    expect(nozzle).toMatchObject({ ok: false });
    expect(nozzle.reason).toMatch(/not (restored \(recharge or refill\)|confirmed up)/);
    // restore the plant: recharge the nozzle, raise the curtain by hand (the agent reports, never fights it)
    r.sim.maintain('BR1', 'refill-nozzle', 1);
    await r.force('rack.1.curtain.down', false);
    await r.until(() => alarm(r, 'contradiction:rack.1.curtain') || undefined, 'curtain raised by hand reported');
    await r.until(() => r.zone().field.bool('rack.1.nozzle.pressure') === false || undefined, 'nozzle recharged in the field');
    expect((await r.command('ack', { actors: [ANN] })).ok).toBe(true);
    const breakerWritesBefore = r.writes().filter((w) => /breaker\.open\.cmd=0/.test(w));
    const ok = await reset([BOB, ANN]);
    expect(ok).toMatchObject({ ok: true });
    expect(r.stage()).toBe(-1);
    expect(incident(r)).toBe('idle');
    const accepted = r.journal().find((x) => x.type === 'note.command' && x.data.command === 'RESET')!;
    expect(accepted.data.actors).toEqual([BOB, ANN]);
    expect(accepted.data.reenergizePending).toEqual([1, 2]);
    // reset alone never re-closes a breaker
    await sleep(1000);
    expect(breakerWritesBefore).toEqual([]);
    expect(r.writes().filter((w) => /breaker\.open\.cmd=0/.test(w))).toEqual([]);
    expect(room(r).racks.every((k) => k.breaker.active)).toBe(true);

    // re-energizing: admin only, with a reason, as its own command
    expect(await r.command('reenergize', { actors: [ANN], reason: 'back to service' })).toMatchObject({ ok: false, reason: 're-energize needs the admin role' });
    expect(await r.command('reenergize', { actors: [BOB] })).toMatchObject({ ok: false, reason: 'a reason is required' });
    expect((await r.command('reenergize', { actors: [BOB], reason: 'back to service' })).ok).toBe(true);
    await r.until(() => room(r).racks.every((k) => !k.breaker.active) || undefined, 'breakers closed in the plant');
    const w = r.writes();
    expect(w).toEqual(expect.arrayContaining(['rack.1.breaker.open.cmd=0', 'rack.2.breaker.open.cmd=0', 'room.charge.inhibit.cmd=0']));
  });
});
