/**
 * FS-30 (write-ahead journal), FS-31 (restart mid-sequence: recover, then reconcile with the field)
 * and FS-32 (edge autonomy under a network partition) with the whole edge agent against the
 * simulated site (hardware-sim BR1 over Modbus TCP and MQTT, real Mosquitto). The agent is stopped
 * and started again on the same data dir (the SIGKILL suite, test/fire/sigkill.test.ts, kills the
 * fire host with SIGKILL at 50 points); what the plant received and did is read from the
 * simulator's write log and true state.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { verifyJournalFile, type JournalRecord } from '../../../agent/fire/journal.js';
import type { WriteEntry } from '../../../hardware-sim/index.js';
import { dedup } from '../../agent/helpers.js';
import { recovered } from '../support/site-helpers.js';
import { startSiteRig, type SiteRig, type SiteRigOptions } from '../support/site-rig.js';

let rig: SiteRig | null = null;
let stopWatch: (() => void) | null = null;
afterEach(async () => { stopWatch?.(); stopWatch = null; await rig?.close(); rig = null; });

const FD = { user: 'chief', role: 'firedept' as const };
const ANN = { user: 'ann', role: 'operator' as const };

/** Short sequence timings; T3/T4 long unless a test shortens them, so the zone stays where the test wants it. */
const opts = (o: { t3Ms?: number; t4Ms?: number; actuators?: Record<string, number> } = {}): SiteRigOptions => ({
  racks: 2,
  fire: { timings: { onDelayMs: 500, nozzlePreDischargeMs: 500, t3Ms: o.t3Ms ?? 600_000, t4Ms: o.t4Ms ?? 600_000, gasDelayMs: 10_000 } },
  site: { actuators: { breakerS: 0.2, curtainS: 0.5, nozzleS: 0.3, sprayS: 0.3, pumpS: 0.3, gasS: 0.3, hvacS: 0.3, dampersS: 0.3, ...(o.actuators ?? {}) } },
});

interface AlarmView { class: string; priority: number; text: string; active: boolean; acked: boolean; latched: boolean }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const doc = (r: SiteRig) => r.zone().stateDoc();
const alarm = (r: SiteRig, id: string) => doc(r).alarms[id] as AlarmView | undefined;
const actuator = (r: SiteRig, a: string) => doc(r).actuators[a] as { op: string; status: string } | undefined;
const room = (r: SiteRig) => r.sim.truth({ devices: false }).rooms[0]!;
const zoneDir = (r: SiteRig) => join(r.dataDir, 'fire', 'zones', 'z1');
/** The journal as it is on disk (also while the agent is stopped). */
const onDisk = (r: SiteRig): JournalRecord[] => verifyJournalFile(join(zoneDir(r), 'journal.jsonl')).records;
const lastStart = (recs: JournalRecord[]) => [...recs].reverse().find((x) => x.type === 'zone.start')!;
const after = (recs: JournalRecord[], rec: JournalRecord) => recs.filter((x) => x.seq > rec.seq);
const open = (recs: JournalRecord[], a: string) => {
  const i = recs.filter((x) => x.type === 'intent' && x.data.actuator === a).pop();
  return i && !recs.some((x) => x.seq > i.seq && x.data.intentId === i.data.intentId && (x.type === 'outcome' || x.type === 'intent.recovered')) ? i : undefined;
};

async function probes(r: SiteRig, a: number, b: number): Promise<void> {
  await r.force('rack.1.probe.a.temperature', a);
  await r.force('rack.1.probe.b.temperature', b);
}

/**
 * The simulator's true plant sampled every 20 ms (physics ticks every 50 ms): re-closes of any
 * rack breaker after it opened, and closed → discharging edges of the nozzle valves and the gas valve.
 */
function watchTruth(r: SiteRig): { reclosed: number; nozzle: number[]; gas: number } {
  const w = { reclosed: 0, nozzle: [0, 0], gas: 0 };
  let last: { b: boolean[]; n: boolean[]; g: boolean } | null = null;
  const t = setInterval(() => {
    const rm = room(r);
    const now = { b: rm.racks.map((k) => k.breaker.active), n: rm.racks.map((k) => k.nozzle.active), g: rm.actuators.gas!.active };
    now.b.forEach((b, i) => { if (last?.b[i] && !b) w.reclosed++; });
    now.n.forEach((n, i) => { if (n && !(last?.n[i] ?? false)) w.nozzle[i]!++; });
    if (now.g && !(last?.g ?? false)) w.gas++;
    last = now;
  }, 20);
  stopWatch = () => clearInterval(t);
  return w;
}

