/**
 * The edge agent, composed: config → drivers → normaliser → staleness → (listeners, e.g. the fire
 * runtime) → report-by-exception → batches → store-and-forward (disk) → MQTT. Constructors store
 * arguments; `start()` opens the queue, the health port, the link and the drivers; `stop()` closes
 * them in reverse order and leaves no timer or socket behind.
 *
 *   const agent = createAgent({ loaded: loadAgentConfig('site.yaml') });
 *   await agent.start();                 // agent.healthPort: where /metrics and /healthz listen
 *   const off = agent.onPoints((pts) => ...);   // every normalised point (not held back by RBE)
 *   agent.publishEvent({ ts, kind: 'alarm', message: '...' });   // never dropped
 *   await agent.stop();
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createLogger, type Logger } from '../lib/log.js';
import type { AgentBirth, CommandResult } from '../lib/mqtt-contract.js';
import type { Point } from '../lib/points.js';
import { DiskBuffer, MemoryBuffer, type FsyncPolicy, type StoreBuffer } from './buffer/index.js';
import type { LoadedAgentConfig, ResolvedDevice } from './config/load.js';
import { ModbusDriver, ModbusEndpointPool, modbusDriverConfig } from './drivers/modbus/index.js';
import { systemClock, type Clock, type Driver, type WriteRequest, type WriteResult } from './drivers/types.js';
import { Metrics } from './health/metrics.js';
import { HealthServer, type HealthReport } from './health/server.js';
import { StalenessTracker } from './points/staleness.js';
import { DeviceRuntime } from './telemetry/device-runtime.js';
import type { EventInput, EventPublisher } from './telemetry/events.js';
import { Telemetry } from './telemetry/telemetry.js';
import { DataDirLock } from './buffer/lock.js';
import { EmbeddedBroker } from './telemetry/embedded-broker.js';
import type { FireRuntime } from './fire/runtime.js';

/** A tick later than this beyond its period counts as a stall of the agent itself (timer jitter below it does not). */
const STALL_MIN_MS = 50;

/** A batch holding a fire-relevant point leaves within this (merges the devices of one poll tick). */
export const FIRE_BATCH_MS = 20;

export const AGENT_VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface AgentOptions {
  loaded: LoadedAgentConfig;
  log?: Logger;
  clock?: Clock;
  /** Store-and-forward backend (default disk, in `<dataDir>/queue`). */
  buffer?: 'disk' | 'memory';
  /** Disk queue fsync policy (default `interval`: events at once, telemetry once a second, so the event loop the fire runtime shares is not blocked per batch). */
  fsync?: FsyncPolicy;
  /** Overrides config health.port (tests: 0). */
  healthPort?: number;
  /** Build a device's driver (tests); default by protocol. Return null to leave the device out. */
  createDriver?: (dev: ResolvedDevice) => Driver | null;
  /** Run the fire runtime when the config has a `fire` section (default true). */
  fire?: boolean;
  /** MQTT link tuning (tests shorten reconnects). */
  link?: { reconnectPeriodMs?: number; window?: number; ackTimeoutMs?: number; protocolVersion?: 4 | 5 };
}

export class Agent implements EventPublisher {
  readonly metrics = new Metrics();
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly listeners = new Set<(points: Point[]) => void>();
  private readonly devices: DeviceRuntime[] = [];
  private readonly staleness = new StalenessTracker();
  private buffer: StoreBuffer | null = null;
  private telemetry: Telemetry | null = null;
  private health: HealthServer | null = null;
  private broker: EmbeddedBroker | null = null;
  private lock: DataDirLock | null = null;
  private tick: NodeJS.Timeout | null = null;
  private tickMs = 1000;
  private lastTickAt = 0;
  private port = -1;
  private startedAt = 0;
  private rate = { at: 0, count: 0, perSecond: 0 };
  private pendingCommandHandler: ((payload: Buffer) => void) | null = null;
  private fireRuntime: FireRuntime | null = null;
  private fireLinkUp: boolean | null = null;

