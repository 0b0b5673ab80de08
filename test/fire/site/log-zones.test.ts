/**
 * The event log (FS-35) and zone independence (FS-38) against the real simulator and the real
 * edge agent. The journal is read from disk and verified with the same function recovery uses
 * (`verifyJournalFile`); what reached the broker is what a server would receive.
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal, verifyJournalFile, type JournalRecord } from '../../../agent/fire/journal.js';
import type { Effect } from '../../../statecharts/zone/types.js';
import { startSiteRig, type SiteRig } from '../support/site-rig.js';

let rig: SiteRig | null = null;
afterEach(async () => { await rig?.close(); rig = null; });

/**
 * 400 ms fast poll: the voter's staleness limit is 3 poll periods of wall time (1.2 s), so a stall of
 * the shared, loaded machine (load averages above 20 were seen on 2 cores) does not invalidate every
 * channel and reset the on-delay; at the rig's 100 ms it did.
 */
const POLL = { fast: 400, normal: 1000, slow: 5000 };
const PRE_DISCHARGE_MS = 500;

type Channel = { channel: string; value: number | null; quality: string; status: string; valid: boolean; ageMs: number | null };
const channelsOf = (rec: JournalRecord, rack = 1) => (rec.data.decisions as { rack: number; channels: Channel[] }[]).find((d) => d.rack === rack)!.channels;

/** Any method and path on the agent's local control socket. */
function rawLocal(socket: string, method: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
    req.on('error', reject);
    req.end();
  });
}

