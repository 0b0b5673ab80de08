/**
 * FS-12 (command → feedback → fault for every output) against the real simulator and the real
 * agent, with the actuator faults of FIRE-SAFETY.md §4 injected into the simulated plant:
 * #13 welded contactor, #14 feedback lies, #15 curtain jammed, #16 nozzle no discharge, #17
 * spurious re-close, #24 water supply lost, and #8 for outputs (feedback inputs unreadable: unknown,
 * never a contradiction). What the plant really did is read from `sim.truth()`,
 * what the agent wrote from the simulator's write log, what the operator sees from the zone's
 * state document, its alarms and the events on the broker.
 *
 * Battery current: the zone is put on battery (`ups-fault` rectifier) under ~96 kW of IT load, so
 * a rack whose contacts stay closed really carries current (≈ 115 A once it is the last one closed).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { alarm, probes, rackTruth, rigPerTest, roomTruth, zdoc } from '../support/site-helpers.js';
import type { SiteRig } from '../support/site-rig.js';

const site = rigPerTest();
const start = site.start;
afterEach(site.close);

const ON_BATTERY_LOAD = { pduRacks: 12 };

/** Sim times (s) of the writes of `point` with value 1 (or 0). */
const writeTimes = (r: SiteRig, point: string, value = 1) =>
  r.writeLog().filter((w) => w.point === point && (w.value === true || w.value === 1 ? 1 : 0) === value).map((w) => w.simTimeS);
const intents = (r: SiteRig, actuator: string) => r.journal().filter((j) => j.type === 'intent' && j.data.actuator === actuator);
const outcomes = (r: SiteRig, actuator: string) => r.journal().filter((j) => j.type === 'outcome' && j.data.actuator === actuator);

/**
 * The first command on an actuator: its attempts and results (FS-12: one retry per command). A new
 * vote of the stage (e.g. after channels went stale and came back) re-asserts a failed output as a
 * new command with its own intent id; `commands` lists the attempts of every command.
 */
function firstCommand(r: SiteRig, actuator: string) {
  const all = intents(r, actuator);
  const id = all[0]?.data.intentId;
  const commands = [...new Set(all.map((j) => j.data.intentId))].map((x) => all.filter((j) => j.data.intentId === x).map((j) => j.data.attempt));
  return {
    attempts: all.filter((j) => j.data.intentId === id).map((j) => j.data.attempt),
    outcomes: outcomes(r, actuator).filter((j) => j.data.intentId === id),
    commands,
  };
}
/** Every command has at most one retry. */
const oneRetryAtMost = (cmds: unknown[][]) => cmds.filter((a) => !(JSON.stringify(a) === '[1]' || JSON.stringify(a) === '[1,2]'));

/** The journal without alarm records, one short line per record (a failure message says what happened). */
const journalSummary = (r: SiteRig) => r.journal().filter((j) => j.type !== 'alarm')
  .map((j) => `${j.seq} ${j.type} ${[j.data.actuator, j.data.op, j.data.attempt, j.data.cause, j.data.result ?? j.data.outcome, j.data.event, j.data.stage].filter((x) => x !== undefined && x !== null).join(' ')}`).join('\n');

async function stage1OnRack1(r: SiteRig): Promise<void> {
  await probes(r, 1, 65);
  await r.until(() => r.stage() >= 1, 'stage 1');
}