/** The agent's stage 3: both probes of rack 1 at 85/86 °C until the nozzle release is confirmed. */
async function toStage3(r: SiteRig): Promise<void> {
  await probes(r, 85, 86);
  await r.until(() => (r.stage() >= 3 && actuator(r, 'rack.1.nozzle')?.status === 'confirmed') || undefined, 'stage 3 with the nozzle release confirmed');
}

describe('FS-30 write-ahead journal (whole agent, simulator)', () => {
  it('FS-30 every intent is on disk before its output reaches the simulator; a stop between intent and outcome → "in-flight command recovered" and the outcome follows the field', async () => {
    // A slow curtain (4 s) and nozzle valve (2 s): the agent is stopped while each is in flight.
    rig = await startSiteRig(opts({ actuators: { curtainS: 4, nozzleS: 2 } }));
    const r = rig;
    const file = join(zoneDir(r), 'journal.jsonl');
    // At the instant each coil write reaches the simulator, read the journal file from disk.
    const seen: { w: WriteEntry; intents: JournalRecord[] }[] = [];
    const log = r.sim.sim.writes;
    const add = log.add.bind(log);
    log.add = (e) => {
      const w = add(e);
      if (w.device === 'fire-br1' && w.point) {
        const recs = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as JournalRecord);
        seen.push({ w, intents: recs.filter((x) => x.type === 'intent') });
      }
      return w;
    };
    const truth = watchTruth(r);
    await recovered(r, { docFlag: true });

    // Stage 1; stop while the curtain is moving (intent written, outcome not yet).
    await probes(r, 65, 65);
    await r.until(() => r.writes().includes('rack.1.curtain.down.cmd=1') || undefined, 'curtain commanded');
    await r.stopAgent();
    expect(open(onDisk(r), 'rack.1.curtain'), 'curtain intent without an outcome at the stop').toBeDefined();
    await r.restartAgent();
    const curtainDownAtRestart = room(r).racks[0]!.curtain.active;
    await recovered(r, { docFlag: true });
    let recs = onDisk(r);
    const rc = after(recs, lastStart(recs)).find((x) => x.type === 'intent.recovered' && x.data.actuator === 'rack.1.curtain')!;
    expect(rc, 'in-flight curtain recovered').toBeDefined();
    if (!curtainDownAtRestart) expect(String(rc.data.field)).toMatch(/^not confirmed/);
    await r.until(() => (actuator(r, 'rack.1.curtain')?.status === 'confirmed' && room(r).racks[0]!.curtain.active) || undefined, 'curtain confirmed by the field after the restart');
    await r.until(() => r.sub.events.some((e) => e.kind === 'fire.actuation' && /in-flight command recovered: rack\.1\.curtain down/.test(e.message)) || undefined, 'recovery event at the subscriber');

    // Stage 3; stop while the nozzle valve is opening: on restart it is only watched, never written again.
    await probes(r, 85, 86);
    await r.until(() => r.writes().includes('rack.1.nozzle.release.cmd=1') || undefined, 'nozzle released');
    await r.stopAgent();
    expect(open(onDisk(r), 'rack.1.nozzle'), 'nozzle intent without an outcome at the stop').toBeDefined();
    await r.restartAgent();
    const dischargedAtRestart = room(r).racks[0]!.nozzle.feedback;
    await recovered(r, { docFlag: true });
    await r.until(() => (actuator(r, 'rack.1.nozzle')?.status === 'confirmed') || undefined, 'nozzle release confirmed after the restart');
    recs = onDisk(r);
    const since = after(recs, lastStart(recs));
    const rn = since.find((x) => x.type === 'intent.recovered' && x.data.actuator === 'rack.1.nozzle')!;
    expect(rn, 'in-flight nozzle release recovered').toBeDefined();
    if (!dischargedAtRestart) expect(String(rn.data.field)).toMatch(/^not confirmed/);
    expect(since.some((x) => x.type === 'verify' && x.data.actuator === 'rack.1.nozzle'), 'nozzle watched, not re-released').toBe(true);
    expect(since.some((x) => x.type === 'outcome' && x.data.actuator === 'rack.1.nozzle' && x.data.ok === true && x.data.verifyOnly === true)).toBe(true);
    expect(since.some((x) => x.type === 'intent' && x.data.actuator === 'rack.1.nozzle'), 'no second nozzle intent').toBe(false);
    expect(r.writes().filter((w) => w === 'rack.1.nozzle.release.cmd=1')).toHaveLength(1);
    expect(truth.nozzle, 'true nozzle discharges per rack').toEqual([1, 0]);
    expect(truth.reclosed).toBe(0);

    // Write-ahead: every coil write found its own intent (same point and value) already on disk,
    // journaled no later than the write arrived.
    log.add = add;
    expect(seen.length).toBeGreaterThanOrEqual(6);
    const count = new Map<string, number>();
    for (const { w, intents } of seen) {
      const v = w.value === true || w.value === 1;
      const k = `${w.point}=${v}`;
      count.set(k, (count.get(k) ?? 0) + 1);
      const mine = intents.filter((i) => i.data.point === w.point && i.data.value === v);
      expect(mine.length, `intents on disk for ${k} when write #${count.get(k)} arrived`).toBeGreaterThanOrEqual(count.get(k)!);
      expect(mine[count.get(k)! - 1]!.ts, `intent of ${k} journaled before the write`).toBeLessThanOrEqual(Date.parse(w.ts));
    }
    expect([...count.keys()]).toEqual(expect.arrayContaining(['rack.1.breaker.open.cmd=true', 'rack.1.curtain.down.cmd=true', 'rack.1.nozzle.release.cmd=true']));
  }, 60_000);
});

