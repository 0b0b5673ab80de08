/**
 * FS-02 (stuck and drift), FS-04 (graded voting over diverse channels: probes A/B over Modbus, the
 * BMS over Modbus, the thermal camera over MQTT) and FS-07 (the BMS is neither required nor a
 * veto) against the real simulator and agent. The decision records the agent journals with each
 * VOTE (FS-35) say which channels voted and why.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { A1, alarm, B1, decision as decisionOf, DETECTION_RIG, incident, readUpTo, rigPerTest, samples, transitions } from '../support/site-helpers.js';
import type { SiteRig } from '../support/site-rig.js';

const site = rigPerTest(DETECTION_RIG);
const start = site.start;
afterEach(site.close);

interface Decision { rack: number; level: string; rule: string; validCount: number; reasons: string[]; channels: { channel: string; value: number | null; status: string; valid: boolean }[] }
const BMS1 = 'rack.1.temperature.max';
/** The decision record of `rack` journaled with the first `event` (VOTE.S1, VOTE.S3, ...). */
const decision = (r: SiteRig, event: string, rack = 1) => decisionOf<Decision>(r, event, rack);
const ch = (d: Decision, c: string) => d.channels.find((x) => x.channel === c)!;
/** Wait for stage ≥ n; on a timeout the error says what the agent last read and raised. */
async function stageAtLeast(r: SiteRig, n: number): Promise<void> {
  try {
    await r.until(() => r.stage() >= n || undefined, `stage ${n}`);
  } catch (err) {
    const last = (name: string, device: string) => JSON.stringify(samples(r, name, device).slice(-2).map((p) => [p.v, p.q, Date.now() - p.t]));
    throw new Error(`${(err as Error).message}; stage ${r.stage()}, A ${last(A1, 'fire-br1')}, B ${last(B1, 'fire-br1')}, BMS ${last(BMS1, 'bms-br1')}, camera ${last('camera.region.1.temperature.max', 'cam-br1')}, alarms ${Object.keys(r.zone().stateDoc().alarms).join(',')}`);
  }
}

describe('FS-02 stuck and drift detection (site)', () => {
  it('FS-02 probe A held at 31.40 °C while probe B and the BMS vary ±1.5 °C → A suspect-stuck (trouble), excluded: the rack votes on B and the BMS', async () => {
    // the 10 min window is a site setting; 4 s here so the test takes seconds
    const r = await start({ camera: false, fire: { detection: { stuckWindowMs: 4000 } } });
    await r.force(A1, 31.4);
    await r.fault({ kind: 'dither', device: 'fire-br1', point: B1, center: 31, amplitude: 1.5, periodS: 2 });
    await r.fault({ kind: 'dither', device: 'bms-br1', point: BMS1, center: 31, amplitude: 1.5, periodS: 3 });
    const t0 = Date.now();
    await r.until(() => (alarm(r, 'channel:1/probeA')?.active && alarm(r, 'channel:1/probeA')!.text.endsWith('suspect_stuck')) || undefined, 'probe A suspect-stuck');
    const a = alarm(r, 'channel:1/probeA')!;
    expect(a).toMatchObject({ class: 'trouble', priority: 3, text: 'rack 1 probeA: suspect_stuck' });
    expect(a.at - t0).toBeGreaterThanOrEqual(4000);
    // the moving peers are fine; rack 2, flat but with flat peers, is not suspect
    // (a transient `stale` of a 100 ms poll on a loaded machine is another trouble, not this one)
    for (const id of ['channel:1/probeB', 'channel:1/bms', 'channel:2/probeA', 'channel:2/probeB', 'channel:2/bms']) expect(alarm(r, id)?.text ?? '').not.toContain('suspect_stuck');
    expect(r.stage()).toBe(-1);
    // B and the BMS hot: voted 2ooN on the two valid channels, A listed as excluded
    await r.force(B1, 85);
    await r.force(BMS1, 85, 'bms-br1');
    await stageAtLeast(r, 3);
    const d = decision(r, 'VOTE.S3');
    expect(d.rule).toBe('2ooN');
    expect(d.validCount).toBe(2);
    expect(ch(d, 'probeA')).toMatchObject({ status: 'suspect_stuck', valid: false, value: 31.4 });
    expect(ch(d, 'probeB')).toMatchObject({ valid: true, value: 85 });
    expect(ch(d, 'bms')).toMatchObject({ valid: true, value: 85 });
  });

  it('FS-02 probe A offset by +15 °C → discrepancy trouble after the discrepancy time (±1 s); no stage on A alone', async () => {
    const r = await start({ fire: { detection: { discrepancyMs: 3000 } } });
    await r.fault({ kind: 'offset', device: 'fire-br1', point: A1, delta: 15 });
    await r.until(() => alarm(r, 'channel:1/probeA')?.active || undefined, 'discrepancy trouble');
    const a = alarm(r, 'channel:1/probeA')!;
    expect(a).toMatchObject({ class: 'trouble', priority: 3, text: 'rack 1 probeA: discrepant' });
    const first = samples(r, A1).find((p) => typeof p.v === 'number' && p.v >= 35)!;
    expect(a.at - first.t).toBeGreaterThanOrEqual(3000);
    expect(a.at - first.t).toBeLessThanOrEqual(3000 + 1000 + 1000); // ±1 s, +1 s for a loaded machine
    for (const id of ['channel:1/probeB', 'channel:1/bms', 'channel:1/camera']) expect(alarm(r, id)?.text ?? '').not.toContain('discrepant');
    await readUpTo(r, a.at + 1500);
    expect(r.stage()).toBe(-1);
    expect(incident(r)).toBe('idle');
    expect(r.writes()).toEqual([]);
  });
});

