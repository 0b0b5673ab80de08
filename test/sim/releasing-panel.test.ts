/**
 * The simulated releasing panel (FS-14): its own detectors and countdowns, the agent's coils as
 * request inputs, abort / lock-off / manual release — stepped as a pure model.
 */
import { describe, expect, it } from 'vitest';
import { resolveSiteConfig } from '../../hardware-sim/config.js';
import { SiteModel } from '../../hardware-sim/site-model.js';

const model = (panel: Record<string, unknown> = {}) =>
  new SiteModel(resolveSiteConfig({ zones: 1, racksPerRoom: 3, serverRooms: 1, pduRacks: 1, panel: { enabled: true, nozzleDelayS: 10, gasDelayS: 30, confirmS: 2, ...panel } }));

function run(m: SiteModel, seconds: number, dt = 0.5): void {
  for (let t = 0; t < seconds; t += dt) m.step(dt);
}

describe('hardware-sim releasing panel (FS-14)', () => {
  it('is absent unless the site enables it: the release coils then drive the solenoids directly', () => {
    const m = new SiteModel(resolveSiteConfig({ zones: 1, racksPerRoom: 2, serverRooms: 1, pduRacks: 1 }));
    expect(m.rooms[0]!.panel).toBeNull();
  });

  it('an agent request starts the panel sequence, which completes after its own delay even when the request drops at once', () => {
    const m = model();
    const room = m.rooms[0]!;
    room.panel!.requestNozzle(2, true, m.now);
    run(m, 1);
    room.panel!.requestNozzle(2, false, m.now); // the agent dies and its output card de-energises
    run(m, 7);
    expect(room.rack(2).nozzleDischargedAtS).toBeNull();
    expect(room.panel!.signalling).toBe(true);
    run(m, 5);
    const at = room.rack(2).nozzleDischargedAtS;
    expect(at).not.toBeNull();
    // valve opens nozzleS (1 s) after the panel's release at 10 s
    expect(at!).toBeGreaterThanOrEqual(10);
    expect(at!).toBeLessThanOrEqual(12);
    expect(room.panel!.state().nozzles[1]).toMatchObject({ cause: 'agent-request', startedAtS: 0, releasedAtS: 10 });
    expect(room.rack(1).nozzleDischargedAtS).toBeNull();
  });

  it('its own rack heat detector starts a nozzle sequence with no agent at all', () => {
    const m = model();
    const room = m.rooms[0]!;
    room.rack(3).temperatureC = 90;
    run(m, 1);
    expect(room.panel!.state().nozzles[2]).toBeNull(); // not yet confirmed (confirmS 2 s)
    run(m, 14);
    expect(room.panel!.state().nozzles[2]).toMatchObject({ cause: 'panel-detector' });
    expect(room.rack(3).nozzleDischargedAtS).not.toBeNull();
    expect(room.rack(1).nozzleDischargedAtS).toBeNull();
  });

  it('gas: the abort holds the countdown and releasing it restarts the delay in full; lock-off blocks; manual release overrides the abort', () => {
    const m = model();
    const room = m.rooms[0]!;
    room.panel!.requestGas(true, m.now);
    run(m, 20);
    room.abort = true;
    run(m, 60);
    expect(room.gasReleasedAtS).toBeNull();
    room.abort = false;
    const releasedFrom = m.now;
    run(m, 25);
    expect(room.gasReleasedAtS).toBeNull(); // 25 s < a full 30 s delay
    run(m, 10);
    expect(room.gasReleasedAtS).not.toBeNull();
    expect(room.gasReleasedAtS! - releasedFrom).toBeGreaterThanOrEqual(30);
    expect(room.panel!.signalling).toBe(true); // signals held on after the release

    const locked = model();
    const lr = locked.rooms[0]!;
    lr.lockoff = true;
    lr.panel!.requestGas(true, locked.now);
    run(locked, 120);
    expect(lr.gasReleasedAtS).toBeNull();

    const manual = model();
    const mr = manual.rooms[0]!;
    mr.abort = true;
    mr.panel!.requestGas(true, manual.now);
    run(manual, 5);
    mr.manualRelease = true;
    run(manual, 3);
    expect(mr.gasReleasedAtS).not.toBeNull();
    expect(mr.panel!.state().gas?.releasedAtS).toBe(mr.gasReleasedAtS);
  });

  it('its own cross-zoned gas trigger needs room smoke and a rack above the gas detector threshold', () => {
    const m = model({ gasDetectorC: 120 });
    const room = m.rooms[0]!;
    room.rack(1).temperatureC = 125;
    room.smokeForced = false;
    run(m, 10);
    expect(room.panel!.gas).toBeNull();
    room.smokeForced = true;
    run(m, 40);
    expect(room.panel!.gas).toMatchObject({ cause: 'panel-detector' });
    expect(room.gasReleasedAtS).not.toBeNull();
  });
});