describe('FS-31 restart mid-sequence (whole agent, simulator)', () => {
  it('FS-31 stopped at stage 3 after the discharge and restarted on the same data dir → restored from the snapshot + field: stage kept, no second discharge, breakers stay open in the simulator, P1 "restarted during incident"', async () => {
    rig = await startSiteRig(opts());
    const r = rig;
    const truth = watchTruth(r);
    await recovered(r, { docFlag: true });
    await toStage3(r);
    await r.until(() => room(r).racks.every((k) => k.breaker.active) || undefined, 'every breaker of the zone open in the plant');
    const writesBefore = r.writes().length;
    await r.stopAgent();
    await sleep(500); // the plant keeps its state while the agent is down
    await r.restartAgent();
    await recovered(r, { docFlag: true });
    const recs = onDisk(r);
    const start = lastStart(recs);
    expect(start.data).toMatchObject({ why: 'start', restored: true });
    expect(after(recs, start).find((x) => x.type === 'recovery.field')!.data.fieldState).toMatchObject({ 'rack.1.nozzle': 'release', 'rack.1.breaker': 'open', 'rack.2.breaker': 'open' });
    expect(r.stage()).toBe(3);
    expect(alarm(r, 'restarted')).toMatchObject({ priority: 1, active: true });
    await r.until(() => r.sub.events.some((e) => e.kind === 'alarm' && e.severity === 'P1' && /agent restarted during incident/.test(e.message)) || undefined, 'restart trouble at the subscriber');
    await sleep(1000); // a second poll period and more: a wrong reconcile would have written by now
    const since = r.writes().slice(writesBefore);
    expect(since.filter((w) => /nozzle\.release\.cmd=1|gas\.release\.cmd=1/.test(w)), 'a discharge after the restart').toEqual([]);
    expect(since.filter((w) => /breaker\.open\.cmd=0/.test(w)), 'a breaker closed after the restart').toEqual([]);
    expect(truth.nozzle).toEqual([1, 0]);
    expect(truth.reclosed).toBe(0);
    expect(room(r).racks.map((k) => k.breaker.active)).toEqual([true, true]);
    expect(r.stage()).toBe(3);
  }, 40_000);

  it('FS-31 snapshot deleted while water flows → stage 4 reconstructed from the field with a latched P1; no second discharge; with the journal gone too the field alone gives stage 4', async () => {
    rig = await startSiteRig(opts({ t3Ms: 1000 }));
    const r = rig;
    const truth = watchTruth(r);
    await recovered(r, { docFlag: true });
    await toStage3(r);
    await r.until(() => (r.stage() >= 4 && actuator(r, 'rack.1.spray')?.status === 'confirmed' && room(r).racks[0]!.spray.active) || undefined, 'stage 4 with water flowing');
    for (const wipe of ['snapshot', 'journal'] as const) {
      await r.stopAgent();
      if (wipe === 'snapshot') rmSync(join(zoneDir(r), 'snapshot.json'));
      else rmSync(zoneDir(r), { recursive: true, force: true });
      expect(existsSync(join(zoneDir(r), 'snapshot.json'))).toBe(false);
      await r.restartAgent();
      await recovered(r, { docFlag: true });
      const recs = onDisk(r);
      const start = lastStart(recs);
      expect(start.data.restored, `${wipe} gone: nothing restored`).toBe(false);
      const field = after(recs, start).find((x) => x.type === 'recovery.field')!;
      expect(field.data.fieldStage, `${wipe} gone: stage the field proves`).toBe(4);
      expect(field.data.evidence).toMatchObject({ 'rack.1.spray': 'flowing', 'rack.1.nozzle': 'discharged', 'rack.1.breaker': 'open' });
      if (wipe === 'journal') expect(field.data.evidence).not.toHaveProperty('journal');
      expect(r.stage(), `${wipe} gone: stage after the restart`).toBe(4);
      expect(alarm(r, 'reconstructed'), `${wipe} gone: P1 state reconstructed`).toMatchObject({ priority: 1, active: true, latched: true });
      await r.until(() => r.sub.events.some((e) => e.kind === 'alarm' && e.severity === 'P1' && /state reconstructed from the field/.test(e.message) && e.ts >= start.ts) || undefined, 'reconstructed P1 at the subscriber');
    }
    await sleep(500);
    expect(r.writes().filter((w) => w === 'rack.1.nozzle.release.cmd=1'), 'nozzle releases').toHaveLength(1);
    expect(r.writes().filter((w) => /breaker\.open\.cmd=0|spray\.cmd=0/.test(w)), 'a breaker closed or water stopped').toEqual([]);
    expect(truth.nozzle).toEqual([1, 0]);
    expect(truth.reclosed).toBe(0);
    expect(room(r).racks[0]!.spray.active, 'water still flowing in the simulator').toBe(true);
  }, 60_000);

  it('FS-31 stopped 2 s into the 10 s gas countdown → on restart the pre-discharge re-sounds and gas is released ≥ 10 s after it (simulator clock), once', async () => {
    rig = await startSiteRig(opts({ t3Ms: 1000, t4Ms: 1000 }));
    const r = rig;
    const truth = watchTruth(r);
    await recovered(r, { docFlag: true });
    await toStage3(r);
    const releaseAt = await r.until(() => doc(r).deadlines.gasRelease, 'gas countdown running', 20_000);
    await sleep(2000);
    await r.stopAgent();
    expect(r.writes(), 'gas released before the stop').not.toContain('room.gas.release.cmd=1');
    const n = r.writeLog().length;
    await r.restartAgent();
    await r.until(() => room(r).gasPressure || undefined, 'gas discharged', 20_000);
    // Agent clock (the journal): released ≥ 10 s after the recovery, so later than the original deadline.
    const recs = onDisk(r);
    const recovery = after(recs, lastStart(recs)).find((x) => x.type === 'recovery.field')!;
    const intent = recs.filter((x) => x.type === 'intent' && x.data.actuator === 'room.gas');
    expect(intent).toHaveLength(1);
    expect(intent[0]!.ts - recovery.ts, 'warning after the restart, agent ms').toBeGreaterThanOrEqual(10_000);
    expect(intent[0]!.ts - (releaseAt - 10_000), 'whole warning, agent ms').toBeGreaterThanOrEqual(12_000);
    // Simulator clock (its write log): the re-sounded pre-discharge, then the one release ≥ 10 s later.
    const log = r.writeLog();
    const resound = log.slice(n).find((w) => w.point === 'room.predischarge.cmd' && w.value)!;
    expect(resound, 'pre-discharge re-sounded after the restart').toBeDefined();
    const release = log.filter((w) => w.point === 'room.gas.release.cmd' && w.value);
    expect(release).toHaveLength(1);
    expect(log.indexOf(resound)).toBeLessThan(log.indexOf(release[0]!));
    // Sim time at ×1 is stamped at the last 50 ms physics tick: 0.5 s of tolerance.
    expect(release[0]!.simTimeS - resound.simTimeS, 'warning after the restart, sim s').toBeGreaterThanOrEqual(10 - 0.5);
    expect(truth.gas).toBe(1);
    expect(r.stage()).toBe(5);
  }, 60_000);
});

