/**
 * The Modbus TCP driver: one instance per device (an installation of a profile). Polls each poll
 * group on its own interval with requests planned by planner.ts, through an endpoint shared with
 * every device behind the same host:port (one request in flight, bounded queue). Timeouts are
 * retried; a device that stops answering backs off exponentially (its points read bad with the
 * reason meanwhile) so it stalls nobody behind the same gateway; link transitions are logged
 * once. Writes (coils, holding registers) go to the front of the queue and are read back.
 * Returns raw readings: agent/points/normalise.ts scales and qualifies them.
 */
import type { Driver, DriverContext, DeviceLinkState, RawReading, WriteRequest, WriteResult } from '../types.js';
import type { ModbusPointPlan } from '../../config/points.js';
import type { LoadedAgentConfig, ResolvedDevice } from '../../config/load.js';
import type { ModbusDeviceConfig } from './config.js';
import { planRequests, type PlannedRequest } from './planner.js';
import { registerCount } from '../../../lib/profile/modbus-schema.js';
import { ModbusEndpointPool, ModbusRequestError, classify, type Client, type ModbusEndpoint } from './endpoint.js';
import { decodeInto, pushError } from './decode.js';
import { writePoint } from './write.js';

export { ModbusEndpointPool } from './endpoint.js';

export interface ModbusDriverConfig {
  deviceId: string;
  /** Validated device section (defaults applied by the config loader). */
  modbus: ModbusDeviceConfig;
  /** Expanded register map, each point with its poll group. */
  points: ModbusPointPlan[];
  /** Poll group name → interval ms. */
  pollGroups: Record<string, number>;
}

interface GroupPlan {
  name: string;
  intervalMs: number;
  points: ModbusPointPlan[];
  requests: PlannedRequest[];
  unreadable: ModbusPointPlan[];
}

export interface ModbusPollStats {
  cycles: number;
  skippedOverrun: number;
  requests: number;
  registers: number;
  readings: number;
  lastCycleMs: Record<string, number>;
}

const pointCount = (p: ModbusPointPlan) => (p.table === 'coil' || p.table === 'discrete' ? 1 : registerCount(p.type, p.length));

/** The driver config of a resolved Modbus device. */
export function modbusDriverConfig(dev: ResolvedDevice, pollGroups: Record<string, number>): ModbusDriverConfig {
  if (!dev.config.modbus || !dev.modbusPoints) throw new Error(`device ${dev.id} is not a Modbus device`);
  return { deviceId: dev.id, modbus: dev.config.modbus, points: dev.modbusPoints, pollGroups };
}

/** One driver per enabled Modbus device of a loaded config, all sharing one endpoint pool. */
export function createModbusDrivers(loaded: LoadedAgentConfig, pool = new ModbusEndpointPool()): ModbusDriver[] {
  return loaded.devices.filter((d) => d.protocol === 'modbus' && d.config.enabled).map((d) => new ModbusDriver(modbusDriverConfig(d, loaded.config.pollGroups), { pool }));
}