describe('FS-35 event log content and integrity', () => {
  it('FS-35 after a run to stage 3 with operator commands → the hash chain verifies; stage records carry the voted channels with value, quality and age; transitions, actuations and commands are journaled and published with who and when; nothing deletes it', async () => {
    rig = await startSiteRig({ pollGroups: POLL, racks: 2, fire: { timings: { nozzlePreDischargeMs: PRE_DISCHARGE_MS, t3Ms: 600_000 } }, site: { actuators: { curtainS: 0.3, nozzleS: 0.3 } } });
    const r = rig;
    await r.operational('z1');
    // Stage by stage: 62 → stage 1, 70 → stage 2, 85 → stage 3 (nozzle released).
    for (const [c, stage] of [[62, 1], [70, 2], [85, 3]] as const) {
      await r.force('rack.1.probe.a.temperature', c);
      await r.force('rack.1.probe.b.temperature', c);
      await r.until(() => r.stage() >= stage, `stage ${stage}`);
    }
    await r.until(() => r.journal().some((x) => x.type === 'outcome' && x.data.actuator === 'rack.1.nozzle' && x.data.ok === true) || undefined, 'nozzle discharge confirmed');
    // Operator operations: acknowledge, silence, and a reset refused (operator role, zone hot).
    expect((await r.command('ack', { target: 'stage3', actors: [{ user: 'ann', role: 'operator' }] })).ok).toBe(true);
    expect((await r.command('silence', { actors: [{ user: 'bob', role: 'operator' }] })).ok).toBe(true);
    const reset = await r.command('reset', { actors: [{ user: 'ann', role: 'operator' }], reason: 'try' });
    expect(reset.ok).toBe(false);
    await r.until(() => r.sub.events.filter((e) => e.kind === 'command.audit').length >= 3 || undefined, 'command audit on the broker');

    // Integrity: the file on disk verifies end to end and is what the journal API returns.
    const file = join(r.dataDir, 'fire', 'zones', 'z1', 'journal.jsonl');
    const v = verifyJournalFile(file);
    expect(v.problem).toBeNull();
    expect(v.ok).toBe(true);
    const recs = v.records;
    expect(recs.length).toBeGreaterThan(20);
    expect(recs.map((x) => x.seq)).toEqual(recs.map((_, i) => i + 1));
    for (let i = 1; i < recs.length; i++) {
      expect(recs[i]!.prevHash).toBe(recs[i - 1]!.hash);
      expect(recs[i]!.ts).toBeGreaterThanOrEqual(recs[i - 1]!.ts);
      expect(recs[i]!.mono).toBeGreaterThanOrEqual(recs[i - 1]!.mono);
    }
    expect(new Set(recs.map((x) => x.configHash)).size).toBe(1);
    expect(recs[0]!.configHash).toBe(r.zone().stateDoc().configHash);
    expect(verifyJournalFile(join(r.dataDir, 'fire', 'site', 'journal.jsonl')).ok).toBe(true);

    // Start, link restore and alarm transitions are in it too.
    expect(recs[0]).toMatchObject({ type: 'zone.start', data: { why: 'start' } });
    expect(recs.some((x) => x.type === 'transition' && x.data.event === 'LINK.UP')).toBe(true);
    const annunciations = recs.filter((x) => x.type === 'alarm' && x.data.active === true).map((x) => `${String(x.data.alarmId)}:P${String(x.data.priority)}`);
    expect(annunciations).toEqual(expect.arrayContaining(['stage1:P1', 'stage2:P1', 'stage3:P1', 'discharge:rack.1.nozzle:P1']));
    // Stage transitions with the voted inputs at decision time.
    const stages = recs.filter((x) => x.type === 'transition' && /^VOTE\.S[123]$/.test(String(x.data.event)));
    expect(stages.map((x) => [x.data.event, x.data.stageFrom, x.data.stage])).toEqual([['VOTE.S1', -1, 1], ['VOTE.S2', 1, 2], ['VOTE.S3', 2, 3]]);
    const s3 = channelsOf(stages[2]!);
    expect(s3.map((c) => c.channel)).toEqual(['probeA', 'probeB', 'bms', 'camera']);
    expect(s3.find((c) => c.channel === 'probeA')).toMatchObject({ value: 85, quality: 'good', valid: true });
    expect(s3.find((c) => c.channel === 'probeB')).toMatchObject({ value: 85, quality: 'good', valid: true });
    const bms = s3.find((c) => c.channel === 'bms')!;
    const truth = r.sim.truth({ devices: false }).rooms[0]!.racks[0]!;
    expect(typeof bms.value).toBe('number');
    expect(Math.abs(bms.value! - truth.temperatureC)).toBeLessThan(15); // the BMS reads the cells, not the forced probes
    expect(['good', 'uncertain', 'bad']).toContain(s3.find((c) => c.channel === 'camera')!.quality);
    for (const c of s3) if (c.valid) expect(c.ageMs).toBeGreaterThanOrEqual(0);

    // Actuations: intent before outcome, the same intent on the broker with its latency.
    const intent = recs.find((x) => x.type === 'intent' && x.data.actuator === 'rack.1.nozzle')!;
    const outcome = recs.find((x) => x.type === 'outcome' && x.data.intentId === intent.data.intentId)!;
    expect(intent.seq).toBeLessThan(outcome.seq);
    expect(outcome.data).toMatchObject({ ok: true, result: 'confirmed' });
    expect(r.writes()).toContain('rack.1.nozzle.release.cmd=1');
    await r.until(() => r.sub.events.some((e) => e.kind === 'fire.actuation' && e.data?.intentId === intent.data.intentId && e.data?.ok === true) || undefined, 'nozzle actuation on the broker');
    const act = r.sub.events.find((e) => e.kind === 'fire.actuation' && e.data?.intentId === intent.data.intentId && e.data?.ok === true)!;
    expect(typeof act.data!.latencyMs).toBe('number');
    // Every stage transition of the journal reached the broker, pointing at its journal record.
    const pubSeqs = r.sub.events.filter((e) => e.kind === 'fire.transition' && e.zone === 'z1').map((e) => e.data?.journalSeq);
    for (const s of stages) expect(pubSeqs).toContain(s.seq);

    // Commands: who, when, the reason and the outcome, journaled and published.
    const accepted = recs.filter((x) => x.type === 'command.accepted');
    expect(accepted.map((x) => [x.data.kind, (x.data.actors as { user: string }[]).map((a) => a.user).join('+')])).toEqual([['ack', 'ann'], ['silence', 'bob'], ['reset', 'ann']]);
    for (const a of accepted) expect(a.data.issuedAt).toEqual(expect.any(Number));
    const resetResult = recs.find((x) => x.type === 'command.result' && x.data.kind === 'reset')!;
    expect(resetResult.data).toMatchObject({ ok: false, status: 'rejected', reason: 'reset needs the admin role' });
    const audit = r.sub.events.filter((e) => e.kind === 'command.audit').map((e) => e.data as { kind: string; actors?: { user: string }[]; issuedAt?: number });
    expect(audit.filter((a) => a.actors).map((a) => `${a.kind}:${a.actors![0]!.user}`)).toEqual(['ack:ann', 'silence:bob', 'reset:ann']);

    // Append-only: no API deletes from it (the class has no such method; the local socket has no such route).
    expect(Object.getOwnPropertyNames(Journal.prototype).filter((n) => /delete|remove|truncate|clear|drop/i.test(n))).toEqual([]);
    const socket = join(r.dataDir, 'fire', 'fire.sock');
    expect(await rawLocal(socket, 'DELETE', '/journal?zone=z1')).toBe(404);
    expect(await rawLocal(socket, 'POST', '/journal?zone=z1')).toBe(404);
    expect(verifyJournalFile(file).records.length).toBeGreaterThanOrEqual(recs.length);
  });
});

