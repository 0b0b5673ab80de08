import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../lib/config/load.js';
import { PlantConfigSchema, resolvePlantConfig, PlantConfigError, WATER_SPECIFIC_HEAT_KJ_PER_KG_K } from './config.js';
import { copCurve, CoolingPlant, PlantInputError } from './cooling.js';

const tankEnergyKj = (p: CoolingPlant) => {
  const s = p.state.tank;
  return s.massKg * WATER_SPECIFIC_HEAT_KJ_PER_KG_K * s.temperatureC;
};

describe('buffer tank physics: dT/dt = Q / (m·c)', () => {
  it('500 m³ at 12 °C with 2 MW and both chillers tripped warms at 0.000956 K/s (within 5 %)', () => {
    const p = new CoolingPlant({ tank: { volumeM3: 500, initialTemperatureC: 12 } });
    p.tripChiller(1);
    p.tripChiller('Chiller2');
    const t0 = p.state.tank.temperatureC;
    p.step(600, 2000);
    const rate = (p.state.tank.temperatureC - t0) / 600;
    const expected = 2000 / (500_000 * 4.186); // Q / (m·c)
    expect(expected).toBeCloseTo(0.000956, 6);
    expect(Math.abs(rate - expected) / expected).toBeLessThan(0.05);
    // The layered tank stratifies: warm return water on top, cold supply at the bottom.
    const layers = p.state.tank.layerTemperaturesC;
    expect(layers[layers.length - 1]).toBeGreaterThan(layers[0]);
    expect(p.state.supplyTemperatureC).toBe(layers[0]);
  });

  it('the rate scales with the heat load and inversely with the water mass', () => {
    const rateOf = (volumeM3: number, kw: number) => {
      const p = new CoolingPlant({ tank: { volumeM3, capacityM3: volumeM3 * 1.1 }, loops: { A: { nominalFlowLps: 200 }, B: { nominalFlowLps: 200 } } });
      p.tripChiller(1); p.tripChiller(2);
      const t0 = p.state.tank.temperatureC;
      p.step(1200, kw);
      return (p.state.tank.temperatureC - t0) / 1200;
    };
    expect(rateOf(1000, 1000) / (1000 / (1_000_000 * 4.186))).toBeCloseTo(1, 6);
    expect(rateOf(250, 6000) / (6000 / (250_000 * 4.186))).toBeCloseTo(1, 6);
  });

  it('a fully mixed tank rides through exactly m·c·ΔT / Q (12 → 18 °C, 500 m³, 2 MW: 6279 s)', () => {
    const p = new CoolingPlant({ tank: { layers: 1 } });
    p.tripChiller(1); p.tripChiller(2);
    p.step(0, 2000);
    const truth = (500_000 * 4.186 * 6) / 2000;
    expect(truth).toBeCloseTo(6279, 6);
    expect(p.energyRideThroughSeconds(18)).toBeCloseTo(truth, 6);
    expect(Math.abs(p.rideThroughSeconds(18) - truth)).toBeLessThan(5);
  });

  it('rideThroughSeconds is the truth: stepping the plant reaches the limit at that time', () => {
    const p = new CoolingPlant();
    p.step(3600, 2000);
    p.tripChiller(1); p.tripChiller(2);
    const predicted = p.rideThroughSeconds(18);
    expect(Number.isFinite(predicted)).toBe(true);
    let t = 0;
    while (p.state.supplyTemperatureC < 18) { p.step(10, 2000); t += 10; }
    expect(Math.abs(t - predicted)).toBeLessThanOrEqual(10);
    // A stratified tank delivers cold water longer than the mixed-tank energy estimate says
    // (its top warms past the limit before the bottom does): the estimate is conservative.
    const q = new CoolingPlant();
    q.step(3600, 2000);
    q.tripChiller(1); q.tripChiller(2);
    q.step(0, 2000);
    const ratio = q.energyRideThroughSeconds(18) / q.rideThroughSeconds(18);
    expect(ratio).toBeLessThan(1);
    expect(ratio).toBeGreaterThan(0.7);
  });

  it('SERVER.md R22 example: four 250 m³ layers at 12/12/14/17 °C, 18 °C limit, 10.5 MW', () => {
    const p = new CoolingPlant({ tank: { volumeM3: 1000, capacityM3: 1100 }, loops: { A: { nominalFlowLps: 400 }, B: { nominalFlowLps: 400 } } });
    p.setTankTemperature([12, 12, 14, 17]);
    p.tripChiller(1); p.tripChiller(2);
    p.step(0, 10_500);
    expect(p.state.heatRemovedKw).toBeCloseTo(10_500, 6);
    expect(p.storedCoolingKwh(18)).toBeCloseTo(4941.8, 0); // ρ·c = 4.186 MJ/(m³·K); R22 quotes 4,947 ± 10 with 4.19
    expect(p.energyRideThroughSeconds(18) / 60).toBeCloseTo(28.24, 1);
  });

  it('energy is conserved through trips, restarts, valve moves and load changes', () => {
    const p = new CoolingPlant();
    let expectedKj = tankEnergyKj(p);
    const run = (dt: number, kw: number) => {
      for (let i = 0; i < dt; i += 1) {
        p.step(1, kw);
        const s = p.state;
        expectedKj += s.heatRemovedKw - s.coolingKw;
      }
    };
    run(300, 1500);
    p.tripChiller(2);
    run(200, 2200);
    p.setLoopValve('A', 30);
    run(200, 2200);
    p.tripChiller(1);
    run(300, 2200);
    p.restoreChiller(1);
    run(400, 800);
    // Per-step sums use end-of-step rates, so allow a small integration error only.
    expect(Math.abs(tankEnergyKj(p) - expectedKj) / (p.state.tank.massKg * 4.186)).toBeLessThan(0.05);
  });
});