  constructor(private readonly opts: AgentOptions) {
    this.log = opts.log ?? createLogger({ name: 'agent' });
    this.clock = opts.clock ?? systemClock;
  }

  get site(): string { return this.opts.loaded.config.site; }
  get agentId(): string { return this.opts.loaded.config.agent; }
  /** Port of /metrics and /healthz (after start). */
  get healthPort(): number { return this.port; }
  get epoch(): string { return this.buffer?.epoch ?? ''; }
  get linkState() { return this.telemetry?.linkState ?? 'down'; }

  async start(): Promise<void> {
    if (this.startedAt) throw new Error('agent already started: create a new Agent to start again');
    const { config } = this.opts.loaded;
    this.startedAt = this.clock.now();
    if ((this.opts.buffer ?? 'disk') === 'disk') {
      this.lock = DataDirLock.acquire(config.dataDir);
      this.buffer = DiskBuffer.open({
        dir: join(config.dataDir, 'queue'), maxBytes: config.telemetry.bufferMaxBytes, fsync: this.opts.fsync ?? 'interval', fsyncIntervalMs: 1000,
        onLost: (reason) => this.log.error({ reason }, 'store-and-forward queue lost: new sequence epoch'),
      });
    } else {
      this.buffer = new MemoryBuffer({ maxBytes: config.telemetry.bufferMaxBytes });
    }
    const buffer = this.buffer;
    let url = config.broker?.url;
    if (!url) {
      this.broker = new EmbeddedBroker();
      url = await this.broker.start();
      this.log.info({ url }, 'no broker configured: embedded broker started');
    }
    const password = config.broker?.passwordFile ? readFileSync(config.broker.passwordFile, 'utf8').split(/\r?\n/)[0] : undefined;
    const fireNames = new Set<string>();
    for (const d of this.opts.loaded.devices) for (const p of d.points) if (p.fire) fireNames.add(`${d.id}\u0000${p.name}`);
    this.telemetry = new Telemetry({
      site: config.site, agent: config.agent, version: AGENT_VERSION,
      link: {
        url, ...(config.broker?.clientId ? { clientId: config.broker.clientId } : {}),
        ...(config.broker?.username ? { username: config.broker.username } : {}), ...(password !== undefined ? { password } : {}),
        ...this.opts.link,
      },
      batchMaxPoints: config.telemetry.batchMaxPoints, batchMaxMs: config.telemetry.batchMaxMs, fireBatchMs: FIRE_BATCH_MS,
      rbe: { deadband: config.telemetry.deadband, heartbeatMs: config.telemetry.heartbeatMs, policyOf: (d, n) => (fireNames.has(`${d}\u0000${n}`) ? { fire: true } : undefined) },
      birth: () => this.birth(),
      now: () => this.clock.now(),
      monotonic: () => this.clock.monotonic(),
    }, buffer, this.log.child({ part: 'telemetry' }), this.metrics);
    if (this.pendingCommandHandler) this.telemetry.onCommand(this.pendingCommandHandler);
    this.registerGauges();
    this.health = new HealthServer({ host: config.health.host, port: this.opts.healthPort ?? config.health.port, metrics: this.metrics, report: () => this.report() });
    this.port = await this.health.start();
    this.telemetry.start();
    // The fire runtime is created (and listens to points) before the drivers start, but its
    // recovery waits for a first read of the field (§2.8 step 4), so it finishes after them.
    const fire = await this.startFire();
    const pool = new ModbusEndpointPool();
    for (const dev of this.opts.loaded.devices) {
      if (!dev.config.enabled) continue;
      const driver = this.opts.createDriver ? this.opts.createDriver(dev) : await this.createDriver(dev, pool);
      if (!driver) continue;
      const rt = new DeviceRuntime(dev, driver, {
        site: config.site, log: this.log, clock: this.clock, metrics: this.metrics, staleness: this.staleness,
        pollGroups: config.pollGroups, deliver: (points) => this.deliver(points),
      });
      this.devices.push(rt);
      await driver.start(rt.context());
    }
    await fire.started;
    const tickMs = Math.max(100, Math.min(1000, ...Object.values(config.pollGroups)));
    this.tickMs = tickMs;
    this.lastTickAt = this.clock.monotonic();
    this.tick = setInterval(() => this.onTick(), tickMs);
    this.log.info({ site: config.site, agent: config.agent, devices: this.devices.length, healthPort: this.port, epoch: buffer.epoch }, 'agent started');
    this.publishEvent({ ts: this.clock.now(), kind: 'agent.lifecycle', severity: 'info', message: `agent ${config.agent} started`, data: { version: AGENT_VERSION, devices: this.devices.length } });
  }

