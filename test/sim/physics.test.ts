import { describe, expect, it } from 'vitest';
import { resolveSiteConfig } from '../../hardware-sim/config.js';
import { Actuator } from '../../hardware-sim/physics/actuator.js';
import { SOURCE_PROFILES } from '../../hardware-sim/physics/heat-source.js';
import { SiteModel } from '../../hardware-sim/site-model.js';

const model = (over: Record<string, unknown> = {}) => new SiteModel(resolveSiteConfig({ racksPerRoom: 4, ...over }));

/** Step the model until pred holds or maxS passes; returns the sim time reached. */
function until(m: SiteModel, pred: () => boolean, maxS: number, dt = 1): number {
  const end = m.now + maxS;
  while (m.now < end && !pred()) m.step(dt);
  return m.now;
}

describe('actuator feedback', () => {
  it('follows the coil after its delay', () => {
    const a = new Actuator('breaker', 0.2);
    a.write(true, 0);
    a.step(0.1);
    expect([a.active, a.feedback]).toEqual([false, false]);
    a.step(0.2);
    expect([a.active, a.feedback]).toEqual([true, true]);
  });

  it('re-asserting the coil every second does not restart its delay', () => {
    const a = new Actuator('curtain', 10);
    for (let t = 0; t <= 10; t += 1) { a.write(true, t); a.step(t); }
    expect(a.feedback).toBe(true);
    expect(a.changedAtS).toBe(10);
  });

  it('stuck: never moves and never confirms', () => {
    const a = new Actuator('curtain', 10);
    a.addFault('stuck');
    a.write(true, 0);
    for (let t = 0; t <= 600; t += 1) a.step(t);
    expect(a.state()).toMatchObject({ cmd: true, active: false, feedback: false });
  });

  it('lies: feedback confirms while the plant does not act; welded: neither', () => {
    const lies = new Actuator('b', 0.2);
    lies.addFault('lies');
    const welded = new Actuator('b', 0.2);
    welded.addFault('welded');
    for (const a of [lies, welded]) { a.write(true, 0); a.step(1); }
    expect(lies.state()).toMatchObject({ active: false, feedback: true });
    expect(welded.state()).toMatchObject({ active: false, feedback: false });
  });

  it('reclose: opens, then closes again by itself after afterS', () => {
    const a = new Actuator('b', 0.2);
    a.addFault('reclose');
    a.recloseAfterS = 5;
    a.write(true, 0);
    a.step(0.2);
    expect(a.active).toBe(true);
    a.step(5.1);
    expect(a.active).toBe(true);
    a.step(5.2);
    expect([a.cmd, a.active, a.feedback]).toEqual([true, false, false]);
    a.write(true, 6); // the agent re-asserts open
    a.step(6.2);
    a.step(20);
    expect([a.active, a.feedback]).toEqual([true, true]); // re-tripped, and re-closes only once
  });
});

describe('rack thermal model', () => {
  it('a constant source heats a lone rack along amb + q/h·(1 − e^(−t·h/C))', () => {
    const m = model({ racksPerRoom: 1, thermal: { heatCapacityJPerK: 6000 } });
    const rack = m.room('BR1').rack(1);
    rack.startSource({ q0W: 600, rampWPerS: 0, maxHeatW: 600, pointOfNoReturnC: 0, decayTauS: 1, runawayOnsetC: 1000, runawayW: 0, energyJ: 1e12 }, 0);
    m.step(400); // C/h = 6000/15 = 400 s
    const expected = 25 + (600 / 15) * (1 - Math.exp(-1)); // 50.28 °C
    expect(rack.temperatureC).toBeCloseTo(expected, 0);
    m.step(2000);
    expect(rack.temperatureC).toBeCloseTo(25 + 40 * (1 - Math.exp(-6)), 1); // → steady state amb + q/h = 65 °C
    expect(rack.patchFired).toBe(false); // stayed below 68 °C
  });

  it('documents each sink as conductance × (T − sink temperature)', () => {
    const m = model();
    const rack = m.room('BR1').rack(2);
    rack.temperatureC = 55;
    rack.spray.write(true, 0);
    m.step(3.05);
    const env = { ambientC: 25, neighbours: [], upstreamClosed: true, chargeInhibited: false, gasActive: true };
    const f = rack.heatFlows(m.now, env);
    expect(f.spray).toBeCloseTo(-1200 * (rack.temperatureC - 15), 6);
    expect(f.gas).toBeCloseTo(-60 * (rack.temperatureC - 0), 6);
    expect(f.ambient).toBeCloseTo(-15 * (rack.temperatureC - 25), 6);
  });

  it('untreated fast runaway passes 80 °C (and runs away); untreated slow passes 80 °C too', () => {
    for (const profile of ['fast', 'slow'] as const) {
      const m = model();
      const rack = m.room('BR1').rack(2);
      rack.startSource(SOURCE_PROFILES[profile], 0);
      const t = until(m, () => rack.temperatureC > 80, 4 * 3600);
      expect(rack.temperatureC, profile).toBeGreaterThan(80);
      expect(t).toBeLessThan(profile === 'fast' ? 900 : 7200);
      expect(rack.patchFired).toBe(true);
    }
  });

  it('fast runaway with breaker+curtain at 60, nozzle at 80, spray 60 s later ends below 60 °C', () => {
    const m = model();
    const rack = m.room('BR1').rack(2);
    rack.startSource(SOURCE_PROFILES.fast, 0);
    until(m, () => rack.temperatureC >= 60, 3600);
    rack.breaker.write(true, m.now); rack.curtain.write(true, m.now);
    until(m, () => rack.temperatureC >= 80, 3600);
    rack.nozzle.write(true, m.now);
    m.step(60);
    rack.spray.write(true, m.now);
    m.step(1800);
    expect(rack.maxTemperatureC).toBeLessThan(95); // never reached runaway onset
    expect(rack.temperatureC).toBeLessThan(60);
    expect(rack.source?.phase).not.toBe('runaway');
  });

  it('slow runaway isolated at 60 °C (before its point of no return) decays and ends below 60 °C', () => {
    const m = model();
    const rack = m.room('BR1').rack(2);
    rack.startSource(SOURCE_PROFILES.slow, 0);
    until(m, () => rack.temperatureC >= 60, 4 * 3600);
    m.room('BR1').chargeInhibit.write(true, m.now);
    m.step(3600);
    expect(['decaying', 'spent']).toContain(rack.source?.phase);
    expect(rack.temperatureC).toBeLessThan(60);
  });

  it('the patch self-fires at 68 °C unless it is faulty', () => {
    const m = model();
    const [a, b] = [m.room('BR1').rack(1), m.room('BR1').rack(4)];
    b.patchNeverFires = true;
    for (const r of [a, b]) r.startSource(SOURCE_PROFILES.fast, 0);
    until(m, () => a.patchFired, 3600, 0.5);
    expect(a.maxTemperatureC).toBeGreaterThanOrEqual(68);
    expect(a.maxTemperatureC).toBeLessThan(68.5);
    m.step(600);
    expect(b.maxTemperatureC).toBeGreaterThan(68);
    expect(b.patchFired).toBe(false);
  });
});

