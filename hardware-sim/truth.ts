/**
 * The simulator's true state (GET /truth, SimHandle.truth()): physics values, actuator states
 * (command, physical, feedback), power flows, energies and true PUE, the plant, active faults
 * and what each Modbus device reports now (`devices`, after point faults).
 */
import type { Simulator, RunningScenario } from './simulator.js';
import type { ActuatorState } from './physics/actuator.js';
import type { HeatSourceState } from './physics/heat-source.js';
import type { PanelState } from './physics/releasing-panel.js';
import type { ActiveFault } from './faults.js';
import type { TransferRecord } from './physics/power.js';
import type { PlantState } from './plant/cooling.js';
import { PROBE_GAIN } from './bindings.js';

export interface RackTruth {
  id: string; room: string; zone: string; index: number;
  temperatureC: number; probeAC: number; probeBC: number;
  soc: number; currentA: number; voltageV: number;
  offgas: boolean; smoke: boolean; patchFired: boolean; patchFiredAtS: number | null;
  nozzleDischargedAtS: number | null; nozzleActive: boolean; patchActive: boolean;
  breaker: ActuatorState; curtain: ActuatorState; nozzle: ActuatorState; spray: ActuatorState;
  source: HeatSourceState | null;
  /** Highest hot-spot temperature since start, °C. */
  maxTemperatureC: number;
}

export interface Truth {
  simTimeS: number;
  timeScale: number;
  site: string;
  rooms: {
    id: string; zone: string; temperatureC: number; tankLevelPct: number; floorWaterM3: number; lflPct: number; coPpm: number;
    waterSupplyOk: boolean; gasStorePct: number; gasReleasedAtS: number | null; gasActive: boolean; gasPressure: boolean;
    abort: boolean; manualRelease: boolean; lockoff: boolean; smoke: boolean;
    /** The releasing panel (FS-14), when the site has one. */
    panel: PanelState | null;
    actuators: Record<string, ActuatorState>; racks: RackTruth[];
  }[];
  ups: { id: string; outputLive: boolean; onBattery: boolean; bypass: boolean; fault: boolean; epo: boolean; lowBattery: boolean; chargePct: number; runtimeS: number; outputW: number; inputW: number; chargeW: number; droppedAtS: number | null }[];
  power: {
    busLive: boolean;
    ats: { source: string; transferring: boolean; delayS: number; transfers: TransferRecord[] };
    feeds: Record<string, { available: boolean; breakerClosed: boolean; powerW: number; energyWh: number }>;
    meters: Record<string, { powerW: number; energyWh: number }>;
    /** Instantaneous true PUE (intake / IT power), null when IT load is 0. */
    pue: number | null;
  };
  pdus: { unitId: number; room: string; sideAW: number; sideBW: number; energyAWh: number; energyBWh: number }[];
  plant: PlantState;
  faults: ActiveFault[];
  scenarios: RunningScenario[];
  scenarioSteps: { atS: number; label: string }[];
  availableScenarios: string[];
  /** What every Modbus device reports now (point → engineering value; 64-bit beyond 2^53 as strings). */
  devices: Record<string, Record<string, unknown>>;
}

export function buildTruth(sim: Simulator, scenarios: string[], opts: { devices?: boolean } = {}): Truth {
  const m = sim.model;
  const amb = m.cfg.thermal.ambientC;
  const devices: Truth['devices'] = {};
  if (opts.devices !== false) for (const s of sim.servers) devices[s.spec.id] = s.snapshot();
  const it = m.meters.it.powerW;
  return {
    simTimeS: m.now,
    timeScale: sim.timeScale,
    site: m.cfg.site,
    rooms: m.rooms.map((r) => ({
      id: r.id, zone: r.zone, temperatureC: r.roomTemperatureC, tankLevelPct: r.tankLevel, floorWaterM3: r.floorWaterM3, lflPct: r.lflPct, coPpm: r.coPpm,
      waterSupplyOk: r.waterSupplyOk, gasStorePct: r.gasStorePct, gasReleasedAtS: r.gasReleasedAtS, gasActive: r.gasActive(m.now), gasPressure: r.gasPressure,
      abort: r.abort, manualRelease: r.manualRelease, lockoff: r.lockoff, smoke: r.roomSmoke,
      panel: r.panel?.state() ?? null,
      actuators: Object.fromEntries(Object.entries(r.actuators).map(([k, a]) => [k, a.state()])),
      racks: r.racks.map((k) => {
        return {
          id: k.id, room: k.room, zone: k.zone, index: k.index,
          temperatureC: k.temperatureC, probeAC: amb + PROBE_GAIN.a * (k.temperatureC - amb), probeBC: amb + PROBE_GAIN.b * (k.temperatureC - amb),
          soc: k.soc, currentA: k.currentA, voltageV: k.voltage,
          offgas: k.offgas, smoke: k.smoke, patchFired: k.patchFired, patchFiredAtS: k.patchFiredAtS,
          nozzleDischargedAtS: k.nozzleDischargedAtS, nozzleActive: k.nozzleActive(m.now), patchActive: k.patchActive(m.now),
          breaker: k.breaker.state(), curtain: k.curtain.state(), nozzle: k.nozzle.state(), spray: k.spray.state(),
          source: k.source?.state() ?? null, maxTemperatureC: k.maxTemperatureC,
        };
      }),
    })),
    ups: m.zones.map((z) => ({
      id: `ups-${z.id}`, outputLive: z.outputLive, onBattery: z.onBattery, bypass: z.bypass, fault: z.fault || z.rectifierFault, epo: z.epo,
      lowBattery: z.lowBattery, chargePct: z.chargePct, runtimeS: z.runtimeS, outputW: z.outputW, inputW: z.inputW, chargeW: z.chargeW, droppedAtS: z.droppedAtS,
    })),
    power: {
      busLive: m.busLive,
      ats: { source: m.ats.source, transferring: m.ats.transferring, delayS: m.ats.delayS, transfers: [...m.ats.transfers] },
      feeds: Object.fromEntries(Object.values(m.feeds).map((f) => [f.id, { available: f.available, breakerClosed: f.breakerClosed, powerW: f.powerW, energyWh: f.energyWh }])),
      meters: Object.fromEntries(Object.entries(m.meters).map(([k, v]) => [k, { powerW: v.powerW, energyWh: v.energyWh }])),
      pue: it > 0 ? m.meters.intake.powerW / it : null,
    },
    pdus: m.pdus.map((p) => ({ unitId: p.unitId, room: p.room, sideAW: p.sideAW, sideBW: p.sideBW, energyAWh: p.energyAWh, energyBWh: p.energyBWh })),
    plant: m.plant.state,
    faults: sim.activeFaults(),
    scenarios: sim.scenarios,
    scenarioSteps: [...m.done],
    availableScenarios: scenarios,
    devices,
  };
}