  /** Drivers by protocol; OPC-UA and MQTT are loaded only when a device needs them (node-opcua is heavy). */
  private async createDriver(dev: ResolvedDevice, pool: ModbusEndpointPool): Promise<Driver | null> {
    const { config } = this.opts.loaded;
    if (dev.protocol === 'modbus') return new ModbusDriver(modbusDriverConfig(dev, config.pollGroups), { pool });
    if (dev.protocol === 'opcua' && dev.config.opcua && dev.profile.opcua) {
      const { OpcuaDriver } = await import('./drivers/opcua/index.js');
      return new OpcuaDriver(dev.id, { device: dev.config.opcua, profile: dev.profile.opcua, params: dev.params, pkiDir: join(config.dataDir, 'pki') });
    }
    if (dev.protocol === 'mqtt' && dev.config.mqtt && dev.profile.mqtt) {
      const { MqttDeviceDriver } = await import('./drivers/mqtt/index.js');
      return new MqttDeviceDriver(dev.id, { device: dev.config.mqtt, profile: dev.profile.mqtt, params: dev.params, site: config.site, agent: config.agent, ...(dev.config.room !== undefined ? { room: dev.config.room } : {}) });
    }
    this.log.error({ device: dev.id, protocol: dev.protocol }, 'no driver for this device');
    return null;
  }

  /**
   * The fire runtime (agent/fire) inside the agent: it takes every normalised point, actuates
   * through the drivers (write + read-back), publishes through store-and-forward (events never
   * dropped, retained state/fire/{zone}) and receives the server's signed commands.
   */
  private async startFire(): Promise<{ started: Promise<void> }> {
    const { config, file } = this.opts.loaded;
    const fire = config.fire;
    if (!fire || this.opts.fire === false) return { started: Promise.resolve() };
    const [{ FireRuntime }, { statechartZoneMachine }, { fromAgentPublisher }] = await Promise.all([
      import('./fire/runtime.js'), import('./fire/zone-machine.js'), import('./fire/publish.js'),
    ]);
    const commandKey = fire.commandKeyFile ? readFileSync(resolve(dirname(file), fire.commandKeyFile), 'utf8').trim() : undefined;
    // The voter's staleness limits follow the slowest poll group of the fire-relevant points.
    const fireDevices = new Set(fire.zones.flatMap((z) => [z.fireIo, z.bms].filter((x): x is string => Boolean(x))));
    let pollPeriodMs = 0;
    for (const d of this.opts.loaded.devices) {
      if (!fireDevices.has(d.id)) continue;
      for (const p of d.modbusPoints ?? []) if (p.fire) pollPeriodMs = Math.max(pollPeriodMs, config.pollGroups[p.pollGroup] ?? 0);
    }
    const runtime = new FireRuntime({
      site: config.site, agent: config.agent, config: fire, journalDir: fire.journalDir ?? join(config.dataDir, 'fire'),
      io: { writePoint: (device, point, value) => this.write({ device, point, value }) },
      publisher: fromAgentPublisher(this, (r) => this.publishCommandResult(r)),
      machine: statechartZoneMachine,
      ...(commandKey ? { commandKey } : {}),
      pollPeriodMs: pollPeriodMs || 1000,
      log: this.log.child({ part: 'fire' }),
    });
    this.fireRuntime = runtime;
    this.onPoints((points) => runtime.ingest(points));
    this.onCommand((payload) => { void runtime.handleCommand(payload, 'mqtt'); });
    // Not awaited here (an async function would flatten it): recovery needs the drivers running.
    const started = runtime.start();
    started.catch(() => undefined); // observed here too, so a driver failure before the await is not an unhandled rejection
    return { started };
  }

