/**
 * hardware-sim public API: `startSimulator(opts)` starts the simulated site (Modbus TCP devices,
 * the chiller plant's OPC-UA server, MQTT cameras and rack-inlet sensors when a broker is given,
 * the control HTTP API) on 127.0.0.1 with OS-assigned ports, and returns a handle.
 */
import { resolveSiteConfig, type SiteConfig } from './config.js';
import { Simulator } from './simulator.js';
import { ControlApi } from './control-api.js';
import type { DeviceEndpoint } from './devices.js';
import type { Truth } from './truth.js';
import type { MaintenanceAction, RunningScenario } from './simulator.js';
import type { ScenarioTarget } from './scenario.js';
import type { FaultSpec } from './fault-spec.js';

export type { DeviceEndpoint, Protocol } from './devices.js';
export type { Truth, RackTruth } from './truth.js';
export type { FaultSpec } from './fault-spec.js';
export type { SiteConfig } from './config.js';
export type { WriteEntry } from './write-log.js';
export type { MaintenanceAction } from './simulator.js';
export { FaultSpecError } from './fault-spec.js';
export { ScenarioError, listScenarios } from './scenario.js';
export { SiteConfigError, resolveSiteConfig } from './config.js';
export { SOURCE_PROFILES } from './physics/heat-source.js';

export interface StartSimulatorOptions {
  /** Site layout: a YAML file path or an object (validated); default hardware-sim/site.default.yaml. */
  config?: string | Record<string, unknown>;
  /** Sim seconds per wall second (default 1; 0 = paused). */
  timeScale?: number;
  /** MQTT broker for the cameras and rack-inlet sensors; without it they do not run. */
  brokerUrl?: string;
  /** Require this user on the chiller plant's OPC-UA server. */
  opcua?: { user: string; password: string };
  /** Run the OPC-UA chiller plant (default true). */
  opcuaEnabled?: boolean;
  /** Start this scenario at once (target room/rack from `scenarioTarget` or the scenario file). */
  scenario?: string;
  scenarioTarget?: ScenarioTarget;
  /** Port of the control API (default 0 = any free port). */
  controlPort?: number;
  /** Also append every write as JSONL to this file. */
  writeLogFile?: string;
}

export interface SimHandle {
  endpoints: DeviceEndpoint[];
  controlUrl: string;
  config: SiteConfig;
  /** The true state; `{ devices: false }` leaves out the per-device point snapshots (cheaper at 400 racks). */
  truth(opts?: { devices?: boolean }): Truth;
  startScenario(name: string, target?: ScenarioTarget): RunningScenario;
  /** Inject a fault; resolves to its id. Rejects with FaultSpecError for a bad spec. */
  injectFault(spec: FaultSpec | Record<string, unknown>): Promise<string>;
  clearFault(id: string): boolean;
  setTimeScale(x: number): void;
  /** Step the sim clock at once by `seconds` (whatever the time scale). */
  advance(seconds: number): void;
  /** Maintenance in a battery room: replace-patch | refill-nozzle | refill-gas | empty-tank. */
  maintain(room: string, action: MaintenanceAction, rack?: number): void;
  /** The running simulator (model, servers, write log) for tests and drills. */
  sim: Simulator;
  stop(): Promise<void>;
}

export async function startSimulator(opts: StartSimulatorOptions = {}): Promise<SimHandle> {
  const config = resolveSiteConfig(opts.config);
  const sim = new Simulator({
    config,
    timeScale: opts.timeScale ?? 1,
    ...(opts.brokerUrl ? { brokerUrl: opts.brokerUrl } : {}),
    ...(opts.opcua ? { opcua: opts.opcua } : {}),
    ...(opts.opcuaEnabled !== undefined ? { opcuaEnabled: opts.opcuaEnabled } : {}),
    ...(opts.writeLogFile ? { writeLogFile: opts.writeLogFile } : {}),
  });
  await sim.start();
  const api = new ControlApi(sim);
  try {
    await api.start(opts.controlPort ?? 0);
    if (opts.scenario) sim.startScenario(opts.scenario, opts.scenarioTarget ?? {});
  } catch (err) {
    await api.stop();
    await sim.stop();
    throw err;
  }
  let stopped = false;
  return {
    endpoints: sim.endpoints(),
    controlUrl: api.url,
    config,
    truth: (o) => sim.truth(o),
    startScenario: (name, target) => sim.startScenario(name, target),
    injectFault: (spec) => sim.injectFault(spec),
    clearFault: (id) => sim.clearFault(id),
    setTimeScale: (x) => sim.setTimeScale(x),
    advance: (s) => sim.advance(s),
    maintain: (room, action, rack) => sim.maintain(room, action, rack),
    sim,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await api.stop();
      await sim.stop();
    },
  };
}
