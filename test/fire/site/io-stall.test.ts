/**
 * FS-26 a device that stops answering is one trouble: the fire I/O goes silent in the simulator
 * (a Modbus timeout on every request) → one "not answering" trouble at the edge and on the broker
 * instead of a trouble per probe, detector and patch input; back, the channels recover silently.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSiteRig, type SiteRig } from '../support/site-rig.js';

let rig: SiteRig | null = null;
afterEach(async () => { await rig?.close(); rig = null; });

describe('FS-26 consequential troubles of a silent device (site)', () => {
  it('FS-26 fire I/O offline with 6 racks → one P2 "not answering" trouble annunciated, the channel troubles recorded but not annunciated; back online → it returns to normal and nothing else is left', async () => {
    rig = await startSiteRig({ racks: 6, camera: false, pollGroups: { fast: 250, normal: 1000, slow: 10000 } });
    const r = rig;
    await r.operational();
    const annunciated = () => r.sub.events.filter((e) => e.kind === 'alarm' && (e.data as { active?: boolean } | undefined)?.active === true).map((e) => String((e.data as { alarmId?: string }).alarmId));
    const before = annunciated().length;
    const id = await r.fault({ kind: 'offline', device: 'fire-br1' });
    await r.until(() => (r.zone().stateDoc().alarms as Record<string, { active: boolean }>)['io:fireIo']?.active || undefined, 'device trouble', 30_000);
    // the staleness of every fire I/O channel follows; give it time to be raised
    await r.until(() => Object.values(r.zone().stateDoc().alarms as Record<string, { suppressedBy?: string }>).filter((a) => a.suppressedBy === 'io:fireIo').length >= 6 || undefined, 'channel troubles recorded under the device trouble', 30_000);
    await r.until(() => annunciated().includes('io:fireIo') || undefined, 'device trouble on the broker');
    const during = annunciated().slice(before);
    expect(during.filter((a) => a.startsWith('channel:') && !a.endsWith('/bms'))).toEqual([]);
    expect(during.filter((a) => a === 'io:fireIo')).toHaveLength(1);
    expect((r.zone().stateDoc().alarms as Record<string, { text: string; priority: number }>)['io:fireIo']).toMatchObject({ priority: 2, text: expect.stringMatching(/fire-br1 not answering/) });
    expect(r.stage()).toBe(-1);

    r.sim.clearFault(id);
    await r.until(() => (r.zone().stateDoc().alarms as Record<string, { active: boolean }>)['io:fireIo']?.active === false || undefined, 'device back', 30_000);
    await r.until(() => Object.values(r.zone().stateDoc().alarms as Record<string, { suppressedBy?: string }>).every((a) => a.suppressedBy === undefined) || undefined, 'channel records gone', 30_000);
    expect(annunciated().slice(before).filter((a) => a.startsWith('channel:') && !a.endsWith('/bms'))).toEqual([]);
  }, 90_000);
});