describe('chillers', () => {
  it('running chillers hold the supply at the setpoint and report consistent power and COP', () => {
    const p = new CoolingPlant();
    p.step(4 * 3600, 2000);
    const s = p.state;
    expect(s.supplyTemperatureC).toBeCloseTo(12, 1);
    expect(s.coolingKw).toBeCloseTo(2000, -1); // steady state: chillers remove the IT heat
    for (const c of s.chillers) {
      expect(c.state).toBe('running');
      expect(c.flowLps).toBe(130);
      expect(c.supplyTemperatureC).toBeCloseTo(12, 6);
      expect(c.coolingKw).toBeCloseTo(130 * 4.186 * (c.returnTemperatureC - c.supplyTemperatureC), 6);
      const plr = c.coolingKw / 2500;
      expect(c.powerKw).toBeCloseTo(c.coolingKw / (5.5 * copCurve(plr)) + 20, 6);
      expect(c.cop).toBeCloseTo(c.coolingKw / c.powerKw, 9);
    }
    expect(s.totalPowerKw).toBeCloseTo(s.chillers[0].powerKw + s.chillers[1].powerKw + 15 + 15, 6);
    expect(s.loops.A.returnTemperatureC - s.loops.A.supplyTemperatureC).toBeCloseTo(1000 / (60 * 4.186), 6);
  });

  it('N+1: one chiller carries the load alone after the other trips', () => {
    const p = new CoolingPlant();
    p.step(3600, 2000);
    p.tripChiller(1);
    p.step(12 * 3600, 2000);
    const s = p.state;
    expect(s.chillers[0]).toMatchObject({ state: 'tripped', tripped: true, running: false, flowLps: 0, powerKw: 0, coolingKw: 0 });
    expect(Math.abs(s.chillers[1].coolingKw - 2000)).toBeLessThan(20);
    expect(s.supplyTemperatureC).toBeLessThan(12.5);
  });

  it('a restored chiller restarts only after its restart delay, then brings the supply back to its setpoint', () => {
    const p = new CoolingPlant();
    p.step(600, 2000);
    p.tripChiller(1); p.tripChiller(2);
    p.step(3600, 2000);
    const warm = p.state.tank.temperatureC;
    const warmSupply = p.state.supplyTemperatureC;
    expect(warmSupply).toBeGreaterThan(12.5);
    p.restoreChiller(1);
    expect(p.state.chillers[0]).toMatchObject({ state: 'starting', restartRemainingS: 300, coolingKw: 0, powerKw: 20 });
    p.step(299, 2000);
    expect(p.state.chillers[0].state).toBe('starting');
    expect(p.state.tank.temperatureC).toBeGreaterThan(warm);
    p.step(1, 2000);
    expect(p.state.chillers[0].state).toBe('running');
    p.step(6 * 3600, 2000);
    expect(p.state.supplyTemperatureC).toBeLessThan(12.5);
    expect(p.state.chillers[0].coolingKw).toBeGreaterThan(1900);
    expect(p.state.chillers[1].state).toBe('tripped');
  });

  it('stop and start commands; a tripped chiller keeps its run command until restored', () => {
    const p = new CoolingPlant();
    p.stopChiller(2);
    expect(p.state.chillers[1]).toMatchObject({ state: 'stopped', runCommand: false });
    p.startChiller(2);
    expect(p.state.chillers[1]).toMatchObject({ state: 'starting', runCommand: true });
    p.tripChiller(2);
    p.startChiller(2);
    expect(p.state.chillers[1].state).toBe('tripped');
    p.stopChiller(2);
    p.restoreChiller(2);
    expect(p.state.chillers[1].state).toBe('stopped');
  });
});

