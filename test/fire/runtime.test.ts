import { afterEach, describe, expect, it } from 'vitest';
import { verifyJournalFile } from '../../agent/fire/journal.js';
import { join } from 'node:path';
import { fireConfig, startRig, writesOf, type Rig } from './support/rig.js';

let rig: Rig | null = null;
afterEach(async () => { await rig?.close(); rig = null; });

describe('fire runtime against the fire I/O plant over Modbus TCP', () => {
  it('FS-05 off-gas only → isolation within 1 s, journal shows intent then feedback, zone in s0, no nozzle, water or gas command', async () => {
    rig = await startRig({ racks: 2 });
    const r = rig;
    r.plant.set('rack.1.probe.a.temperature', 35);
    r.plant.set('rack.1.probe.b.temperature', 35);
    r.plant.set('rack.1.offgas', true);
    await r.until(() => r.stage() === 0 && r.journal().some((x) => x.type === 'outcome' && x.data.ok === true && String(x.data.actuator).includes('breaker')), 'isolation confirmed');
    const j = r.journal();
    const s0 = j.find((x) => x.type === 'transition' && x.data.stage === 0)!;
    const firstIntent = j.find((x) => x.type === 'intent' && String(x.data.actuator).includes('breaker'))!;
    const outcome = j.find((x) => x.type === 'outcome' && x.data.intentId === firstIntent.data.intentId && x.data.ok === true)!;
    expect(firstIntent.seq).toBeLessThan(outcome.seq);
    // Decided on the very event that entered s0 (same machine time), written before anything else happened.
    const decided = j.find((x) => x.type === 'decision.intent' && x.data.intentId === firstIntent.data.intentId)!;
    const s0Note = j.find((x) => x.type === 'note.stage' && x.data.to === 0)!;
    expect(decided.data.at).toBe(s0Note.data.at);
    expect(j.slice(s0.seq, firstIntent.seq - 1).every((x) => x.type !== 'transition' && x.type !== 'outcome')).toBe(true);
    const w = writesOf(r.plant);
    expect(w.some((x) => /breaker\.open\.cmd=1/.test(x))).toBe(true);
    expect(w.some((x) => /nozzle|spray|gas\.release/.test(x))).toBe(false);
    r.plant.set('rack.1.offgas', false);
    await new Promise((res) => setTimeout(res, 300));
    expect(r.stage()).toBe(0);
  });

  it('FS-12 isolate with the contactor welded → isolation failed after 2 s, exactly one retry, upstream breaker commanded, P1', async () => {
    rig = await startRig({ racks: 2, config: fireConfig(2, { feedback: { breakerMs: 2000 } }) });
    const r = rig;
    r.plant.faults.welded = new Set([1]);
    r.plant.set('rack.1.offgas', true);
    await r.until(() => r.plant.writes.some((x) => x.point === 'room.upstream.breaker.open.cmd' && x.value), 'upstream breaker commanded');
    await r.until(() => r.journal().some((x) => x.type === 'outcome' && x.data.actuator === 'room.upstream.breaker' && x.data.ok === true), 'upstream confirmed');
    const intents = r.journal().filter((x) => x.type === 'intent' && x.data.actuator === 'rack.1.breaker');
    expect(intents.map((x) => x.data.attempt)).toEqual([1, 2]);
    expect(r.pub.events.some((e) => e.kind === 'alarm' && e.severity === 'P1' && /isolation failed/.test(e.message))).toBe(true);
  });

  it('FS-09/FS-12 rack first: an 85 °C step on rack 5 → its breaker and curtain are decided, journaled and written before the rest of the zone', async () => {
    rig = await startRig({ racks: 6, config: fireConfig(6, { feedback: { breakerMs: 10000 } }) });
    const r = rig;
    r.plant.set('rack.5.probe.a.temperature', 85);
    r.plant.set('rack.5.probe.b.temperature', 86);
    await r.until(() => r.stage() >= 3 && r.plant.writes.filter((w) => /breaker\.open\.cmd/.test(w.point)).length >= 6, 'stage 3, every breaker written');
    const isolation = /^(rack\.\d+\.(breaker|curtain)|room\.charge\.inhibit)$/;
    const decided = r.journal().filter((x) => x.type === 'decision.intent' && isolation.test(String(x.data.actuator))).map((x) => String(x.data.actuator));
    const written = r.journal().filter((x) => x.type === 'intent' && isolation.test(String(x.data.actuator))).map((x) => String(x.data.actuator));
    // the watch pre-alarm may stop charging first; after it, the burning rack leads
    const fromS3 = (l: string[]) => l.slice(l.indexOf('rack.5.breaker'));
    for (const l of [decided, written]) {
      expect(fromS3(l).slice(0, 2)).toEqual(['rack.5.breaker', 'rack.5.curtain']);
      expect(l.filter((a) => /breaker/.test(a)).slice(1)).toEqual(['rack.1.breaker', 'rack.2.breaker', 'rack.3.breaker', 'rack.4.breaker', 'rack.6.breaker']);
      expect(l.indexOf('rack.5.curtain')).toBeLessThan(l.indexOf('rack.1.breaker'));
    }
    const plant = r.plant.writes.filter((w) => /^rack\.\d+\.(breaker\.open|curtain\.down)\.cmd$/.test(w.point)).map((w) => w.point);
    expect(plant.slice(0, 3)).toEqual(['rack.5.breaker.open.cmd', 'rack.5.curtain.down.cmd', 'rack.1.breaker.open.cmd']);
  });

  it('FS-35 after a scenario the hash chain verifies and the stage record carries the voted channel values and quality', async () => {
    rig = await startRig({ racks: 2 });
    const r = rig;
    r.plant.set('rack.2.probe.a.temperature', 85);
    r.plant.set('rack.2.probe.b.temperature', 86);
    await r.until(() => r.stage() >= 3, 'stage 3');
    const v = verifyJournalFile(join(r.dir, 'zones', 'z1', 'journal.jsonl'));
    expect(v.ok).toBe(true);
    const t = v.records.find((x) => x.type === 'transition' && Number(x.data.stage) >= 3)!;
    const decisions = t.data.decisions as { channels?: { channel: string; value: number; quality: string }[] }[];
    expect(JSON.stringify(decisions)).toMatch(/85/);
    expect(JSON.stringify(decisions)).toMatch(/good/);
    expect(r.pub.states.get('z1')?.stage).toBeGreaterThanOrEqual(3);
    expect(r.pub.events.filter((e) => e.kind === 'fire.transition').length).toBeGreaterThan(0);
  });
});
