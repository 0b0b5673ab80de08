/**
 * FS-10 "controlled" (FIRE-SAFETY §6.1 Q7) against the simulator and the whole agent: with the
 * burning rack below 60 °C and falling when T3 ends, no water; the zone stays latched at stage 3;
 * water starts at once when the voted maximum rises again. The room's other rack stays quiet at
 * room temperature (a quiet rack must not hold the room "not controlled").
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSiteRig, type SiteRig } from '../support/site-rig.js';

let rig: SiteRig | null = null;
afterEach(async () => { await rig?.close(); rig = null; });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const T3_MS = 8000;

describe('FS-10 escalation only when not controlled (site)', () => {
  it('FS-10 55 °C and falling at T3 → no water, stage 3 kept; the maximum rises again → water at once', async () => {
    rig = await startSiteRig({
      racks: 2, camera: false, pollGroups: { fast: 250, normal: 500, slow: 5000 },
      site: { actuators: { curtainS: 0.5 } },
      fire: { timings: { onDelayMs: 500, nozzlePreDischargeMs: 500, t3Ms: T3_MS }, detection: { rorWindowMs: 5000 } },
    });
    const r = rig;
    const heat = (c: number) => r.fault({ kind: 'rack-heat', room: 'BR1', rack: 1, temperatureC: c });
    await heat(86);
    await r.until(() => r.sim.truth({ devices: false }).rooms[0]!.racks[0]!.nozzleDischargedAtS ?? undefined, 'stage 3: the nozzle discharges', 30_000);
    await r.until(() => (r.zone().stateDoc().deadlines as Record<string, number>).t3 ?? undefined, 'T3 armed after the discharge');
    const t3 = (r.zone().stateDoc().deadlines as Record<string, number>).t3!;
    // The agent cools the rack: 57 °C and falling ~1 °C a second, through and past T3.
    for (let c = 57; Date.now() < t3 + 3000; c -= 0.7) { await heat(c); await sleep(700); }
    expect(r.stage()).toBe(3);
    expect(r.writes().filter((w) => /spray\.cmd=1/.test(w))).toEqual([]);
    const status = r.zone().stateDoc().thermal as { maxC: number; falling: boolean };
    expect(status.maxC).toBeLessThan(60);
    expect(status.falling).toBe(true);
    // It flares up again: water at once, no new T3 to wait for.
    const floor = 47;
    let rose = 0;
    for (let c = floor; rose === 0 || Date.now() - rose < 15_000; c += 1) {
      await heat(c);
      if (r.writes().some((w) => /^rack\.1\.spray\.cmd=1$/.test(w))) break;
      if (!rose) rose = Date.now();
      await sleep(500);
    }
    expect(r.writes()).toContain('rack.1.spray.cmd=1');
    const spray = r.writeLog().find((w) => w.point === 'rack.1.spray.cmd' && (w.value === true || w.value === 1))!;
    expect(Date.parse(spray.ts)).toBeGreaterThan(t3);
    await r.until(() => r.stage() >= 4 || undefined, 'stage 4');
  }, 90_000);
});
