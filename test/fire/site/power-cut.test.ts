/**
 * FIRE-SAFETY §4 #32 (FS-20, FS-21): the fire department cuts the whole building during its
 * control of a zone — every device goes silent at once. "No data" is not "extinguished": the
 * latched stage and fire-department control are kept, nothing de-escalates, the loss is one logged
 * trouble per device, and nothing new is commanded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSiteRig, type SiteRig } from '../support/site-rig.js';

let rig: SiteRig | null = null;
afterEach(async () => { await rig?.close(); rig = null; });

describe('building power cut during fire-department control (§4 #32)', () => {
  it('FS-21 every device silent during fdControl → stage and fire-department control kept, no de-escalation, one trouble per silent device, no new command', async () => {
    rig = await startSiteRig({ racks: 2, camera: false, pollGroups: { fast: 250, normal: 1000, slow: 10000 }, fire: { timings: { onDelayMs: 500, nozzlePreDischargeMs: 1000 } } });
    const r = rig;
    await r.fault({ kind: 'rack-heat', room: 'BR1', rack: 1, temperatureC: 86 });
    await r.until(() => r.sim.truth({ devices: false }).rooms[0]!.racks[0]!.nozzleDischargedAtS ?? undefined, 'stage 3: nozzle discharged', 30_000);
    expect(await r.command('fd.handover', { actors: [{ user: 'chief', role: 'firedept' }], reason: 'on scene' })).toMatchObject({ ok: true });
    await r.until(() => r.zone().stateDoc().fdControl || undefined, 'fire-department control');
    const stage = r.stage();
    expect(stage).toBeGreaterThanOrEqual(3);
    const seqAtCut = r.journal().at(-1)!.seq;
    const writesAtCut = r.writeLog().filter((w) => w.accepted).length;

    await r.fault({ kind: 'building-power-cut', offline: true });
    await r.until(() => (r.zone().stateDoc().alarms as Record<string, { active: boolean }>)['io:fireIo']?.active || undefined, 'fire I/O silent: one trouble', 30_000);
    await r.until(() => (r.zone().stateDoc().alarms as Record<string, { active: boolean }>)['io:bms']?.active || undefined, 'BMS silent: one trouble', 30_000);
    // Let the staleness of every channel play out.
    await new Promise((res) => setTimeout(res, 3000));
    const after = r.journal().filter((x) => x.seq > seqAtCut);
    expect(r.stage()).toBe(stage);
    expect(r.zone().stateDoc().fdControl).toBeTruthy();
    expect(after.filter((x) => x.type === 'transition' && Number(x.data.stage) < stage)).toEqual([]);
    expect(after.filter((x) => x.type === 'transition').map((x) => x.data.event)).not.toContain('VOTE.CLEAR');
    // Nothing new reached the plant, and nothing was even attempted under fire-department control.
    expect(r.writeLog().filter((w) => w.accepted)).toHaveLength(writesAtCut);
    expect(after.filter((x) => x.type === 'intent')).toEqual([]);
    // The voter has no valid data: the zone says so instead of calling the fire out.
    const thermal = r.zone().stateDoc().thermal as { minValidCount: number } | null;
    expect(thermal?.minValidCount ?? 0).toBe(0);
  }, 90_000);
});