describe('power: feeds, ATS, UPS, meters', () => {
  it('feed A loss: bus dead for exactly the transfer delay, zones on battery meanwhile, then on B', () => {
    const m = model();
    m.at(5, 'feed A lost', () => { m.feeds.A.available = false; });
    m.step(6);
    expect(m.busLive).toBe(false);
    expect(m.zones.every((z) => z.onBattery && z.outputLive)).toBe(true);
    m.step(4);
    expect(m.ats.source).toBe('B');
    const tr = m.ats.transfers[0]!;
    expect(tr.lostAtS).toBeCloseTo(5, 6);
    expect(tr.transferredAtS - tr.lostAtS).toBeGreaterThanOrEqual(3);
    expect(tr.transferredAtS - tr.lostAtS).toBeLessThanOrEqual(3 + 0.1 + 1e-9);
    expect(m.zones.some((z) => z.onBattery)).toBe(false);
  });

  it('both feeds lost: charge drains at output/efficiency over the capacity, then low battery', () => {
    const m = model({ racksPerRoom: 8, power: { rackCapacityWh: 5000 } });
    m.feeds.A.available = false; m.feeds.B.available = false;
    m.step(0.1);
    const z = m.zones[0]!;
    const out = z.outputW;
    const before = z.chargePct;
    m.step(600);
    const expectedDrop = ((out / 0.96) * (600 / 3600)) / (8 * 5000) * 100;
    expect(before - z.chargePct).toBeCloseTo(expectedDrop, 2);
    expect(z.onBattery).toBe(true);
    until(m, () => z.lowBattery, 2 * 3600, 10);
    expect(z.chargePct).toBeLessThan(20);
    expect(z.outputLive).toBe(true);
  });

  it('meters integrate power: intake = IT + cooling + other, true PUE = energy ratio', () => {
    const m = model();
    const e0 = Object.fromEntries(Object.entries(m.meters).map(([k, v]) => [k, v.energyWh]));
    m.step(3600);
    const d = Object.fromEntries(Object.entries(m.meters).map(([k, v]) => [k, v.energyWh - e0[k]!]));
    expect(Math.abs(d.intake! - (d.it! + d.cooling! + d.other!)) / d.intake!).toBeLessThan(1e-6);
    expect(d.it!).toBeCloseTo(m.pdus.reduce((s, p) => s + p.nominalW, 0), 3); // 1 h at the PDU load
    const pue = d.intake! / d.it!;
    expect(pue).toBeGreaterThan(1.2);
    expect(pue).toBeLessThan(2);
  });

  it('UPS bypass fault: zone output drops while the bus is dead; A/B strips move the load', () => {
    const m = model();
    m.zones[1]!.fault = true;
    m.feeds.A.available = false;
    m.step(1);
    expect(m.zones[1]!.outputLive).toBe(false);
    const p = m.pdus.find((x) => x.zoneA === 2)!;
    expect(p.sideAW).toBe(0);
    expect(p.sideBW).toBe(p.nominalW);
    m.step(3);
    expect(m.zones[1]!.outputLive).toBe(true);
  });
});