describe('FS-32 edge autonomy under a broker outage (whole agent, simulator, Mosquitto)', () => {
  it('FS-32 broker stopped → link trouble; the runaway is handled at the edge; a local command works; events of the partition reach the subscriber, gap-free, when the broker returns', async () => {
    rig = await startSiteRig(opts());
    const r = rig;
    await recovered(r, { docFlag: true });
    await r.until(() => (r.agent.linkState === 'up' && !alarm(r, 'link')?.active) || undefined, 'link up');
    await r.broker.stop();
    const outageAt = Date.now(); // nothing stamped from here on can reach the subscriber before the broker returns
    await r.until(() => (alarm(r, 'link')?.active && r.agent.linkState !== 'up') || undefined, 'link trouble');
    expect(alarm(r, 'link')).toMatchObject({ class: 'trouble', priority: 3, active: true });
    // The runaway with the broker gone: isolation, curtain and nozzles in the plant.
    await toStage3(r);
    await r.until(() => { const k = room(r).racks; return (k.every((x) => x.breaker.active) && k[0]!.curtain.active && k[0]!.nozzleDischargedAtS !== null) || undefined; }, 'isolated, curtain down, nozzle discharged in the plant');
    const w = r.writes();
    expect(w.indexOf('rack.1.breaker.open.cmd=1')).toBeLessThan(w.indexOf('rack.1.nozzle.release.cmd=1'));
    // Human authority stays local: the fire department takes over at the edge console.
    const ho = await r.command('fd.handover', { actors: [FD], reason: 'fire department on site, broker down' });
    expect(ho).toMatchObject({ ok: true, status: 'done' });
    expect(doc(r).fdControl).toMatchObject({ actors: [FD] });
    const ack = await r.command('ack', { actors: [ANN], target: 'link' });
    expect(ack).toMatchObject({ ok: true, status: 'done' });
    expect(alarm(r, 'link')).toMatchObject({ active: true, acked: true });
    const receivedDuring = r.sub.events.filter((e) => e.ts >= outageAt).length;
    expect(receivedDuring, 'nothing reaches the subscriber while the broker is down').toBe(0);
    const restoredAt = Date.now();
    await r.broker.start();
    await r.until(() => (!alarm(r, 'link')) || (alarm(r, 'link')!.active === false) || undefined, 'link trouble cleared', 20_000);
    const during = (e: { ts: number }) => e.ts >= outageAt && e.ts < restoredAt;
    await r.until(() => {
      const ev = r.sub.events.filter(during);
      return (ev.some((e) => e.kind === 'fire.transition' && (e.data as { stage?: number }).stage === 3)
        && ev.some((e) => e.kind === 'fire.actuation' && /rack\.1\.nozzle release: confirmed/.test(e.message))
        && ev.some((e) => e.kind === 'alarm' && /server link partitioned/.test(e.message))
        && ev.some((e) => e.kind === 'fire.transition' && /fire department in control/.test(e.message))) || undefined;
    }, 'events of the partition at the subscriber', 20_000);
    // Gap-free: the agent's event stream reaches the subscriber as 1..N with nothing missing.
    const seqs = () => dedup(r.sub.events).map((e) => e.seq).sort((a, b) => a - b);
    await r.until(() => seqs().every((s, i) => s === i + 1) || undefined, 'the event stream at the subscriber is 1..N without a gap');
    expect(new Set(r.sub.events.map((e) => e.epoch)).size, 'one agent epoch').toBe(1);
    expect(seqs().length).toBeGreaterThan(0);
    expect(r.writes().filter((x) => x === 'rack.1.nozzle.release.cmd=1')).toHaveLength(1);
  }, 60_000);
});
