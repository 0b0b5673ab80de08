/**
 * The running simulator: the site model on a real-time loop (sim dt = wall dt × time scale), one
 * Modbus TCP server per device, the chiller plant's OPC-UA server, the MQTT cameras and rack-inlet
 * sensors (when a broker is given), faults, scenarios and the write log. Constructed with options
 * only; `start()` opens everything, `stop()` closes everything.
 */
import type { SiteConfig } from './config.js';
import { modbusDevices, type DeviceEndpoint, type ModbusDeviceSpec } from './devices.js';
import { bindDevice } from './bindings.js';
import { expandSimProfile } from './profiles.js';
import { ModbusDeviceServer } from './modbus/device-server.js';
import { FaultRegistry, type ActiveFault } from './faults.js';
import { WriteLog } from './write-log.js';
import { SiteModel } from './site-model.js';
import { loadScenario, scheduleScenario, listScenarios, type ScenarioTarget } from './scenario.js';
import { buildTruth, type Truth } from './truth.js';
import { startMqttDevices, startPlantOpcua, type Integration } from './integration.js';

export const MAINTENANCE_ACTIONS = ['replace-patch', 'refill-nozzle', 'refill-gas', 'empty-tank'] as const;
export type MaintenanceAction = (typeof MAINTENANCE_ACTIONS)[number];

/** Wall period of the physics loop, ms. */
export const TICK_MS = 50;

export interface SimulatorOptions {
  config: SiteConfig;
  timeScale?: number;
  brokerUrl?: string;
  opcua?: { user?: string; password?: string };
  /** Append every write as JSONL to this file too. */
  writeLogFile?: string;
  /** Run the OPC-UA plant server (default true). */
  opcuaEnabled?: boolean;
}

export interface RunningScenario { name: string; target: ScenarioTarget; startedAtS: number; errors: string[] }

export class Simulator {
  readonly model: SiteModel;
  readonly writes: WriteLog;
  readonly faults: FaultRegistry;
  readonly servers: ModbusDeviceServer[] = [];
  readonly scenarios: RunningScenario[] = [];
  timeScale: number;
  private timer: NodeJS.Timeout | null = null;
  private lastWall = 0;
  private integrations: Integration[] = [];
  private extraEndpoints: DeviceEndpoint[] = [];
  private readonly specs: ModbusDeviceSpec[];

  constructor(readonly opts: SimulatorOptions) {
    this.model = new SiteModel(opts.config);
    this.timeScale = opts.timeScale ?? 1;
    this.writes = new WriteLog(opts.writeLogFile);
    this.specs = modbusDevices(opts.config);
    this.faults = new FaultRegistry(
      this.model,
      (device, point, unitId) => this.server(device)?.readByName(point, unitId),
      () => ({ modbus: this.specs.map((s) => s.id), other: this.extraEndpoints.map((e) => e.id) }),
    );
    for (const spec of this.specs) {
      const { points } = expandSimProfile(spec.profile, spec.params);
      this.servers.push(new ModbusDeviceServer(spec, points, bindDevice(this.model, spec, points), this.faults, this.writes, () => this.model.now));
    }
  }

  server(id: string): ModbusDeviceServer | undefined { return this.servers.find((s) => s.spec.id === id); }

  async start(): Promise<void> {
    try {
      for (const s of this.servers) await s.start();
      if (this.opts.opcuaEnabled !== false) {
        const plant = await startPlantOpcua(this.model, this.writes, this.opts.opcua);
        this.integrations.push(plant);
        this.extraEndpoints.push(...plant.endpoints);
        this.faults.delegates = { ...this.faults.delegates, ...plant.faultHooks };
      }
      if (this.opts.brokerUrl) {
        const mqtt = await startMqttDevices(this.model, this.opts.brokerUrl, Math.max(this.timeScale, 1));
        this.integrations.push(mqtt);
        this.extraEndpoints.push(...mqtt.endpoints);
        this.faults.delegates = { ...this.faults.delegates, ...mqtt.faultHooks };
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.lastWall = performance.now();
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  private tick(): void {
    const wall = performance.now();
    // Catch up on a late tick (busy machine), but by at most 1 s of wall time: if the physics
    // cannot keep up with the time scale the sim runs slower instead of blocking ever longer.
    const dt = (Math.min(wall - this.lastWall, 1000) / 1000) * this.timeScale;
    this.lastWall = wall;
    if (dt > 0) this.model.step(dt);
  }

  setTimeScale(x: number): void {
    if (!Number.isFinite(x) || x < 0 || x > 100000) throw new RangeError(`time scale must be 0..100000 (0 = paused), got ${x}`);
    this.tick();
    this.timeScale = x;
  }

  /** Advance the sim clock at once by dt sim seconds (tests, drills), whatever the time scale. */
  advance(dtS: number): void { this.model.step(dtS); }

  endpoints(): DeviceEndpoint[] {
    const modbus: DeviceEndpoint[] = this.servers.map((s) => ({
      id: s.spec.id, protocol: 'modbus', profile: s.spec.profile, host: '127.0.0.1', port: s.port, unitIds: s.spec.unitIds,
      ...(s.spec.room ? { room: s.spec.room } : {}), ...(s.spec.zone ? { zone: s.spec.zone } : {}),
      ...(Object.keys(s.spec.params).length ? { params: s.spec.params } : {}),
    }));
    return [...modbus, ...this.extraEndpoints];
  }

  startScenario(name: string, target: ScenarioTarget = {}): RunningScenario {
    const sc = loadScenario(name);
    const run: RunningScenario = { name, target, startedAtS: this.model.now, errors: [] };
    scheduleScenario(this.model, sc, target, {
      injectFault: (spec) => this.faults.inject(spec),
      clearFault: (id) => this.faults.clear(id),
      onError: (step, err) => { run.errors.push(`at ${step.at}s: ${err.message}`); },
    });
    this.scenarios.push(run);
    return run;
  }

  async injectFault(spec: unknown): Promise<string> {
    const id = await this.faults.inject(spec);
    const f = this.faults.list().find((x) => x.id === id)!;
    if (f.spec.kind === 'offline' && f.spec.mode === 'refuse') this.server(f.spec.device)?.dropConnections();
    this.writes.add({ simTimeS: this.model.now, who: 'control-api', device: 'sim', value: { fault: id, spec: f.spec }, accepted: true });
    return id;
  }

  clearFault(id: string): boolean {
    const ok = this.faults.clear(id);
    this.writes.add({ simTimeS: this.model.now, who: 'control-api', device: 'sim', value: { clear: id }, accepted: ok, ...(ok ? {} : { reason: 'no such fault' }) });
    return ok;
  }

  activeFaults(): ActiveFault[] { return this.faults.list(); }

  /** Maintenance action in a battery room (logged as a control-api write). */
  maintain(room: string, action: MaintenanceAction, rack?: number): void {
    if (!MAINTENANCE_ACTIONS.includes(action)) throw new RangeError(`maintenance action must be one of ${MAINTENANCE_ACTIONS.join(', ')}`);
    this.model.room(room).maintain(action, rack);
    this.writes.add({ simTimeS: this.model.now, who: 'control-api', device: 'sim', value: { maintenance: action, room, ...(rack ? { rack } : {}) }, accepted: true });
  }

  truth(opts: { devices?: boolean } = {}): Truth {
    return buildTruth(this, listScenarios(), opts);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const i of this.integrations.splice(0).reverse()) await i.stop().catch(() => undefined);
    await Promise.all(this.servers.map((s) => s.stop()));
  }
}