describe('FS-04 graded voting with diverse channels (site)', () => {
  it('FS-04 (probe A 82, probe B 50, camera 83) → stage 3 voted 2ooN on a Modbus probe and the MQTT camera, also when the camera reads 83 after stage 1 latched', async () => {
    const r = await start();
    await r.force(A1, 82);
    await r.force(B1, 50);
    // the probes arrive first: 82 corroborated by 50 is stage 1; the curtain is commanded (10 s to come down)
    await stageAtLeast(r, 1);
    expect(r.stage()).toBe(1);
    // then the camera region over rack 1 reads the rack surface (25 °C) + 58 °C; the BMS unchanged.
    // The curtain is not down yet: the camera's view still counts (it is occluded by design only once down)
    await r.fault({ kind: 'bms-camera-disagree', room: 'BR1', rack: 1, bmsDeltaC: 0, cameraDeltaC: 58 });
    await stageAtLeast(r, 3);
    expect(r.writes()).toContain('rack.1.curtain.down.cmd=1');
    const d = decision(r, 'VOTE.S3');
    expect(d.rule).toBe('2ooN');
    expect(ch(d, 'probeA')).toMatchObject({ valid: true, value: 82 });
    expect(ch(d, 'probeB')).toMatchObject({ valid: true, value: 50 });
    expect(ch(d, 'camera').valid).toBe(true);
    expect(ch(d, 'camera').value).toBeGreaterThanOrEqual(80);
    await r.until(() => r.writes().includes('rack.1.nozzle.release.cmd=1') || undefined, 'rack 1 nozzle released');
    expect(r.writes()).not.toContain('rack.2.nozzle.release.cmd=1');
    expect(r.sim.truth({ devices: false }).rooms[0]!.racks[0]!.nozzle.cmd).toBe(true);
  });

  it('FS-04 (82, 45, 45) with no smoke, off-gas or rise → watch plus a discrepancy trouble on the hot channel; no stage until smoke corroborates', async () => {
    const r = await start({ camera: false, fire: { detection: { discrepancyMs: 3000 } } });
    await r.force(A1, 82);
    await r.force(B1, 45);
    await r.force(BMS1, 45, 'bms-br1');
    await r.until(() => alarm(r, 'channel:1/probeA')?.active || undefined, 'discrepancy trouble');
    expect(alarm(r, 'channel:1/probeA')!.text).toBe('rack 1 probeA: discrepant');
    await readUpTo(r, alarm(r, 'channel:1/probeA')!.at + 1000);
    expect(r.stage()).toBe(-1);
    expect(incident(r)).toBe('watch');
    expect(alarm(r, 'watch')).toMatchObject({ class: 'alarm', priority: 2, active: true });
    expect(r.writes().filter((w) => w.includes('breaker') || w.includes('nozzle') || w.includes('curtain'))).toEqual([]);
    // the same single hot channel with rack smoke is corroborated: stage 1
    await r.force('rack.1.smoke', true);
    await stageAtLeast(r, 1);
    expect(r.stage()).toBe(1);
    expect(decision(r, 'VOTE.S1').rule).toBe('1ooN+smoke');
    await r.until(() => r.writes().includes('rack.1.breaker.open.cmd=1') || undefined, 'isolation written');
  });

  it('FS-04 (bad, 82, 83) → stage 3 on the two valid channels', async () => {
    const r = await start({ camera: false });
    await r.force(A1, 900);
    await r.force(B1, 82);
    await r.force(BMS1, 83, 'bms-br1');
    await stageAtLeast(r, 3);
    const d = decision(r, 'VOTE.S3');
    expect(d).toMatchObject({ rule: '2ooN', validCount: 2 });
    expect(ch(d, 'probeA')).toMatchObject({ valid: false, status: 'out_of_range' });
    expect(alarm(r, 'degraded:1')).toBeUndefined();
  });

  it('FS-04 (bad, bad, 83) → stage 3 on 1oo1 plus a "degraded voting" supervisory', async () => {
    const r = await start({ camera: false });
    await r.force(A1, 900);
    await r.force(B1, -40);
    await r.force(BMS1, 83, 'bms-br1');
    await stageAtLeast(r, 3);
    const d = decision(r, 'VOTE.S3');
    expect(d).toMatchObject({ rule: '1oo1', validCount: 1 });
    expect(d.reasons).toContain('degraded voting (1oo1)');
    expect(ch(d, 'bms')).toMatchObject({ valid: true, value: 83 });
    expect(alarm(r, 'degraded:1')).toMatchObject({ class: 'supervisory', priority: 2, text: 'rack 1: degraded voting (1oo1)' });
    expect(alarm(r, 'channel:1/probeA')?.text).toBe('rack 1 probeA: out_of_range');
    expect(alarm(r, 'channel:1/probeB')?.text).toBe('rack 1 probeB: out_of_range');
  });

  it('FS-04 BMS 90 °C while the probes read 30 °C and the camera the rack (bms-camera-disagree) → watch and a BMS discrepancy trouble; no stage', async () => {
    const r = await start({ fire: { detection: { discrepancyMs: 3000 } } });
    await r.force(A1, 30);
    await r.force(B1, 30);
    await r.fault({ kind: 'bms-camera-disagree', room: 'BR1', rack: 1, bmsDeltaC: 65 });
    await r.until(() => alarm(r, 'channel:1/bms')?.active || undefined, 'BMS discrepancy');
    expect(alarm(r, 'channel:1/bms')!.text).toBe('rack 1 bms: discrepant');
    const bms = samples(r, BMS1, 'bms-br1');
    expect(bms[bms.length - 1]!.v).toBeGreaterThanOrEqual(89);
    await readUpTo(r, alarm(r, 'channel:1/bms')!.at + 1000);
    expect(r.stage()).toBe(-1);
    expect(incident(r)).toBe('watch');
    expect(alarm(r, 'watch')).toMatchObject({ priority: 2, active: true });
    // the plant is cool: the BMS disagrees with the truth, and the agent did not isolate
    expect(r.sim.truth({ devices: false }).rooms[0]!.racks[0]!.temperatureC).toBeLessThan(35);
    expect(r.writes().filter((w) => w.includes('breaker') || w.includes('nozzle'))).toEqual([]);
  });

  it('FS-04 BMS 62 °C plus rack smoke → stage 1', async () => {
    const r = await start();
    await r.force(BMS1, 62, 'bms-br1');
    await r.force('rack.1.smoke', true);
    await stageAtLeast(r, 1);
    expect(r.stage()).toBe(1);
    const d = decision(r, 'VOTE.S1');
    expect(d.rule).toBe('1ooN+smoke');
    expect(ch(d, 'bms')).toMatchObject({ valid: true, value: 62 });
    await r.until(() => r.sim.truth({ devices: false }).rooms[0]!.racks[0]!.breaker.active || undefined, 'rack 1 breaker open in the plant');
    expect(r.writes()).toContain('rack.1.curtain.down.cmd=1');
  });

  it('FS-04 the fire I/O gateway offline (all probes lost at once) → probe troubles; the BMS and the camera still vote stage 3', async () => {
    const r = await start();
    await r.fault({ kind: 'offline', device: 'fire-br1', mode: 'silent' });
    await r.until(() => (alarm(r, 'channel:1/probeA')?.active && alarm(r, 'channel:2/probeB')?.active) || undefined, 'probe troubles');
    expect(r.stage()).toBe(-1);
    await r.fault({ kind: 'bms-camera-disagree', room: 'BR1', rack: 1, bmsDeltaC: 57, cameraDeltaC: 58 });
    await stageAtLeast(r, 3);
    const d = decision(r, 'VOTE.S3');
    expect(d).toMatchObject({ rule: '2ooN', validCount: 2 });
    expect(d.channels.filter((c) => c.valid).map((c) => c.channel).sort()).toEqual(['bms', 'camera']);
    expect(ch(d, 'probeA').valid).toBe(false);
  });
});