export class ModbusDriver implements Driver {
  readonly deviceId: string;
  private readonly cfg: ModbusDriverConfig;
  private readonly pool: ModbusEndpointPool;
  private ctx: DriverContext | null = null;
  private endpoint: ModbusEndpoint | null = null;
  private groups: GroupPlan[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly immediates = new Set<NodeJS.Immediate>();
  private readonly running = new Map<string, Promise<void>>();
  private stopped = true;
  private link: DeviceLinkState = 'connecting';
  private failures = 0;
  private retryAt = 0;
  private lastReason = 'comm_failure';
  readonly stats: ModbusPollStats = { cycles: 0, skippedOverrun: 0, requests: 0, registers: 0, readings: 0, lastCycleMs: {} };

  constructor(cfg: ModbusDriverConfig, deps: { pool?: ModbusEndpointPool } = {}) {
    this.cfg = cfg;
    this.deviceId = cfg.deviceId;
    this.pool = deps.pool ?? new ModbusEndpointPool();
  }

  linkState(): DeviceLinkState { return this.link; }

  /** The planned reads per poll group (for check-config, docs and tests). */
  plan(): { group: string; intervalMs: number; requests: PlannedRequest[]; unreadable: string[] }[] {
    return this.buildPlans().map((g) => ({ group: g.name, intervalMs: g.intervalMs, requests: g.requests, unreadable: g.unreadable.map((p) => p.name) }));
  }

  private buildPlans(): GroupPlan[] {
    const w = this.cfg.modbus.workarounds;
    const byGroup = new Map<string, ModbusPointPlan[]>();
    for (const p of this.cfg.points) {
      const list = byGroup.get(p.pollGroup) ?? [];
      list.push(p);
      byGroup.set(p.pollGroup, list);
    }
    const out: GroupPlan[] = [];
    for (const [name, points] of byGroup) {
      const intervalMs = this.cfg.pollGroups[name];
      if (intervalMs === undefined) throw new Error(`device ${this.deviceId}: poll group '${name}' has no interval`);
      const plan = planRequests(points.map((p) => ({ table: p.table, address: p.address, count: pointCount(p) })), { maxRegisters: w.maxRegistersPerRequest, maxBits: w.maxBitsPerRequest, maxGap: w.maxGap });
      out.push({ name, intervalMs, points, requests: plan.requests, unreadable: plan.unreadable.map((i) => points[i]!) });
    }
    return out;
  }

  async start(ctx: DriverContext): Promise<void> {
    this.ctx = ctx;
    this.stopped = false;
    this.groups = this.buildPlans();
    for (const g of this.groups) {
      for (const p of g.unreadable) ctx.log.error({ device: this.deviceId, point: p.name }, 'point cannot be read within maxRegistersPerRequest; reported bad (config_error)');
    }
    const m = this.cfg.modbus;
    this.endpoint = this.pool.acquire(m.host, m.port, m.maxQueue);
    for (const g of this.groups) this.schedule(g, 0);
  }

  private schedule(g: GroupPlan, delayMs: number): void {
    if (this.stopped) return;
    const fire = () => {
      if (this.stopped) return;
      const started = this.ctx!.clock.monotonic();
      const run = this.cycle(g).catch((err) => this.ctx?.log.error({ err, device: this.deviceId }, 'poll cycle failed'));
      this.running.set(g.name, run.then(() => undefined));
      void run.finally(() => {
        this.running.delete(g.name);
        const took = this.ctx ? this.ctx.clock.monotonic() - started : 0;
        this.stats.lastCycleMs[g.name] = took;
        this.ctx?.observe?.('poll_duration_ms', took, { device: this.deviceId, group: g.name });
        if (took > g.intervalMs) { this.stats.skippedOverrun++; this.ctx?.count('poll_overrun_total', { device: this.deviceId, group: g.name }); }
        this.schedule(g, Math.max(0, g.intervalMs - took));
      });
    };
    // An overrun cycle starts the next one at once (setImmediate: no 1 ms timer clamp).
    if (delayMs <= 0) {
      const im = setImmediate(() => { this.immediates.delete(im); fire(); });
      this.immediates.add(im);
    } else {
      const t = setTimeout(() => { this.timers.delete(t); fire(); }, delayMs);
      this.timers.add(t);
    }
  }

  /** One poll cycle of one group: read, decode, deliver (synchronously to the sink). */
  private async cycle(g: GroupPlan): Promise<void> {
    const ctx = this.ctx!;
    const out: RawReading[] = [];
    this.stats.cycles++;
    if (ctx.clock.monotonic() < this.retryAt) {
      const ts = ctx.clock.now();
      for (const p of g.points) pushError(out, this.deviceId, ts, p, this.lastReason);
      this.deliver(out);
      return;
    }
    // A timeout or lost connection means the device is not answering: the rest of the cycle is
    // skipped (its points take that reason) so a dead device does not hold the endpoint. A Modbus
    // exception is an answer; garbage (parse_error) fails only its own request.
    let skip: string | null = null;
    let failure: string | null = null;
    let answered = false;
    for (const req of g.requests) {
      if (this.stopped) return;
      if (skip) {
        const ts = ctx.clock.now();
        for (const it of req.items) pushError(out, this.deviceId, ts, g.points[it.index]!, skip);
        continue;
      }
      try {
        const data = await this.read(req);
        answered = true;
        this.stats.requests++;
        this.stats.registers += req.length;
        decodeInto(out, this.deviceId, ctx.clock.now(), g.points, req.items, data);
      } catch (err) {
        const e = classify(err);
        ctx.count('modbus_errors_total', { device: this.deviceId, reason: e.reason });
        if (e.reason.startsWith('exception_')) answered = true;
        else if (e.reason !== 'queue_full') {
          failure = e.reason;
          if (e.reason === 'timeout' || e.reason === 'comm_failure') skip = e.reason;
        }
        const ts = ctx.clock.now();
        for (const it of req.items) pushError(out, this.deviceId, ts, g.points[it.index]!, e.reason);
      }
    }
    if (this.stopped) return;
    const ts = ctx.clock.now();
    for (const p of g.unreadable) pushError(out, this.deviceId, ts, p, 'config_error');
    if (answered) this.succeed();
    else if (failure) this.fail(failure);
    this.deliver(out);
  }

  private deliver(out: RawReading[]): void {
    this.stats.readings += out.length;
    if (out.length) this.ctx!.sink(out);
  }

  private async read(req: PlannedRequest): Promise<ArrayLike<number> | ArrayLike<boolean>> {
    const m = this.cfg.modbus;
    const run = (c: Client): Promise<ArrayLike<number> | ArrayLike<boolean>> => {
      switch (req.table) {
        case 'coil': return c.readCoils(req.address, req.length).then((r) => r.data);
        case 'discrete': return c.readDiscreteInputs(req.address, req.length).then((r) => r.data);
        case 'holding': return c.readHoldingRegisters(req.address, req.length).then((r) => r.data);
        case 'input': return c.readInputRegisters(req.address, req.length).then((r) => r.data);
      }
    };
    for (let attempt = 0; ; attempt++) {
      try {
        const data = await this.endpoint!.request({ unitId: m.unitId, timeoutMs: m.timeoutMs, pauseAfterConnectMs: m.workarounds.pauseAfterConnectMs, owner: this.deviceId, run });
        if (data.length < req.length) throw new ModbusRequestError('parse_error', `short response: ${data.length} of ${req.length}`);
        return data;
      } catch (err) {
        const e = classify(err);
        if (e.reason !== 'timeout' || attempt >= m.retries || this.stopped) throw e;
        this.ctx!.count('modbus_retries_total', { device: this.deviceId });
      }
    }
  }

  private fail(reason: string): void {
    const b = this.cfg.modbus.backoff;
    this.failures++;
    const delay = Math.min(b.initialMs * 2 ** Math.min(this.failures - 1, 30), b.maxMs);
    this.retryAt = this.ctx!.clock.monotonic() + delay;
    this.lastReason = reason;
    if (this.link !== 'down') {
      // Logged once on the transition, not on every failed cycle.
      this.link = 'down';
      this.ctx!.count('device_link_transitions_total', { device: this.deviceId, state: 'down' });
      this.ctx!.log.warn({ device: this.deviceId, reason, endpoint: this.endpoint?.key, retryInMs: delay }, 'device down');
    }
  }

  private succeed(): void {
    this.failures = 0;
    this.retryAt = 0;
    if (this.link !== 'up') {
      const was = this.link;
      this.link = 'up';
      this.ctx!.count('device_link_transitions_total', { device: this.deviceId, state: 'up' });
      this.ctx!.log.info({ device: this.deviceId, endpoint: this.endpoint?.key, was }, 'device up');
    }
  }

  async write(req: WriteRequest): Promise<WriteResult> {
    if (!this.endpoint || this.stopped) return { ok: false, error: 'not_connected' };
    const p = this.cfg.points.find((x) => x.name === req.point);
    if (!p || !p.writable) return { ok: false, error: p ? 'not_writable' : 'unknown_point' };
    const m = this.cfg.modbus;
    try {
      const res = await writePoint(this.endpoint, p, req.value, { unitId: m.unitId, timeoutMs: m.timeoutMs, pauseAfterConnectMs: m.workarounds.pauseAfterConnectMs, singleRegisterWrites: m.workarounds.singleRegisterWrites, owner: this.deviceId });
      this.ctx?.count('modbus_writes_total', { device: this.deviceId, ok: String(res.ok) });
      return res;
    } catch (err) {
      const e = classify(err);
      this.ctx?.count('modbus_writes_total', { device: this.deviceId, ok: 'false' });
      return { ok: false, error: e.reason };
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const im of this.immediates) clearImmediate(im);
    this.immediates.clear();
    if (this.endpoint) {
      this.endpoint.cancel(this.deviceId);
      const ep = this.endpoint;
      await Promise.allSettled([...this.running.values()]);
      await this.pool.release(ep);
      this.endpoint = null;
    }
    this.running.clear();
  }
}