describe('FS-38 zone independence', () => {
  it('FS-38 an exception inside zone 1\'s action handler while zone 2 escalates → zone 2 keeps its timings, zone 1 restarts through recovery with a trouble and isolates', async () => {
    rig = await startSiteRig({ pollGroups: POLL, zones: 2, racks: 1, camera: false, fire: { timings: { nozzlePreDischargeMs: PRE_DISCHARGE_MS, t3Ms: 600_000 } }, site: { actuators: { curtainS: 0.3, nozzleS: 0.3 } } });
    const r = rig;
    await r.operational('z1');
    await r.operational('z2');
    const z1 = r.zone('z1');
    const z2 = r.zone('z2');
    // Fault injection: the first command effect of zone 1 throws inside its action handler.
    let thrown = 0;
    const handler = z1 as unknown as { effect(e: Effect): void };
    const original = handler.effect.bind(z1);
    handler.effect = (e: Effect) => {
      if (e.type === 'cmd' && thrown === 0) { thrown++; throw new Error('injected fault in zone 1 action handler'); }
      original(e);
    };
    await r.force('rack.1.probe.a.temperature', 85, 'fire-br2');
    await r.force('rack.1.probe.b.temperature', 85, 'fire-br2');
    await r.force('rack.1.probe.a.temperature', 65);
    await r.force('rack.1.probe.b.temperature', 65);
    const br2 = () => r.sim.sim.writes.list().filter((w) => w.device === 'fire-br2' && w.point !== undefined).map((w) => `${w.point}=${w.value === true || w.value === 1 ? 1 : 0}`);
    await r.until(() => z2.journal.readAll().some((x) => x.type === 'outcome' && x.data.actuator === 'rack.1.nozzle' && x.data.ok === true) || undefined, 'zone 2 nozzle discharge confirmed', 30_000);
    await r.until(() => (z1.crashes === 1 && !z1.isRecovering && z1.stateDoc().stage >= 1 && r.writes().includes('rack.1.breaker.open.cmd=1')) || undefined, 'zone 1 recovered and isolated', 30_000);

    expect(thrown).toBe(1);
    // Zone 2: untouched, on its own timeline — the nozzle released one pre-discharge after stage 3.
    expect(z2.crashes).toBe(0);
    const j2 = z2.journal.readAll();
    expect(j2.filter((x) => x.type === 'zone.crash' || (x.type === 'zone.start' && x.data.why === 'crash'))).toEqual([]);
    const s3 = j2.find((x) => x.type === 'transition' && x.data.event === 'VOTE.S3')!;
    const release = j2.find((x) => x.type === 'intent' && x.data.actuator === 'rack.1.nozzle')!;
    // The pre-discharge deadline runs from the vote's time (the transition record is written just after it).
    const votedAt = (s3.data.decisions as { at: number }[])[0]!.at;
    expect(release.ts - votedAt).toBeGreaterThanOrEqual(PRE_DISCHARGE_MS - 5); // node timers may fire ~1 ms early
    expect(release.ts - votedAt).toBeLessThan(PRE_DISCHARGE_MS + 3000); // wall-clock timer lag on a loaded machine, never the other zone's crash
    expect(br2()).toEqual(expect.arrayContaining(['rack.1.breaker.open.cmd=1', 'rack.1.nozzle.release.cmd=1']));
    expect(z2.stateDoc().stage).toBe(3);
    // Zone 1: crash journaled, restarted through recovery, stage kept, a trouble raised and published.
    const rec1 = z1.journal.readAll();
    const j1 = rec1.map((x) => (x.type === 'zone.start' ? `zone.start:${String(x.data.why)}` : x.type));
    const crash = j1.indexOf('zone.crash');
    const restart = j1.indexOf('zone.start:crash');
    expect(crash).toBeGreaterThan(0);
    expect(rec1[crash]!.data.error).toBe('injected fault in zone 1 action handler');
    expect(restart).toBeGreaterThan(crash);
    // The isolation was commanded by the restarted zone: its intent comes after the restart.
    expect(rec1.findIndex((x) => x.type === 'intent' && x.data.actuator === 'rack.1.breaker')).toBeGreaterThan(restart);
    expect(z1.stateDoc().alarms.restarted).toMatchObject({ class: 'trouble', active: true });
    await r.until(() => r.sub.events.some((e) => e.zone === 'z1' && e.kind === 'alarm' && e.data?.trouble === 'zone.crash' && e.severity === 'P1') || undefined, 'zone 1 crash trouble on the broker');
    expect(r.sub.events.some((e) => e.zone === 'z2' && e.kind === 'alarm' && (e.data?.trouble === 'zone.crash' || e.data?.alarmId === 'restarted'))).toBe(false);
    // Zone 1's plant never saw zone 2's commands and vice versa.
    expect(r.writes().filter((w) => w.includes('nozzle'))).toEqual([]);
  });

  it('FS-38 zone 1\'s fire I/O answers with Modbus exceptions while zone 2 escalates → zone 2 isolates (affected rack first), the troubles and the silence are zone 1\'s only', async () => {
    rig = await startSiteRig({ pollGroups: POLL, zones: 2, racks: 2, camera: false, site: { actuators: { curtainS: 0.3 } } });
    const r = rig;
    await r.operational('z1');
    await r.operational('z2');
    // Every request for zone 1's probe registers fails (slave device failure).
    await r.fault({ kind: 'exception', device: 'fire-br1', table: 'input', from: 100, to: 107 });
    await r.force('rack.2.probe.a.temperature', 65, 'fire-br2');
    await r.force('rack.2.probe.b.temperature', 65, 'fire-br2');
    await r.until(() => r.zone('z2').stateDoc().stage >= 1, 'zone 2 stage 1');
    const br2 = () => r.sim.sim.writes.list().filter((w) => w.device === 'fire-br2' && w.point !== undefined).map((w) => `${w.point}=${w.value === true || w.value === 1 ? 1 : 0}`);
    await r.until(() => (br2().includes('rack.2.breaker.open.cmd=1') && br2().includes('rack.1.breaker.open.cmd=1')) || undefined, 'zone 2 isolated');
    const z1Active = () => Object.entries(r.zone('z1').stateDoc().alarms).filter(([, a]) => (a as { active: boolean }).active).map(([id]) => id);
    await r.until(() => z1Active().includes('channel:1/probeA') || undefined, 'zone 1 probe trouble');
    const w2 = br2();
    expect(w2.indexOf('rack.2.breaker.open.cmd=1')).toBeLessThan(w2.indexOf('rack.1.breaker.open.cmd=1')); // affected rack first
    expect(r.zone('z2').stateDoc().affectedRacks).toEqual([2]);
    // Zone 1: no valid probe, troubles, no stage and no output; zone 2: no trouble from zone 1's device.
    expect(z1Active()).toEqual(expect.arrayContaining(['channel:1/probeA', 'channel:1/probeB', 'channel:2/probeA', 'channel:2/probeB']));
    expect(r.zone('z1').stateDoc().stage).toBe(-1);
    expect(r.writes()).toEqual([]);
    // (a loaded machine may show zone 2 a stale sample of its own; zone 1's bad reads never reach it)
    const z2Troubles = Object.values(r.zone('z2').stateDoc().alarms).filter((a) => (a as { class: string }).class === 'trouble').map((a) => (a as { text: string }).text);
    expect(z2Troubles.filter((t) => !/: stale$/.test(t))).toEqual([]);
    expect(r.zone('z1').crashes + r.zone('z2').crashes).toBe(0);
  });
});
