/**
 * The thermal camera as a voting channel over MQTT (FS-01 validity, FS-04 diverse channels) against
 * the real simulator's camera and the real agent: malformed payloads, the camera offline (MQTT last
 * will) and the camera occluded (FIRE-SAFETY.md §4 #8, #10).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { A1, alarm, B1, decision as decisionOf, DETECTION_RIG, incident, readUpTo, rigPerTest, samples } from '../support/site-helpers.js';
import type { SiteRig } from '../support/site-rig.js';

const site = rigPerTest(DETECTION_RIG);
const start = site.start;
afterEach(site.close);

interface Decision { rack: number; rule: string; validCount: number; channels: { channel: string; status: string; valid: boolean }[] }
const CAM1 = 'camera.region.1.temperature.max';
const decision = (r: SiteRig, event: string, rack = 1) => decisionOf<Decision>(r, event, rack);
const cam = (d: Decision) => d.channels.find((c) => c.channel === 'camera')!;

describe('FS-01/FS-04 the thermal camera channel (site)', () => {
  it('FS-01 camera malformed payloads (truncated, NaN, wrong types, oversize) → camera channel bad, trouble; it clears when good payloads return; never a stage. FS-26: the 3rd trouble within a minute flags it chattering and holds its return to normal', async () => {
    const r = await start();
    const modes = ['truncated', 'nan', 'wrong_types', 'oversize'] as const;
    for (const [i, mode] of modes.entries()) {
      const t0 = Date.now();
      const f = await r.fault({ kind: 'camera', camera: 'cam-br1', mode });
      await r.until(() => alarm(r, 'channel:1/camera')?.active || undefined, `camera trouble (${mode})`);
      expect(alarm(r, 'channel:1/camera')).toMatchObject({ class: 'trouble', priority: 3, text: 'rack 1 camera: bad' });
      // the agent read the camera as bad with no value, never as 0 °C
      await r.until(() => samples(r, CAM1, 'cam-br1').some((p) => p.t >= t0 && p.q !== 0) || undefined, `bad camera points published (${mode})`);
      const bad = samples(r, CAM1, 'cam-br1').filter((p) => p.t >= t0 && p.q !== 0);
      expect(bad.every((p) => p.v === null && p.q === 2)).toBe(true);
      r.sim.clearFault(f);
      if (i < 2) await r.until(() => alarm(r, 'channel:1/camera')?.active === false || undefined, `camera back (${mode})`);
      else {
        // 3 activations within 60 s: chattering; the return to normal is held (60 s off-delay)
        const tGood = Date.now();
        await r.until(() => samples(r, CAM1, 'cam-br1').some((p) => p.t >= tGood && p.q === 0) || undefined, `camera read good again (${mode})`);
        await readUpTo(r, Date.now() + 1000);
        expect(alarm(r, 'channel:1/camera')).toMatchObject({ active: true, chattering: true });
      }
    }
    // announced once: the re-activations while unacknowledged were not announced again
    const raised = r.sub.events.filter((e) => e.kind === 'alarm' && e.data?.alarmId === 'channel:1/camera' && e.data.active === true);
    expect(raised).toHaveLength(1);
    await r.until(() => samples(r, CAM1, 'cam-br1').at(-1)?.q === 0 || undefined, 'camera read good again');
    expect(r.stage()).toBe(-1);
    expect(r.writes().filter((w) => /breaker|curtain|nozzle/.test(w))).toEqual([]);
  });

  it('FS-01 camera frozen (repeats its last message: same timestamp, same sequence) → repeated-sequence trouble, excluded: its 83 °C and probe A 82 °C are no stage 3', async () => {
    const r = await start();
    // the camera sees rack 1 at 83 °C (surface 25 + 58): a single hot channel, a pre-alarm
    await r.fault({ kind: 'bms-camera-disagree', room: 'BR1', rack: 1, bmsDeltaC: 0, cameraDeltaC: 58 });
    await r.until(() => samples(r, CAM1, 'cam-br1').some((p) => p.v === 83) || undefined, 'camera reads 83');
    await r.fault({ kind: 'camera', camera: 'cam-br1', mode: 'frozen' });
    await r.until(() => alarm(r, 'channel:1/camera')?.active || undefined, 'camera trouble');
    expect(alarm(r, 'channel:1/camera')!.text).toMatch(/rack 1 camera: (repeated_seq|stale)/);
    // the agent did receive the same sample (same source time) again
    await r.until(() => {
      const ts = samples(r, CAM1, 'cam-br1').filter((p) => p.v === 83).map((p) => p.t);
      return ts.length - new Set(ts).size > 0 || undefined;
    }, 'the same camera sample received again');
    expect(r.stage()).toBe(-1);
    await r.force(A1, 82);
    const t0 = Date.now();
    await readUpTo(r, t0 + 3000);
    // counted, 82 + 83 would be 2ooN ≥ 80 °C; excluded, probe A alone is a pre-alarm
    expect(r.stage()).toBe(-1);
    expect(incident(r)).toBe('watch');
    expect(r.writes().filter((w) => /breaker|curtain|nozzle/.test(w))).toEqual([]);
  });

  it('FS-04 camera offline (MQTT last will) → camera stale, trouble; the probes still vote stage 3 without it', async () => {
    const r = await start();
    await readUpTo(r, Date.now() + 1200, CAM1, 'cam-br1');
    await r.fault({ kind: 'camera', camera: 'cam-br1', mode: 'offline' });
    await r.until(() => alarm(r, 'channel:1/camera')?.active || undefined, 'camera trouble');
    expect(alarm(r, 'channel:1/camera')!.text).toBe('rack 1 camera: stale');
    expect(alarm(r, 'channel:2/camera')?.active).toBe(true);
    expect(r.stage()).toBe(-1);
    await r.force(A1, 85);
    await r.force(B1, 85);
    await r.until(() => r.stage() >= 3 || undefined, 'stage 3');
    const d = decision(r, 'VOTE.S3');
    expect(d.rule).toBe('2ooN');
    expect(cam(d)).toMatchObject({ valid: false, status: 'stale' });
  });

  it('FS-04 camera occluded once the curtain is down: the under-reading camera raises no trouble, is excluded by design, and nothing de-escalates', async () => {
    const r = await start({ fire: { detection: { discrepancyMs: 2000 } }, site: { actuators: { curtainS: 0.5 } } });
    await r.force(A1, 62);
    await r.force(B1, 55);
    await r.until(() => r.stage() >= 1 || undefined, 'stage 1');
    await r.until(() => r.sim.truth({ devices: false }).rooms[0]!.racks[0]!.curtain.active || undefined, 'curtain down in the plant');
    await r.fault({ kind: 'camera', camera: 'cam-br1', mode: 'occluded' });
    const t0 = Date.now();
    // the camera reads near ambient while the probes read 62/55: a discrepancy if it were voting
    await readUpTo(r, t0 + 2000 + 2500, CAM1, 'cam-br1');
    expect(samples(r, CAM1, 'cam-br1').at(-1)!.v).toBeLessThan(35);
    expect(alarm(r, 'channel:1/camera')).toBeUndefined();
    expect(r.stage()).toBe(1);
    await r.force(A1, 85);
    await r.force(B1, 85);
    await r.until(() => r.stage() >= 3 || undefined, 'stage 3');
    expect(cam(decision(r, 'VOTE.S3'))).toMatchObject({ valid: false, status: 'occluded' });
    expect(r.writes().filter((w) => w.includes('breaker.open.cmd=0') || w.includes('curtain.down.cmd=0'))).toEqual([]);
  });
});