describe('FS-07 the BMS is neither required nor a veto (site)', () => {
  it('FS-07 BMS online reporting 30 °C and OK while both probes read 70 °C → stage 2', async () => {
    const r = await start();
    await r.force(BMS1, 30, 'bms-br1');
    await r.force(A1, 70);
    await r.force(B1, 70);
    await stageAtLeast(r, 2);
    expect(r.stage()).toBe(2);
    const d = decision(r, 'VOTE.S2');
    expect(d.rule).toBe('2ooN');
    expect(ch(d, 'bms')).toMatchObject({ valid: true, value: 30 });
    expect(alarm(r, 'channel:1/bms')).toBeUndefined();
    await r.until(() => r.writes().includes('rack.1.breaker.open.cmd=1') || undefined, 'isolation written');
  });

  it('FS-07 BMS lost during stage 1 → trouble, stage 1 kept, stage 3 still reached on the probes', async () => {
    const r = await start();
    await r.force(A1, 62);
    await r.force(B1, 55);
    await stageAtLeast(r, 1);
    expect(decision(r, 'VOTE.S1').rule).toBe('1ooN+second channel');
    await r.fault({ kind: 'offline', device: 'bms-br1', mode: 'refuse' });
    await r.until(() => alarm(r, 'channel:1/bms')?.active || undefined, 'BMS trouble');
    expect(alarm(r, 'channel:1/bms')!.class).toBe('trouble');
    expect(r.stage()).toBe(1);
    await r.force(A1, 85);
    await r.force(B1, 85);
    await stageAtLeast(r, 3);
    const d = decision(r, 'VOTE.S3');
    expect(d.rule).toBe('2ooN');
    expect(ch(d, 'bms').valid).toBe(false);
    expect(r.writes().filter((w) => w.includes('breaker.open.cmd=0'))).toEqual([]);
  });
});