  /** The fire runtime, when the config has a fire section (drills, tests). */
  get fire(): FireRuntime | null { return this.fireRuntime; }

  private deliver(points: Point[]): void {
    for (const l of this.listeners) {
      try { l(points); } catch (err) { this.log.error({ err: (err as Error).message }, 'point listener failed'); }
    }
    this.telemetry?.publishPoints(points);
  }

  /** Once per cycle: staleness (decided here only), device status transitions, points/s. */
  private onTick(): void {
    // The server link is a trouble for the fire zones (FS-32), never a guard on the incident.
    const linkUp = this.telemetry?.linkState === 'up';
    if (this.fireRuntime && linkUp !== this.fireLinkUp) { this.fireLinkUp = linkUp; this.fireRuntime.setLink(linkUp); }
    // The agent's own stall (this tick ran late) is not the devices' staleness (points/staleness.ts).
    const tickAt = this.clock.monotonic();
    const late = tickAt - this.lastTickAt - this.tickMs;
    this.lastTickAt = tickAt;
    if (late > STALL_MIN_MS) {
      this.staleness.stalled(late);
      this.metrics.inc('dcim_agent_stalled_ms_total', {}, Math.round(late), 'time the agent event loop was blocked beyond its tick period (not counted as point staleness)');
    }
    const stale = this.staleness.sweep(this.clock.now());
    if (stale.length) {
      for (const p of stale) this.metrics.inc('dcim_points_stale_total', { device: p.device }, 1, 'points that became stale');
      this.deliver(stale);
    }
    for (const rt of this.devices) {
      const s = rt.transition();
      if (!s) continue;
      this.publishEvent({ ts: this.clock.now(), kind: 'device.status', device: rt.dev.id, severity: s === 'up' ? 'info' : 'P3', message: `device ${rt.dev.id} ${s}`, data: { state: s, protocol: rt.dev.protocol } });
    }
    const now = this.clock.monotonic();
    const total = this.metrics.total('dcim_points_total');
    if (this.rate.at && now - this.rate.at >= 1000) {
      this.rate.perSecond = ((total - this.rate.count) * 1000) / (now - this.rate.at);
      this.rate = { at: now, count: total, perSecond: this.rate.perSecond };
    } else if (!this.rate.at) this.rate = { at: now, count: total, perSecond: 0 };
  }

  private registerGauges(): void {
    const b = () => this.buffer!;
    this.metrics.gauge('dcim_queue_depth', 'messages waiting in store-and-forward', () => [
      { labels: { stream: 'telemetry' }, value: b().lenOf('telemetry') }, { labels: { stream: 'event' }, value: b().lenOf('event') }]);
    this.metrics.gauge('dcim_queue_bytes', 'bytes held by store-and-forward', () => [{ value: b().bytes }]);
    this.metrics.gauge('dcim_queue_dropped_telemetry', 'telemetry batches dropped (oldest first) to stay within the queue budget', () => [{ value: b().stats().droppedTelemetry }]);
    this.metrics.gauge('dcim_queue_events_over_budget', 'events kept beyond the queue budget (events are never dropped)', () => [{ value: b().stats().eventsOverBudget }]);
    this.metrics.gauge('dcim_link_up', 'MQTT link to the server broker: 1 up, 0 down', () => [{ value: this.linkState === 'up' ? 1 : 0 }]);
    this.metrics.gauge('dcim_device_up', 'device link: 1 up, 0 down or connecting', () => this.devices.map((d) => ({ labels: { device: d.dev.id }, value: d.driver.linkState() === 'up' ? 1 : 0 })));
    this.metrics.gauge('dcim_points_per_second', 'normalised points received per second (last second)', () => [{ value: Math.round(this.rate.perSecond * 10) / 10 }]);
    this.metrics.gauge('dcim_points_held_back', 'points held back by report-by-exception so far', () => [{ value: this.telemetry?.heldBack ?? 0 }]);
  }

