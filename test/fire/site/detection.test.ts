/**
 * FS-01 (point validity gate) and FS-03 (on-delay and deadband) against the real simulator and the
 * real agent (test/fire/support/site-rig.ts). The plant's readings are held or disturbed with the
 * simulator's faults (stuck = `force`, exception, offline, spike, dither); what the agent read is
 * taken from its own telemetry (source timestamps), what it decided from the zone's state, journal
 * and the coil writes the simulator received.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { A1, alarm, B1, DETECTION_RIG, incident, readUpTo, rigPerTest, samples, transitions, type Sample } from '../support/site-helpers.js';
import type { SiteRig } from '../support/site-rig.js';

const site = rigPerTest(DETECTION_RIG);
const start = site.start;
afterEach(site.close);

const breakerWrites = (r: SiteRig) => r.writes().filter((w) => w.includes('breaker.open.cmd=1'));
/** Start of the last run of samples ≥ `min` (source time), or null if the last sample is below. */
function runStart(xs: Sample[], min: number, before = Infinity): number | null {
  let start: number | null = null;
  for (const p of xs) {
    if (p.t > before) break;
    if (p.q === 0 && typeof p.v === 'number' && p.v >= min) start ??= p.t; else start = null;
  }
  return start;
}

describe('FS-01 point validity gate (site)', () => {
  it('FS-01 900 °C on probe A → out-of-range trouble, excluded from voting: with probe B at 85 °C no stage (only watch)', async () => {
    const r = await start();
    await r.force(A1, 900);
    await r.force(B1, 85);
    const t0 = Date.now();
    await r.until(() => alarm(r, 'channel:1/probeA')?.active || undefined, 'probe A trouble');
    const a = alarm(r, 'channel:1/probeA')!;
    expect(a).toMatchObject({ class: 'trouble', priority: 3, rack: 1 });
    expect(a.text).toContain('out_of_range');
    // the agent read 900 as bad out_of_range (never as a number), and B at 85 for well over the on-delay
    await readUpTo(r, t0 + 3000, B1);
    expect(samples(r, A1).filter((p) => p.t >= t0 + 500).every((p) => p.q === 2 && p.v === null)).toBe(true);
    // counted as a vote, 900 and 85 would be 2ooN ≥ 80 °C = stage 3; excluded, B alone is a pre-alarm
    expect(r.stage()).toBe(-1);
    expect(incident(r)).toBe('watch');
    expect(alarm(r, 'watch')).toMatchObject({ priority: 2, active: true });
    expect(breakerWrites(r)).toEqual([]);
    expect(r.writes().filter((w) => w.includes('nozzle'))).toEqual([]);
  });

  it('FS-01 85 °C behind a Modbus exception on 2 of 3 channels → bad, troubles, no stage 3; once readable, the same 85 °C is stage 3', async () => {
    const r = await start({ camera: false }); // channels: probe A, probe B, BMS
    // rack 1 probes are input registers 100 and 101 of fire-br1; the block read fails with exception 4
    const ex = await r.fault({ kind: 'exception', device: 'fire-br1', table: 'input', from: 100, to: 101 });
    await r.force(A1, 85);
    await r.force(B1, 85);
    const t0 = Date.now();
    await r.until(() => (alarm(r, 'channel:1/probeA')?.active && alarm(r, 'channel:1/probeB')?.active) || undefined, 'probe troubles');
    expect(alarm(r, 'channel:1/probeA')!.text).toMatch(/bad|stale/);
    await readUpTo(r, t0 + 3000, 'rack.1.temperature.max', 'bms-br1');
    const bad = samples(r, A1).filter((p) => p.t >= t0 + 500);
    expect(bad.length).toBeGreaterThan(0);
    expect(bad.every((p) => p.q !== 0 && p.v === null)).toBe(true);
    expect(r.stage()).toBe(-1);
    expect(r.writes()).toEqual([]);
    // the gate, not the values, held it: the exception cleared, the 85 °C pair is voted 2ooN → stage 3
    r.sim.clearFault(ex);
    await r.until(() => r.stage() >= 3 || undefined, 'stage 3');
    const s3 = transitions(r).find((j) => j.data.event === 'VOTE.S3')!;
    const d = (s3.data.decisions as { rack: number; rule: string; channels: { channel: string; valid: boolean; value: number }[] }[]).find((x) => x.rack === 1)!;
    expect(d.rule).toBe('2ooN');
    expect(d.channels.filter((c) => c.valid && c.value >= 80).map((c) => c.channel).sort()).toEqual(['probeA', 'probeB']);
  });

  it('FS-01 a silent BMS (Modbus timeout): its last 25 °C ages past 3 × poll → `stale` trouble, then bad, excluded; rack 2 too', async () => {
    const r = await start();
    await readUpTo(r, Date.now() + 300, 'rack.1.temperature.max', 'bms-br1');
    await r.fault({ kind: 'offline', device: 'bms-br1', mode: 'silent' });
    await r.until(() => alarm(r, 'channel:1/bms')?.active || undefined, 'BMS trouble');
    const good = samples(r, 'rack.1.temperature.max', 'bms-br1').filter((p) => p.q === 0);
    const lastGood = good[good.length - 1]!;
    const a = alarm(r, 'channel:1/bms')!;
    expect(a.text).toBe('rack 1 bms: stale');
    expect(a).toMatchObject({ class: 'trouble', priority: 3 });
    expect(lastGood.v).toBeLessThan(30);
    // FS-01: stale after 3 × the poll period (capped at 5 s), the trouble within 1 s of it (+1 s for a loaded machine)
    const gaps = good.slice(-11).map((p, i, xs) => (i ? p.t - xs[i - 1]!.t : 0)).slice(1).sort((x, y) => x - y);
    const limit = Math.min(3 * gaps[Math.floor(gaps.length / 2)]!, 5000);
    expect(a.at - lastGood.t).toBeGreaterThanOrEqual(limit * 0.8);
    expect(a.at - lastGood.t).toBeLessThanOrEqual(limit + 2000);
    await r.until(() => alarm(r, 'channel:2/bms')?.active || undefined, 'rack 2 BMS trouble');
    // the driver's timeout later arrives as bad points: never a value, never 0 °C
    await r.until(() => samples(r, 'rack.1.temperature.max', 'bms-br1').some((p) => p.q === 2) || undefined, 'BMS bad (timeout)');
    expect(samples(r, 'rack.1.temperature.max', 'bms-br1').filter((p) => p.q !== 0).every((p) => p.v === null || p.v === lastGood.v)).toBe(true);
    expect(r.stage()).toBe(-1);
    expect(incident(r)).toBe('idle');
  });
});

