/**
 * The thermal camera as a voting channel over MQTT (FS-01 validity, FS-04 diverse channels) against
 * the real simulator's camera and the real agent: malformed payloads, the camera offline (MQTT last
 * will) and the camera occluded (FIRE-SAFETY.md §4 #8, #10).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSiteRig, type SiteRig, type SiteRigOptions } from '../support/site-rig.js';
import type { AlarmRecord } from '../../../statecharts/zone/types.js';

let rig: SiteRig | null = null;
afterEach(async () => { await rig?.close(); rig = null; });

interface Sample { d: string; n: string; v: unknown; t: number; q: number }
interface Decision { rack: number; rule: string; validCount: number; channels: { channel: string; status: string; valid: boolean }[] }
const A1 = 'rack.1.probe.a.temperature';
const B1 = 'rack.1.probe.b.temperature';
const CAM1 = 'camera.region.1.temperature.max';

async function start(o: SiteRigOptions = {}): Promise<SiteRig> {
  // fire points polled every 250 ms (stale after 750 ms): a 100 ms poll goes transiently stale on a loaded 2-core machine
  rig = await startSiteRig({ racks: 2, pollGroups: { fast: 250, normal: 500, slow: 5000 }, ...o });
  const r = rig;
  await r.until(() => (r.zone().stateDoc().state as { life?: string } | null)?.life === 'operational' || undefined, 'zone operational');
  return r;
}
const samples = (r: SiteRig, name: string, device = 'fire-br1'): Sample[] =>
  r.sub.telemetry.flatMap((b) => b.points as Sample[]).filter((p) => p.d === device && p.n === name);
const readUpTo = (r: SiteRig, t: number, name = A1, device = 'fire-br1') =>
  r.until(() => samples(r, name, device).some((p) => p.t >= t) || undefined, `agent read ${name} up to ${new Date(t).toISOString()}`);
const alarm = (r: SiteRig, id: string) => r.zone().stateDoc().alarms[id] as AlarmRecord | undefined;
function decision(r: SiteRig, event: string, rack = 1): Decision {
  const t = r.journal().find((j) => j.type === 'transition' && j.data.event === event);
  const d = (t?.data.decisions as Decision[] | undefined)?.find((x) => x.rack === rack);
  if (!d) throw new Error(`no ${event} decision for rack ${rack} in the journal`);
  return d;
}
const cam = (d: Decision) => d.channels.find((c) => c.channel === 'camera')!;

describe('FS-01/FS-04 the thermal camera channel (site)', () => {
  it('FS-01 camera malformed payloads (truncated, NaN, wrong types, oversize) → camera channel bad, trouble; each clears when good payloads return; never a stage', async () => {
    const r = await start();
    for (const mode of ['truncated', 'nan', 'wrong_types', 'oversize'] as const) {
      const t0 = Date.now();
      const f = await r.fault({ kind: 'camera', camera: 'cam-br1', mode });
      await r.until(() => alarm(r, 'channel:1/camera')?.active || undefined, `camera trouble (${mode})`);
      expect(alarm(r, 'channel:1/camera')).toMatchObject({ class: 'trouble', priority: 3, text: 'rack 1 camera: bad' });
      // the agent read the camera as bad with no value, never as 0 °C
      await r.until(() => samples(r, CAM1, 'cam-br1').some((p) => p.t >= t0 && p.q !== 0) || undefined, `bad camera points published (${mode})`);
      const bad = samples(r, CAM1, 'cam-br1').filter((p) => p.t >= t0 && p.q !== 0);
      expect(bad.every((p) => p.v === null && p.q === 2)).toBe(true);
      r.sim.clearFault(f);
      await r.until(() => alarm(r, 'channel:1/camera')?.active === false || undefined, `camera back (${mode})`);
    }
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
    expect((r.zone().stateDoc().state as { incident?: unknown }).incident).toBe('watch');
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