describe('FS-12 command → feedback → fault against the simulated plant', () => {
  it('FS-12 welded contactor (current persists) → no confirmation within 2 s, exactly one retry, then P1 "isolation failed" and the upstream breaker (alternate path), which the plant confirms', async () => {
    const r = await start({ racks: 3, site: ON_BATTERY_LOAD, fire: { feedback: { breakerMs: 2000 } } });
    await r.fault({ kind: 'ups-fault', zone: 'z1', mode: 'rectifier' });
    await r.fault({ kind: 'actuator', room: 'BR1', rack: 1, actuator: 'breaker', mode: 'welded' });
    await r.until(() => Math.abs(rackTruth(r, 1).currentA) > 1 || undefined, 'zone on battery, rack 1 discharging');
    await stage1OnRack1(r);
    await r.until(() => zdoc(r).actuators['room.upstream.breaker']?.status === 'confirmed' || undefined, 'upstream breaker confirmed');

    // The plant: rack 1's contacts never opened; the room is isolated upstream instead.
    const rack1 = rackTruth(r, 1);
    expect(rack1.breaker.faults).toContain('welded');
    expect(rack1.breaker.active).toBe(false);
    expect(rack1.breaker.cmd).toBe(true);
    expect(roomTruth(r).actuators.upstream!.active).toBe(true);

    // Exactly one retry: two attempts of the same intent, both without confirmation, each journaled intent → outcome.
    const cmd = firstCommand(r, 'rack.1.breaker');
    expect(cmd.attempts, journalSummary(r)).toEqual([1, 2]);
    expect(oneRetryAtMost(cmd.commands)).toEqual([]);
    const outs = cmd.outcomes;
    expect(outs.map((o) => o.data.result)).toEqual(['timeout', 'timeout']);
    // While it was supposed to be open, the agent read the current still flowing through it.
    const amps = outs.map((o) => Math.abs(Number((o.data.feedback as Record<string, unknown>)['rack.1.breaker.current'])));
    expect(Math.max(...amps)).toBeGreaterThan(50);

    // Writes the simulator received: first, the retry one timeout later, then the upstream breaker after the second timeout.
    const upstream = writeTimes(r, 'room.upstream.breaker.open.cmd');
    const rackWrites = writeTimes(r, 'rack.1.breaker.open.cmd').filter((t) => t <= upstream[0]!);
    expect(rackWrites).toHaveLength(2);
    expect(upstream).toHaveLength(1);
    expect(rackWrites[1]! - rackWrites[0]!).toBeGreaterThanOrEqual(1.9);
    expect(rackWrites[1]! - rackWrites[0]!).toBeLessThan(3.5);
    expect(upstream[0]! - rackWrites[1]!).toBeGreaterThanOrEqual(1.9);
    expect(upstream[0]! - rackWrites[1]!).toBeLessThan(3.5);

    // The operator: P1 on the actuator and on isolation, latched; the zone counts the failure.
    expect(alarm(r, 'actuatorFailed:rack.1.breaker')).toMatchObject({ class: 'alarm', priority: 1, latched: true });
    expect(alarm(r, 'isolationFailed')).toMatchObject({ priority: 1, latched: true });
    expect(zdoc(r).actuators['rack.1.breaker']).toMatchObject({ op: 'open', status: 'failed' });
    expect(r.journal().some((j) => j.type === 'note.isolated')).toBe(true);
    await r.until(() => r.sub.events.some((e) => e.kind === 'alarm' && (e.data as { alarmId?: string }).alarmId === 'isolationFailed') || undefined, 'isolationFailed on the broker');
    const events = r.sub.events.filter((e) => e.kind === 'fire.actuation' && (e.data as { actuator?: string }).actuator === 'rack.1.breaker');
    expect(events.map((e) => [e.severity, (e.data as { final: boolean }).final])).toEqual([['P1', false], ['P1', true]]);
  });

  it('FS-12 feedback lies: the aux contact says open while ≈ 100 A still flows → current wins: contradicted, one retry, P1 and the upstream breaker; the plant shows the contacts closed', async () => {
    const r = await start({ racks: 3, site: ON_BATTERY_LOAD, fire: { feedback: { breakerMs: 2000 } } });
    await r.fault({ kind: 'ups-fault', zone: 'z1', mode: 'rectifier' });
    await r.fault({ kind: 'actuator', room: 'BR1', rack: 1, actuator: 'breaker', mode: 'lies' });
    await r.until(() => Math.abs(rackTruth(r, 1).currentA) > 1 || undefined, 'zone on battery');
    await stage1OnRack1(r);
    await r.until(() => zdoc(r).actuators['room.upstream.breaker']?.status === 'confirmed' || undefined, 'upstream breaker confirmed');

    const rack1 = rackTruth(r, 1);
    expect(rack1.breaker).toMatchObject({ cmd: true, feedback: true, active: false }); // the lie: aux open, contacts closed
    const cmd = firstCommand(r, 'rack.1.breaker');
    const outs = cmd.outcomes;
    expect(outs.map((o) => o.data.result), journalSummary(r)).toEqual(['contradicted', 'contradicted']);
    for (const o of outs) {
      const fb = o.data.feedback as Record<string, unknown>;
      expect(fb['rack.1.breaker.open']).toBe(true);
      expect(Math.abs(Number(fb['rack.1.breaker.current']))).toBeGreaterThanOrEqual(1);
      expect(String(o.data.reason)).toMatch(/aux contact says open but rack\.1\.breaker\.current = -?\d/);
    }
    expect(cmd.attempts).toEqual([1, 2]);
    expect(oneRetryAtMost(cmd.commands)).toEqual([]);
    expect(alarm(r, 'actuatorFailed:rack.1.breaker')).toMatchObject({ priority: 1, latched: true });
    expect(alarm(r, 'actuatorFailed:rack.1.breaker')!.text).toContain('contradicted');
    expect(alarm(r, 'isolationFailed')?.priority).toBe(1);
    expect(writeTimes(r, 'room.upstream.breaker.open.cmd')).toHaveLength(1);
    expect(roomTruth(r).actuators.upstream!.active).toBe(true);
    // Isolated only through the upstream breaker: rack 1 never counted as open.
    expect(zdoc(r).actuators['rack.1.breaker']?.status).toBe('failed');
  });

  it('FS-12 step 5: isolation unrecoverable at stage 3 (rack contactor welded, upstream breaker stuck) → both P1, water held by the interlock, and the failure hands the zone over to the fire department', async () => {
    const r = await start({
      racks: 2, site: { ...ON_BATTERY_LOAD, actuators: { nozzleS: 0.3 } },
      fire: { feedback: { breakerMs: 1500 }, timings: { nozzlePreDischargeMs: 500, t3Ms: 1000 } },
    });
    await r.fault({ kind: 'ups-fault', zone: 'z1', mode: 'rectifier' });
    await r.fault({ kind: 'actuator', room: 'BR1', rack: 1, actuator: 'breaker', mode: 'welded' });
    await r.fault({ kind: 'actuator', room: 'BR1', actuator: 'upstream', mode: 'stuck' });
    await probes(r, 1, 85);
    await r.until(() => zdoc(r).fdControl ?? undefined, 'hand-over to the fire department');

    const doc = zdoc(r);
    expect(doc.fdControl!.reason).toContain('unrecovered isolation failure at stage ≥ 3');
    expect(alarm(r, 'fdControl')).toMatchObject({ priority: 1, latched: true });
    expect(alarm(r, 'actuatorFailed:rack.1.breaker')?.priority).toBe(1);
    expect(alarm(r, 'actuatorFailed:room.upstream.breaker')?.priority).toBe(1);
    expect(alarm(r, 'isolationFailed')).toMatchObject({ priority: 1, active: true });
    // each path was tried exactly twice (one retry each), in that order
    for (const a of ['rack.1.breaker', 'room.upstream.breaker']) {
      expect(firstCommand(r, a).attempts, journalSummary(r)).toEqual([1, 2]);
      expect(oneRetryAtMost(firstCommand(r, a).commands)).toEqual([]);
    }
    const w = r.writes();
    expect(w.filter((x) => x === 'rack.1.breaker.open.cmd=1').length).toBeGreaterThanOrEqual(2);
    expect(w.indexOf('rack.1.breaker.open.cmd=1')).toBeLessThan(w.indexOf('room.upstream.breaker.open.cmd=1'));
    // the plant: still energised (current through rack 1), so the water never started (FS-09/Q4)
    expect(rackTruth(r, 1).breaker.active).toBe(false);
    expect(roomTruth(r).actuators.upstream!.active).toBe(false);
    expect(Math.abs(rackTruth(r, 1).currentA)).toBeGreaterThan(1);
    expect(w.some((x) => x.startsWith('rack.1.spray.cmd'))).toBe(false);
    expect(r.journal().some((j) => j.type === 'handover')).toBe(true);
  });

  it('FS-12 a contactor that re-closes by itself after confirmed isolation → P1 contradiction, the open is re-asserted and the plant opens again; never a close command', async () => {
    const r = await start({ racks: 2, site: ON_BATTERY_LOAD });
    await r.fault({ kind: 'ups-fault', zone: 'z1', mode: 'rectifier' });
    await r.fault({ kind: 'actuator', room: 'BR1', rack: 1, actuator: 'breaker', mode: 'reclose', afterS: 2 });
    await stage1OnRack1(r);
    await r.until(() => zdoc(r).actuators['rack.1.breaker']?.status === 'confirmed' || undefined, 'rack 1 breaker confirmed open');
    const openedAt = rackTruth(r, 1).breaker.changedAtS!;
    await r.until(() => alarm(r, 'contradiction:rack.1.breaker') || undefined, 'contradiction alarm');
    await r.until(() => writeTimes(r, 'rack.1.breaker.open.cmd').length >= 2 || undefined, 're-assert written');
    await r.until(() => (rackTruth(r, 1).breaker.active && rackTruth(r, 1).breaker.changedAtS! > openedAt + 1) || undefined, 'breaker open again in the plant');

    expect(alarm(r, 'contradiction:rack.1.breaker')).toMatchObject({ class: 'alarm', priority: 1, latched: true });
    expect(alarm(r, 'contradiction:rack.1.breaker')!.text).toMatch(/rack\.1\.breaker\.open = false|shows close|rack\.1\.breaker\.current = -?\d/);
    // (either feedback shows the re-close first: the aux contact or the current through the contactor)
    const contradiction = r.journal().find((j) => j.type === 'decision.outcome' && j.data.actuator === 'rack.1.breaker' && j.data.outcome === 'contradicted');
    expect(contradiction).toBeDefined();
    // The re-assert is journaled (intent) before it is written; the plant re-closed about 2 s after opening.
    const reassert = r.journal().find((j) => j.type === 'decision.intent' && j.data.actuator === 'rack.1.breaker' && String(j.data.cause).startsWith('re-assert'));
    expect(reassert && reassert.seq > contradiction!.seq).toBe(true);
    const w = writeTimes(r, 'rack.1.breaker.open.cmd');
    expect(w[1]! - openedAt).toBeGreaterThanOrEqual(1.9);
    expect(writeTimes(r, 'rack.1.breaker.open.cmd', 0)).toEqual([]);
    expect(r.stage()).toBe(1);
    await r.until(() => zdoc(r).actuators['rack.1.breaker']?.status === 'confirmed' || undefined, 'confirmed again');
  });

  it('FS-12/FS-01 the rack inputs turn unreadable (Modbus exception) after confirmed isolation → unknown, never a contradiction: no P1, no re-assert; the patch input fault is a trouble (FS-11)', async () => {
    const r = await start({ racks: 2 });
    await stage1OnRack1(r);
    await r.until(() => (zdoc(r).actuators['rack.1.breaker']?.status === 'confirmed' && zdoc(r).actuators['rack.2.breaker']?.status === 'confirmed') || undefined, 'isolation confirmed');
    const writesBefore = r.writes().length;
    // discrete inputs of rack 1 (smoke … spray flow, addresses 100..106) answer with exception 4
    const f = await r.fault({ kind: 'exception', device: 'fire-br1', table: 'discrete', from: 100, to: 106 });
    await r.until(() => (r.zone().field.get('rack.1.breaker.open') && r.zone().field.get('rack.1.breaker.open')!.quality !== 'good') || undefined, 'the aux contact read as bad quality');
    await r.until(() => alarm(r, 'channel:1/patch') || undefined, 'patch input trouble');
    const t = Date.now();
    await r.until(() => (r.zone().field.get('rack.1.breaker.current')?.ts ?? 0) > t + 500 || undefined, 'more reads while unreadable');

    expect(alarm(r, 'channel:1/patch')).toMatchObject({ class: 'trouble', active: true });
    expect(alarm(r, 'channel:1/patch')!.text).toMatch(/patch.*open.circuit or missing/);
    const contradictions = Object.keys(zdoc(r).alarms).filter((a) => a.startsWith('contradiction:'));
    expect(contradictions, journalSummary(r)).toEqual([]);
    expect(r.journal().filter((j) => j.type === 'feedback.contradiction')).toEqual([]);
    expect(r.writes().slice(writesBefore)).toEqual([]);
    expect(zdoc(r).actuators['rack.1.breaker']?.status).toBe('confirmed');

    r.sim.clearFault(f);
    await r.until(() => r.zone().field.get('rack.1.breaker.open')?.quality === 'good' || undefined, 'readable again');
    await r.until(() => alarm(r, 'channel:1/patch')?.active === false || undefined, 'patch trouble returned to normal');
    expect(r.writes().slice(writesBefore)).toEqual([]);
    expect(rackTruth(r, 1).breaker.active).toBe(true);
  });

  it('FS-12 §4 #15 curtain jammed (stuck): no down limit switch → one retry, P1 curtain failed, no other path; escalation continues: 85 °C → nozzle released and discharged in the plant', async () => {
    const r = await start({ racks: 2, site: { actuators: { nozzleS: 0.3 } }, fire: { feedback: { curtainMs: 1500, dischargeMs: 3000 } } });
    await r.fault({ kind: 'actuator', room: 'BR1', rack: 1, actuator: 'curtain', mode: 'stuck' });
    await stage1OnRack1(r);
    await r.until(() => alarm(r, 'actuatorFailed:rack.1.curtain') || undefined, 'curtain failed');
    expect(alarm(r, 'actuatorFailed:rack.1.curtain')).toMatchObject({ class: 'alarm', priority: 1, latched: true });
    expect(firstCommand(r, 'rack.1.curtain').attempts, journalSummary(r)).toEqual([1, 2]);
    expect(oneRetryAtMost(firstCommand(r, 'rack.1.curtain').commands)).toEqual([]);
    expect(writeTimes(r, 'rack.1.curtain.down.cmd').length).toBeGreaterThanOrEqual(2);
    expect(rackTruth(r, 1).curtain).toMatchObject({ cmd: true, active: false, feedback: false });
    expect(writeTimes(r, 'room.upstream.breaker.open.cmd')).toEqual([]); // isolation itself is fine

    await probes(r, 1, 85);
    await r.until(() => rackTruth(r, 1).nozzleDischargedAtS !== null || undefined, 'nozzle discharged in the plant');
    expect(r.stage()).toBeGreaterThanOrEqual(3);
    expect(r.writes()).toContain('rack.1.nozzle.release.cmd=1');
  });

  it('FS-12 §4 #16 nozzle valve stuck: no pressure switch → written once (one-shot, never retried), P1 with a manual-release notice; T3 still runs → water', async () => {
    const r = await start({
      racks: 2, site: { actuators: { sprayS: 0.5 } },
      fire: { feedback: { dischargeMs: 1500 }, timings: { t3Ms: 1000 } },
    });
    await r.fault({ kind: 'actuator', room: 'BR1', rack: 1, actuator: 'nozzle', mode: 'stuck' });
    await probes(r, 1, 85);
    await r.until(() => alarm(r, 'actuatorFailed:rack.1.nozzle') || undefined, 'nozzle failed');
    await r.until(() => (r.stage() >= 4 && rackTruth(r, 1).spray.active) || undefined, 'water flowing');

    expect(alarm(r, 'actuatorFailed:rack.1.nozzle')).toMatchObject({ class: 'alarm', priority: 1, latched: true });
    expect(writeTimes(r, 'rack.1.nozzle.release.cmd')).toHaveLength(1);
    expect(intents(r, 'rack.1.nozzle').map((j) => j.data.attempt)).toEqual([1]);
    expect(outcomes(r, 'rack.1.nozzle').map((o) => o.data.result)).toEqual(['timeout']);
    expect(rackTruth(r, 1).nozzleDischargedAtS).toBeNull();
    expect(r.journal().some((j) => j.type === 'notify' && /use the manual release/.test(String((j.data.payload as { text?: string })?.text)))).toBe(true);
    // the water followed the failed nozzle after T3, never before it
    const w = r.writes();
    expect(w.indexOf('rack.1.nozzle.release.cmd=1')).toBeLessThan(w.indexOf('rack.1.spray.cmd=1'));
  });

  it('FS-12/FS-10 §4 #24 water supply lost: the spray valve opens but no flow → one retry, P1 water failed, stage 5 at once (not after T4); water is never stopped by the agent', async () => {
    const r = await start({
      racks: 2, site: { actuators: { nozzleS: 0.3, sprayS: 0.5 } },
      fire: { feedback: { waterMs: 1500 }, timings: { t3Ms: 1000 } },
    });
    await r.fault({ kind: 'water-supply-lost', room: 'BR1' });
    await probes(r, 1, 85);
    await r.until(() => r.stage() === 5 || undefined, 'stage 5');

    expect(roomTruth(r).waterSupplyOk).toBe(false);
    expect(rackTruth(r, 1).spray).toMatchObject({ cmd: true, active: false });
    expect(alarm(r, 'actuatorFailed:rack.1.spray')).toMatchObject({ priority: 1, latched: true });
    // exactly one retry before the failure escalated the zone (stage-5 entry re-asserts the latched water once more)
    const s5 = r.journal().find((j) => j.type === 'transition' && j.data.stage === 5)!;
    const spray = firstCommand(r, 'rack.1.spray');
    expect(spray.attempts, journalSummary(r)).toEqual([1, 2]);
    expect(spray.outcomes.map((j) => j.data.result)).toEqual(['timeout', 'timeout']);
    expect(spray.outcomes.every((j) => j.seq < s5.seq)).toBe(true);
    expect(oneRetryAtMost(spray.commands)).toEqual([]);
    const doc = zdoc(r);
    expect(doc.latched.s4).not.toBeNull();
    expect(doc.latched.s5).not.toBeNull();
    expect(doc.deadlines.t4).toBeUndefined(); // escalated on the failure, not on T4 (15 min default)
    expect(writeTimes(r, 'rack.1.spray.cmd', 0)).toEqual([]);
    await r.until(() => r.writes().includes('room.hvac.stop.cmd=1') || undefined, 'gas close-up commanded');
  });
});