describe('FS-03 on-delay and deadband (site)', () => {
  it('FS-03 a single 75 °C sample between 40 °C samples on both probes → nothing', async () => {
    const r = await start();
    await r.force(A1, 40);
    await r.force(B1, 40);
    await readUpTo(r, Date.now() + 300);
    // the spike is the next read of each probe, then the 40 °C hold shows again
    await r.fault({ kind: 'spike', device: 'fire-br1', point: A1, value: 75, samples: 1 });
    await r.fault({ kind: 'spike', device: 'fire-br1', point: B1, value: 75, samples: 1 });
    await r.until(() => (samples(r, A1).some((p) => p.v === 75) && samples(r, B1).some((p) => p.v === 75)) || undefined, 'the agent read the spikes');
    const spikeT = Math.max(...[A1, B1].map((n) => samples(r, n).find((p) => p.v === 75)!.t));
    await readUpTo(r, spikeT + 2000 + 1000);
    expect(samples(r, A1).filter((p) => p.v === 75)).toHaveLength(1);
    expect(samples(r, A1).filter((p) => p.t > spikeT).every((p) => p.v === 40)).toBe(true);
    expect(r.stage()).toBe(-1);
    expect(incident(r)).toBe('idle');
    expect(alarm(r, 'watch')).toBeUndefined();
    expect(r.writes()).toEqual([]);
  });

  it('FS-03 60.0 °C on both probes for less than the on-delay, then 59 °C → no isolation, a pre-alarm; 60.0 °C held past the on-delay → stage 1', async () => {
    const r = await start({ fire: { timings: { onDelayMs: 2000 } } });
    // 60.0 °C for 1 s, 59.0 °C for 1 s (sim time), repeated: each plateau is shorter than the 2 s on-delay
    await r.fault({ kind: 'dither', device: 'fire-br1', point: A1, center: 59.5, amplitude: 0.5, periodS: 2 });
    await r.fault({ kind: 'dither', device: 'fire-br1', point: B1, center: 59.5, amplitude: 0.5, periodS: 2 });
    const t0 = Date.now();
    await readUpTo(r, t0 + 5000);
    await r.force(A1, 59);
    await r.force(B1, 59);
    await readUpTo(r, Date.now() + 1500);
    const seen = samples(r, A1).filter((p) => p.t >= t0);
    expect(seen.some((p) => p.v === 60)).toBe(true);
    expect(seen.some((p) => p.v === 59)).toBe(true);
    expect(r.stage()).toBe(-1);
    expect(breakerWrites(r)).toEqual([]);
    // the pre-alarm is logged: watch entered (P2), stop-charge asked, journaled
    expect(incident(r)).toBe('watch');
    expect(alarm(r, 'watch')).toMatchObject({ class: 'alarm', priority: 2 });
    expect(r.journal().some((j) => j.type === 'note.watch')).toBe(true);
    // 60.0 °C is inclusive: held on both probes past the on-delay → stage 1, not before the on-delay
    const tHold = Date.now();
    await r.force(A1, 60);
    await r.force(B1, 60);
    await r.until(() => r.stage() >= 1 || undefined, 'stage 1');
    expect(r.stage()).toBe(1);
    const s1 = transitions(r).find((j) => j.data.event === 'VOTE.S1')!;
    const held = Math.max(...[A1, B1].map((n) => runStart(samples(r, n), 60, s1.ts)!));
    expect(s1.ts - held).toBeGreaterThanOrEqual(2000);
    await r.until(() => breakerWrites(r).includes('rack.1.breaker.open.cmd=1') || undefined, 'isolation written');
  });

  it('FS-03 59.5↔60.5 °C toggling every 0.5 s on both probes → one pre-alarm, no chatter, no stage 1; sustained ≥ 60 °C for the on-delay → stage 1', async () => {
    const r = await start({ fire: { timings: { onDelayMs: 2000 } } });
    await r.fault({ kind: 'dither', device: 'fire-br1', point: A1, center: 60, amplitude: 0.5, periodS: 1 });
    await r.fault({ kind: 'dither', device: 'fire-br1', point: B1, center: 60, amplitude: 0.5, periodS: 1 });
    const t0 = Date.now();
    await readUpTo(r, t0 + 6000);
    const seen = samples(r, A1).filter((p) => p.t >= t0 && typeof p.v === 'number');
    const toggles = seen.filter((p, i) => i > 0 && p.v !== seen[i - 1]!.v).length;
    expect(toggles).toBeGreaterThanOrEqual(8);
    expect(r.stage()).toBe(-1);
    expect(breakerWrites(r)).toEqual([]);
    // one pre-alarm: watch entered once, never cleared and re-entered, annunciated once
    const watchIn = transitions(r).filter((j) => j.data.event === 'VOTE.WATCH');
    expect(watchIn).toHaveLength(1);
    expect(transitions(r).filter((j) => j.data.event === 'VOTE.CLEAR')).toEqual([]);
    const watchAnnounced = () => r.sub.events.filter((e) => (e.data as { alarmId?: string } | undefined)?.alarmId === 'watch' && (e.data as { active?: boolean }).active === true);
    await r.until(() => watchAnnounced().length > 0 || undefined, 'the watch annunciation on the broker');
    expect(watchAnnounced()).toHaveLength(1);
    // the signal settles at 60.5 °C: stage 1 once it has held for the full on-delay
    const tHold = Date.now();
    await r.force(A1, 60.5);
    await r.force(B1, 60.5);
    await r.until(() => r.stage() >= 1 || undefined, 'stage 1');
    const s1 = transitions(r).find((j) => j.data.event === 'VOTE.S1')!;
    const held = Math.max(...[A1, B1].map((n) => runStart(samples(r, n), 60, s1.ts)!));
    expect(s1.ts - held).toBeGreaterThanOrEqual(2000);
  });
});