  private birth(): Omit<AgentBirth, 'epoch' | 'ts'> {
    const { config } = this.opts.loaded;
    return {
      v: 1, site: config.site, agent: config.agent, version: AGENT_VERSION,
      configHash: createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 16),
      devices: this.opts.loaded.devices.filter((d) => d.config.enabled).map((d) => ({
        id: d.id, profile: d.profile.profile, protocol: d.protocol,
        ...(d.config.room ? { room: d.config.room } : {}), ...(d.config.zone ? { zone: d.config.zone } : {}), ...(d.config.rack ? { rack: d.config.rack } : {}),
        ...(d.kind ? { kind: d.kind } : {}),
        points: d.points.map((p) => ({ name: p.name, ...(p.unit ? { unit: p.unit } : {}), ...(p.type ? { type: p.type } : {}) })),
      })),
    };
  }

  /** /healthz */
  report(): HealthReport {
    const b = this.buffer;
    const devices = Object.fromEntries(this.devices.map((d) => [d.dev.id, d.driver.linkState()]));
    const ok = this.linkState === 'up' && Object.values(devices).every((s) => s === 'up');
    return {
      status: ok ? 'ok' : 'degraded', site: this.site, agent: this.agentId, version: AGENT_VERSION, epoch: this.epoch,
      uptimeS: Math.round((this.clock.now() - this.startedAt) / 1000), link: this.linkState,
      queue: b ? { telemetry: b.lenOf('telemetry'), event: b.lenOf('event'), bytes: b.bytes, ...b.stats() } : null,
      pointsPerSecond: Math.round(this.rate.perSecond * 10) / 10, devices,
    };
  }

  /** Every normalised point, before report-by-exception (the fire runtime listens here). */
  onPoints(listener: (points: Point[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publishEvent(e: EventInput): number {
    if (!this.telemetry) throw new Error('agent not started: publishEvent needs start() first');
    return this.telemetry.publishEvent(e);
  }

  publishState(key: string, doc: unknown): void { this.telemetry?.publishState(key, doc); }
  publishCommandResult(r: CommandResult): void { this.telemetry?.publishCommandResult(r); }
  /** Commands from the server; set before start() or any time after. */
  onCommand(handler: (payload: Buffer) => void): void {
    if (!this.telemetry) { this.pendingCommandHandler = handler; return; }
    this.telemetry.onCommand(handler);
  }

  driver(deviceId: string): Driver | undefined { return this.devices.find((d) => d.dev.id === deviceId)?.driver; }

  /** Write through the device's driver (with read-back). */
  async write(req: WriteRequest): Promise<WriteResult> {
    const d = this.driver(req.device);
    if (!d) return { ok: false, error: `unknown or disabled device ${req.device}` };
    if (!d.write) return { ok: false, error: `device ${req.device} (${this.devices.find((x) => x.driver === d)!.dev.protocol}) does not take writes` };
    return d.write(req);
  }

  async stop(): Promise<void> {
    if (this.tick) clearInterval(this.tick);
    this.tick = null;
    // The fire runtime first: no actuation is started while the drivers go away.
    await this.fireRuntime?.stop().catch((err: Error) => this.log.error({ err: err.message }, 'fire runtime stop failed'));
    this.fireRuntime = null;
    await Promise.all(this.devices.map((d) => d.driver.stop().catch((err: Error) => this.log.error({ device: d.dev.id, err: err.message }, 'driver stop failed'))));
    this.devices.length = 0;
    if (this.telemetry) {
      this.publishEvent({ ts: this.clock.now(), kind: 'agent.lifecycle', severity: 'info', message: `agent ${this.agentId} stopping` });
      await this.telemetry.stop();
    }
    this.telemetry = null;
    await this.health?.stop();
    this.health = null;
    await this.buffer?.close();
    this.buffer = null;
    await this.broker?.stop();
    this.broker = null;
    this.lock?.release();
    this.lock = null;
  }
}

export function createAgent(opts: AgentOptions): Agent {
  return new Agent(opts);
}
