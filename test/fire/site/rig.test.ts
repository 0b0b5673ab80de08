import { afterEach, describe, expect, it } from 'vitest';
import { startSiteRig, type SiteRig } from '../support/site-rig.js';

let rig: SiteRig | null = null;
afterEach(async () => { await rig?.close(); rig = null; });

describe('the agent against the simulated site (rig check)', () => {
  it('FS-03 both probes held at 65 °C for the on-delay → stage 1: breaker opened and confirmed by the simulator', async () => {
    rig = await startSiteRig({ racks: 2 });
    const r = rig;
    await r.operational();
    await r.force('rack.1.probe.a.temperature', 65);
    await r.force('rack.1.probe.b.temperature', 65);
    await r.until(() => r.stage() >= 1, 'stage 1');
    await r.until(() => r.sim.truth({ devices: false }).rooms[0]!.racks[0]!.breaker.active || undefined, 'breaker open in the plant');
    expect(r.writes()).toContain('rack.1.breaker.open.cmd=1');
    // The affected rack is isolated first, then the rest of the zone.
    const w = r.writes();
    expect(w.indexOf('rack.1.breaker.open.cmd=1')).toBeLessThan(w.indexOf('rack.2.breaker.open.cmd=1'));
    expect(w.filter((x) => x.includes('breaker.open.cmd=0'))).toEqual([]);
  });
});
