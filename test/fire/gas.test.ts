import { afterEach, describe, expect, it } from 'vitest';
import { fireConfig, startRig, writesOf, type Rig } from './support/rig.js';

let rig: Rig | null = null;
afterEach(async () => { await rig?.close(); rig = null; });

const CFG = fireConfig(2, { timings: { t3Ms: 1000, t4Ms: 1000, gasDelayMs: 30000, gasHoldMs: 600000 } });

async function toStage5(r: Rig): Promise<void> {
  r.plant.set('rack.1.probe.a.temperature', 85);
  r.plant.set('rack.1.probe.b.temperature', 86);
  await r.until(() => r.stage() >= 5, 'stage 5', 60_000);
}

describe('gas release sequencing at the edge (FS-15, FS-16, FS-17)', () => {
  it('FS-15 stage 5 → pre-discharge and HVAC stop / dampers at t0, release after D5 (30 s), confirmed by the pressure switch', async () => {
    rig = await startRig({ racks: 2, config: CFG });
    const r = rig;
    await toStage5(r);
    await r.until(() => r.journal().some((x) => x.type === 'outcome' && x.data.actuator === 'room.gas' && x.data.ok === true), 'gas discharge confirmed', 60_000);
    const j = r.journal();
    const s5 = j.find((x) => x.type === 'transition' && x.data.stage === 5)!;
    const intents = j.filter((x) => x.type === 'decision.intent' && x.seq > s5.seq);
    const at = (a: string) => intents.find((x) => x.data.actuator === a)!.data.at as number;
    const t0 = at('room.predischarge');
    expect(at('room.hvac')).toBe(t0);
    expect(at('room.dampers')).toBe(t0);
    expect(at('room.gas') - t0).toBeGreaterThanOrEqual(30_000);
    const w = writesOf(r.plant);
    expect(w.indexOf('room.gas.release.cmd=1')).toBeGreaterThan(w.indexOf('room.hvac.stop.cmd=1'));
  });

  it('FS-16 abort held during the countdown → no release while held; let go → release after the full delay; abort after release does nothing', async () => {
    rig = await startRig({ racks: 2, config: CFG });
    const r = rig;
    await toStage5(r);
    r.plant.set('room.abort', true); // held during the 30 s countdown
    await r.until(() => r.journal().some((x) => x.type === 'note.abortHeld'), 'abort seen');
    await new Promise((res) => setTimeout(res, 6000)); // 60 s of agent time with the abort held
    expect(writesOf(r.plant)).not.toContain('room.gas.release.cmd=1');
    r.plant.set('room.abort', false);
    await r.until(() => r.plant.get('room.gas.pressure') === true, 'gas discharged after the abort is let go', 20_000);
    const j = r.journal();
    const letGo = j.find((x) => x.type === 'transition' && x.data.event === 'ABORT' && JSON.stringify(x.data.from).includes('abortHeld'))!;
    const release = j.find((x) => x.type === 'decision.intent' && x.data.actuator === 'room.gas')!;
    expect(Number(release.data.at) - letGo.ts).toBeGreaterThanOrEqual(29_000);
    r.plant.set('room.abort', true);
    await new Promise((res) => setTimeout(res, 500));
    expect(writesOf(r.plant).filter((x) => x === 'room.gas.release.cmd=1')).toHaveLength(1);
  });

  it('FS-17 lock-off → zone shown impaired, stage-5 conditions → no automatic release, the alarm says inhibited', async () => {
    rig = await startRig({ racks: 2, config: CFG });
    const r = rig;
    r.plant.set('room.lockoff', true);
    await r.until(() => r.pub.events.some((e) => e.kind === 'alarm' && /lock|inoperative|impair/i.test(e.message)), 'impairment shown');
    await toStage5(r);
    await new Promise((res) => setTimeout(res, 4500));
    expect(writesOf(r.plant)).not.toContain('room.gas.release.cmd=1');
    expect(r.pub.events.some((e) => e.kind === 'alarm' && /inhibit/i.test(e.message))).toBe(true);
  });
});
