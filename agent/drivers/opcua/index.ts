/**
 * OPC-UA driver (node-opcua client): one session per device; `subscribe` points are monitored
 * items of one subscription (grouped by sampling interval and deadband), `read` points are read
 * together every readIntervalMs. Connection loss marks every point bad (`comm_failure`, once per
 * transition) and reconnects with exponential back-off, creating the session and subscription
 * again, so a server restart is survived. Values go out raw; the normaliser scales them.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttributeIds, ClientSubscription, DataChangeFilter, DataChangeTrigger, DataType, DeadbandType, MessageSecurityMode,
  OPCUACertificateManager, OPCUAClient, SecurityPolicy, TimestampsToReturn, UserTokenType,
  type ClientSession, type DataValue, type UserIdentityInfo,
} from 'node-opcua';
import type { Driver, DriverContext, DeviceLinkState, RawReading, WriteRequest, WriteResult } from '../types.js';
import { OPCUA_DEFAULTS, type OpcuaDeviceConfig, type OpcuaPoint, type OpcuaProfileSection } from './config.js';
import { expandOpcuaProfile } from './expand.js';
import { readingOf, severityOf, statusReason } from './status.js';

export interface OpcuaDriverOptions {
  device: OpcuaDeviceConfig;
  profile: OpcuaProfileSection;
  /** The device's profile parameters ($racks ...). */
  params?: Record<string, number>;
  /** Folder of the client's certificate store (own certificate, trusted servers); default DEFAULT_CLIENT_PKI_DIR. */
  pkiDir?: string;
}

export const DEFAULT_CLIENT_PKI_DIR = join(tmpdir(), 'dcim-opcua-client-pki');

export class OpcuaCredentialsError extends Error {
  constructor(message: string) { super(message); this.name = 'OpcuaCredentialsError'; }
}

/** Resolve the password: inline or from passwordFile (first line). */
export function opcuaPassword(cfg: { password?: string; passwordFile?: string }): string | undefined {
  if (cfg.password !== undefined) return cfg.password;
  if (cfg.passwordFile === undefined) return undefined;
  try {
    return readFileSync(cfg.passwordFile, 'utf8').split(/\r?\n/)[0];
  } catch (err) {
    throw new OpcuaCredentialsError(`cannot read passwordFile ${cfg.passwordFile}: ${(err as Error).message}`);
  }
}

export class OpcuaDriver implements Driver {
  private ctx: DriverContext | null = null;
  private points: OpcuaPoint[] = [];
  private readonly signal = { stopped: false };
  /** Ends the back-off wait early (stop()). */
  private wake: (() => void) | null = null;
  private state: DeviceLinkState = 'down';
  private client: OPCUAClient | null = null;
  private session: ClientSession | null = null;
  private loop: Promise<void> | null = null;
  private lost: (() => void) | null = null;
  private badSent = false;
  private readonly dataTypes = new Map<string, DataType>();
  private certificates: OPCUACertificateManager | null = null;
  /** Last error sent per point: the same failure is sent once, on the transition. */
  private readonly lastError = new Map<string, string | undefined>();

  constructor(readonly deviceId: string, private readonly opts: OpcuaDriverOptions) {}

  linkState(): DeviceLinkState { return this.state; }

  async start(ctx: DriverContext): Promise<void> {
    this.ctx = ctx;
    this.signal.stopped = false;
    try {
      this.points = expandOpcuaProfile(this.opts.profile, this.opts.params);
    } catch (err) {
      ctx.log.error({ device: this.deviceId, err: (err as Error).message }, 'opcua profile cannot be expanded');
      ctx.count('driver_errors_total', { device: this.deviceId, reason: 'config_error' });
      this.points = [];
      return;
    }
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.signal.stopped = true;
    this.lost?.();
    this.wake?.();
    await this.loop;
    this.loop = null;
    this.state = 'down';
  }

  private get cfg() { return { ...OPCUA_DEFAULTS, ...this.opts.device }; }