describe('loops', () => {
  it('closing loop A moves all the heat to loop B; closing both leaves it in the rooms', () => {
    const p = new CoolingPlant();
    p.setLoopValve('A', 0);
    p.step(60, 1800);
    let s = p.state;
    expect(s.loops.A).toMatchObject({ flowLps: 0, heatKw: 0, pumpPowerKw: 0 });
    expect(s.loops.B.heatKw).toBeCloseTo(1800, 6);
    p.setLoopValve('B', 0);
    p.step(60, 1800);
    s = p.state;
    expect(s.heatRemovedKw).toBe(0);
    expect(s.unremovedHeatKw).toBe(1800);
  });

  it('a loop at its coil limit leaves the excess heat unremoved', () => {
    const p = new CoolingPlant({ loops: { A: { nominalFlowLps: 10, maxDeltaTK: 10 }, B: { nominalFlowLps: 10, maxDeltaTK: 10 } } });
    p.step(1, 2000);
    const cap = 2 * 10 * 4.186 * 10;
    expect(p.state.heatRemovedKw).toBeCloseTo(cap, 6);
    expect(p.state.unremovedHeatKw).toBeCloseTo(2000 - cap, 6);
  });
});

describe('inputs and configuration', () => {
  it('bad inputs are typed errors that say what is allowed', () => {
    const p = new CoolingPlant();
    expect(() => p.step(Number.NaN, 1)).toThrow(PlantInputError);
    expect(() => p.step(1, Number.POSITIVE_INFINITY)).toThrow(/itHeatKw must be a finite number/);
    expect(() => p.tripChiller(3)).toThrow(/use 1\.\.2 or 'Chiller1'\.\.'Chiller2'/);
    expect(() => p.tripChiller(0)).toThrow(PlantInputError);
    expect(() => p.setLoopValve('C' as never, 10)).toThrow(/use 'A' or 'B'/);
    expect(() => p.setLoopValve('A', 120)).toThrow(/outside 0\.\.100/);
    expect(() => p.setTankVolume(900)).toThrow(/<= capacity 520/);
    expect(() => p.setTankTemperature([1, 2])).toThrow(/4 finite layer temperatures/);
    expect(() => resolvePlantConfig({ tank: { volumeM3: 600 } })).toThrow(PlantConfigError);
  });

  it('the site YAML can carry the plant config; unknown keys name file:line:col', () => {
    const cfg = parseConfig('tank:\n  volumeM3: 800\n  capacityM3: 850\n  layers: 6\nchillers:\n  - capacityKw: 3000\n  - {}\n', PlantConfigSchema, 'site.yaml');
    const p = new CoolingPlant(cfg);
    expect(p.state.tank.layerTemperaturesC).toHaveLength(6);
    expect(p.config.chillers[0].capacityKw).toBe(3000);
    expect(p.config.chillers[1].capacityKw).toBe(2500);
    expect(p.state.tank.levelPct).toBeCloseTo((100 * 800) / 850, 9);
    let err: unknown;
    try { parseConfig('tank:\n  volumM3: 800\n', PlantConfigSchema, 'site.yaml'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ConfigError);
    expect(String((err as Error).message)).toBe('site.yaml:2:3 tank.volumM3: unknown key (not allowed here; check spelling)');
  });

  it('state is a plain snapshot: mutating it does not touch the plant', () => {
    const p = new CoolingPlant();
    const s = p.state;
    s.tank.layerTemperaturesC[0] = 99;
    s.chillers[0].running = false;
    expect(p.state.tank.layerTemperaturesC[0]).toBe(12);
    expect(p.state.chillers[0].running).toBe(true);
    expect(JSON.parse(JSON.stringify(p.state))).toEqual(p.state);
  });
});

describe('config validation without YAML', () => {
  it('an object passed straight to the constructor is checked against the schema', () => {
    expect(() => new CoolingPlant({ tank: { volumeM3: -1 } } as never)).toThrow(/invalid plant config: plant\.tank\.volumeM3/);
    expect(() => new CoolingPlant({ pumps: 3 } as never)).toThrow(PlantConfigError);
  });
});