  private async run(): Promise<void> {
    const ctx = this.ctx!;
    let delay = 250;
    while (!this.signal.stopped) {
      this.state = 'connecting';
      const t0 = ctx.clock.monotonic();
      try {
        await this.connect();
        delay = 250;
        if (this.badSent) ctx.log.info({ device: this.deviceId, endpoint: this.cfg.endpoint }, 'opcua device up');
        this.state = 'up';
        this.badSent = false;
        ctx.count('driver_connects_total', { device: this.deviceId });
        await this.serve();
      } catch (err) {
        const code = /\b(Bad[A-Z][A-Za-z]+)/.exec((err as Error).message)?.[1];
        const reason = err instanceof OpcuaCredentialsError ? 'config_error' : code && code !== 'BadConnectionClosed' ? statusReason(code) : 'comm_failure';
        ctx.count('driver_errors_total', { device: this.deviceId, reason });
        if (!this.badSent) ctx.log.warn({ device: this.deviceId, err: (err as Error).message, ms: Math.round(ctx.clock.monotonic() - t0) }, 'opcua device down');
        this.markAllBad(reason);
      } finally {
        await this.teardown();
      }
      if (this.signal.stopped) break;
      this.state = 'down';
      this.markAllBad('comm_failure');
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => { this.wake = null; resolve(); }, delay);
        this.wake = () => { clearTimeout(t); this.wake = null; resolve(); };
      });
      delay = Math.min(delay * 2, this.cfg.reconnectMaxDelayMs);
    }
  }

  private emit(readings: RawReading[]): void {
    const out = readings.filter((r) => {
      if (r.error !== undefined && this.lastError.get(r.point) === r.error) return false;
      this.lastError.set(r.point, r.error);
      return true;
    });
    if (out.length) this.ctx!.sink(out);
  }

  private markAllBad(reason: string): void {
    if (this.badSent || this.signal.stopped || !this.points.length) return;
    this.badSent = true;
    const now = this.ctx!.clock.now();
    this.emit(this.points.map((p) => ({ device: this.deviceId, point: p.name, raw: null, ts: now, error: reason })));
  }

  private async connect(): Promise<void> {
    const cfg = this.cfg;
    const password = opcuaPassword(cfg);
    this.certificates ??= new OPCUACertificateManager({ rootFolder: this.opts.pkiDir ?? DEFAULT_CLIENT_PKI_DIR, automaticallyAcceptUnknownCertificate: true });
    const client = OPCUAClient.create({
      applicationName: 'dcim-agent',
      connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
      securityMode: MessageSecurityMode[cfg.securityMode],
      securityPolicy: SecurityPolicy[cfg.securityPolicy],
      endpointMustExist: false,
      keepSessionAlive: true,
      requestedSessionTimeout: 60_000,
      transportTimeout: cfg.requestTimeoutMs,
      clientCertificateManager: this.certificates,
    });
    this.client = client;
    await client.connect(cfg.endpoint);
    const identity: UserIdentityInfo = cfg.username !== undefined
      ? { type: UserTokenType.UserName, userName: cfg.username, password: password ?? '' }
      : { type: UserTokenType.Anonymous };
    this.session = await client.createSession(identity);
  }

  /** Run the subscription and reads until the connection is lost or the driver stops. */
  private async serve(): Promise<void> {
    const ctx = this.ctx!;
    const session = this.session!;
    const client = this.client!;
    const cfg = this.cfg;
    const done = new Promise<void>((resolve) => {
      this.lost = resolve;
      client.on('connection_lost', () => resolve());
      client.on('close', () => resolve());
      session.on('session_closed', () => resolve());
      session.on('keepalive_failure', () => resolve());
    });
    const nodeId = await this.nodeIdResolver(session);
    const subscribed = this.points.filter((p) => (p.mode ?? 'subscribe') === 'subscribe');
    const reads = this.points.filter((p) => p.mode === 'read');
    if (subscribed.length) {
      const sub = await ClientSubscription.create(session, {
        requestedPublishingInterval: cfg.publishingIntervalMs,
        requestedLifetimeCount: 60,
        requestedMaxKeepAliveCount: 10,
        maxNotificationsPerPublish: 0,
        publishingEnabled: true,
        priority: 1,
      });
      sub.on('terminated', () => this.lost?.());
      const groups = new Map<string, OpcuaPoint[]>();
      for (const p of subscribed) {
        const k = `${p.samplingIntervalMs ?? cfg.publishingIntervalMs}|${p.deadband?.type ?? 'none'}|${p.deadband?.value ?? 0}`;
        (groups.get(k) ?? groups.set(k, []).get(k)!).push(p);
      }
      for (const pts of groups.values()) {
        const first = pts[0]!;
        const db = first.deadband;
        const filter = db && db.type !== 'none'
          ? new DataChangeFilter({ trigger: DataChangeTrigger.StatusValue, deadbandType: db.type === 'absolute' ? DeadbandType.Absolute : DeadbandType.Percent, deadbandValue: db.value })
          : null;
        const group = await sub.monitorItems(
          pts.map((p) => ({ nodeId: nodeId(p.nodeId), attributeId: AttributeIds.Value })),
          { samplingInterval: first.samplingIntervalMs ?? cfg.publishingIntervalMs, discardOldest: true, queueSize: 10, ...(filter ? { filter } : {}) },
          TimestampsToReturn.Both,
        );
        group.on('changed', (_item, dv: DataValue, index: number) => {
          const p = pts[index];
          if (p) this.emit([readingOf(this.deviceId, p.name, dv, ctx.clock.now())]);
        });
        // Items the server refused (BadNodeIdUnknown ...) are bad points, said once.
        const results = (group as unknown as { monitoredItems: { statusCode: { isGood(): boolean; isBad(): boolean; name: string } }[] }).monitoredItems;
        const refused: RawReading[] = [];
        results.forEach((m, i) => {
          if (severityOf(m.statusCode) === 'bad') {
            refused.push({ device: this.deviceId, point: pts[i]!.name, raw: null, ts: ctx.clock.now(), error: statusReason(m.statusCode.name) });
            ctx.count('driver_errors_total', { device: this.deviceId, reason: statusReason(m.statusCode.name) });
          }
        });
        if (refused.length) this.emit(refused);
      }
    }
    let timer: NodeJS.Timeout | null = null;
    if (reads.length) {
      let reading = false;
      const readAll = async () => {
        if (reading) { ctx.count('poll_overrun_total', { device: this.deviceId, group: 'read' }); return; }
        reading = true;
        const t0 = ctx.clock.monotonic();
        try {
          const dvs = await session.read(reads.map((p) => ({ nodeId: nodeId(p.nodeId), attributeId: AttributeIds.Value })));
          const now = ctx.clock.now();
          this.emit(dvs.map((dv, i) => readingOf(this.deviceId, reads[i]!.name, dv, now)));
          ctx.observe?.('poll_duration_ms', ctx.clock.monotonic() - t0, { device: this.deviceId });
        } catch (err) {
          ctx.count('driver_errors_total', { device: this.deviceId, reason: /timeout/i.test((err as Error).message) ? 'timeout' : 'comm_failure' });
          const now = ctx.clock.now();
          this.emit(reads.map((p) => ({ device: this.deviceId, point: p.name, raw: null, ts: now, error: /timeout/i.test((err as Error).message) ? 'timeout' : 'comm_failure' })));
        } finally {
          reading = false;
        }
      };
      await readAll();
      timer = setInterval(() => void readAll(), cfg.readIntervalMs);
    }
    try {
      await done;
    } finally {
      if (timer) clearInterval(timer);
      this.lost = null;
    }
  }

  /** With `namespaceUri` in the profile, `ns=N` in node ids is replaced by that URI's index on this server. */
  private async nodeIdResolver(session: ClientSession): Promise<(id: string) => string> {
    const uri = this.opts.profile.namespaceUri;
    if (!uri) return (id) => id;
    const nsArray = await session.readNamespaceArray();
    const index = nsArray.indexOf(uri);
    if (index < 0) throw new Error(`server has no namespace '${uri}' (it has: ${nsArray.join(', ')})`);
    return (id) => id.replace(/^ns=\d+;/, `ns=${index};`);
  }

  private async teardown(): Promise<void> {
    const session = this.session;
    const client = this.client;
    this.session = null;
    this.client = null;
    if (session) await session.close(true).catch(() => undefined);
    if (client) await client.disconnect().catch(() => undefined);
  }

  /** Write a node and read it back (actuators verify with their own feedback points too). */
  async write(req: WriteRequest): Promise<WriteResult> {
    const p = this.points.find((x) => x.name === req.point);
    if (!p) return { ok: false, error: `unknown point ${req.point}` };
    if (!p.writable) return { ok: false, error: `point ${req.point} is not writable in the profile` };
    const session = this.session;
    if (!session || this.state !== 'up') return { ok: false, error: 'not_connected' };
    try {
      const nodeId = (await this.nodeIdResolver(session))(p.nodeId);
      let dataType = this.dataTypes.get(nodeId);
      if (dataType === undefined) {
        const dt = await session.read({ nodeId, attributeId: AttributeIds.DataType });
        dataType = (dt.value.value as { value: number }).value as DataType;
        this.dataTypes.set(nodeId, dataType);
      }
      const value = dataType === DataType.Boolean ? Boolean(req.value) : Number(req.value);
      const status = await session.write({ nodeId, attributeId: AttributeIds.Value, value: { value: { dataType, value } } });
      if (!status.isGood()) return { ok: false, error: statusReason(status.name) };
      const back = await session.read({ nodeId, attributeId: AttributeIds.Value });
      return { ok: true, readBack: readingOf(this.deviceId, p.name, back, Date.now()).raw };
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
  }
}
