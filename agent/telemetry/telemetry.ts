/**
 * Telemetry to the server: points → report-by-exception → batches (TelemetryBatch) → store-and-
 * forward buffer → MQTT link; events → buffer (own stream, never dropped) → link. Sequence
 * numbers come from the buffer, so they survive restarts with it.
 */
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Logger } from '../../lib/log.js';
import { AgentEvent, type AgentBirth, type CommandResult, type TelemetryBatch } from '../../lib/mqtt-contract.js';
import { toWire, type Point, type WirePoint } from '../../lib/points.js';
import type { StoreBuffer } from '../buffer/types.js';
import type { Metrics } from '../health/metrics.js';
import { Batcher } from './batcher.js';
import type { EventInput, EventPublisher } from './events.js';
import { MqttLink, type LinkOptions, type LinkState } from './link.js';
import { ReportByException, type RbeOptions } from './rbe.js';

const checkEvent = TypeCompiler.Compile(AgentEvent);
/** The contract's limit on points per batch. */
export const MAX_BATCH_POINTS = 20_000;
/** Batches are cut before about this size: managed brokers limit messages (AWS IoT 128 KiB, HiveMQ Cloud 256 KiB …). */
export const MAX_BATCH_BYTES = 120 * 1024;

export interface TelemetryOptions {
  site: string;
  agent: string;
  version: string;
  link: Omit<LinkOptions, 'site' | 'agent' | 'version'>;
  batchMaxPoints: number;
  batchMaxMs: number;
  /** Longest wait of a batch carrying a fire-relevant point (default 0). */
  fireBatchMs?: number;
  rbe: RbeOptions;
  /** The birth message without epoch and ts (filled per connect). */
  birth: () => Omit<AgentBirth, 'epoch' | 'ts'>;
  now?: () => number;
  monotonic?: () => number;
}

export class Telemetry implements EventPublisher {
  private readonly rbe: ReportByException;
  private readonly batcher: Batcher;
  private readonly link: MqttLink;
  private readonly now: () => number;
  private readonly mono: () => number;
  private invalidLogged = false;

  constructor(private readonly opts: TelemetryOptions, private readonly buffer: StoreBuffer, private readonly log: Logger, private readonly metrics: Metrics) {
    this.now = opts.now ?? Date.now;
    this.mono = opts.monotonic ?? (() => performance.now());
    this.rbe = new ReportByException(opts.rbe);
    this.batcher = new Batcher(
      { maxPoints: Math.min(opts.batchMaxPoints, MAX_BATCH_POINTS), maxBytes: MAX_BATCH_BYTES, maxDelayMs: opts.batchMaxMs, fireDelayMs: opts.fireBatchMs ?? 0 },
      (points) => this.enqueueBatch(points),
    );
    const birth = () => JSON.stringify({ ...opts.birth(), epoch: buffer.epoch, ts: this.now() } satisfies AgentBirth);
    this.link = new MqttLink({ ...opts.link, site: opts.site, agent: opts.agent, version: opts.version }, buffer, birth, log, metrics);
  }

  start(): void { this.link.start(); }

  get linkState(): LinkState { return this.link.linkState; }
  get epoch(): string { return this.buffer.epoch; }

  /** Normalised points from one poll cycle or notification. */
  publishPoints(points: Point[]): void {
    const send = this.rbe.filter(points, this.mono());
    if (!send.length) return;
    let fire = false;
    const wire: WirePoint[] = new Array(send.length);
    for (let i = 0; i < send.length; i++) {
      const p = send[i]!;
      wire[i] = toWire(p);
      if (!fire && this.opts.rbe.policyOf?.(p.device, p.name)?.fire) fire = true;
    }
    this.metrics.inc('dcim_points_reported_total', {}, send.length, 'points sent after report-by-exception');
    this.batcher.add(wire, fire);
  }

  get heldBack(): number { return this.rbe.heldBack; }

  private enqueueBatch(points: WirePoint[]): void {
    const seq = this.buffer.nextSeq('telemetry');
    const sentAt = this.now();
    const batch: TelemetryBatch = { v: 1, site: this.opts.site, agent: this.opts.agent, epoch: this.buffer.epoch, seq, sentAt, points };
    this.buffer.add({ stream: 'telemetry', seq, sentAt, body: JSON.stringify(batch), historical: this.link.linkState !== 'up' });
    this.metrics.inc('dcim_batches_total', {}, 1, 'telemetry batches made');
    this.link.kick();
  }

  publishEvent(e: EventInput): number {
    const seq = this.buffer.nextSeq('event');
    const sentAt = this.now();
    const ev = { v: 1 as const, site: this.opts.site, agent: this.opts.agent, epoch: this.buffer.epoch, seq, sentAt, ...e };
    if (typeof ev.message === 'string' && ev.message.length > 2000) ev.message = `${ev.message.slice(0, 1997)}...`;
    if (!checkEvent.Check(ev)) {
      const first = [...checkEvent.Errors(ev)][0];
      this.metrics.inc('dcim_events_invalid_total', { kind: String(e.kind) }, 1, 'events sent although they do not match the contract');
      if (!this.invalidLogged) this.log.error({ kind: e.kind, path: first?.path, error: first?.message }, 'event does not match the MQTT contract; sent anyway');
      this.invalidLogged = true;
    }
    this.buffer.add({ stream: 'event', seq, sentAt, body: JSON.stringify(ev), historical: this.link.linkState !== 'up' });
    this.metrics.inc('dcim_events_total', { kind: String(e.kind) }, 1, 'events queued by kind');
    this.link.kick();
    return seq;
  }

  publishState(key: string, doc: unknown): void { this.link.publishState(key, doc); }

  publishCommandResult(r: CommandResult): void { this.link.publishCommandResult(JSON.stringify(r)); }

  onCommand(handler: (payload: Buffer) => void): void { this.link.onCommand(handler); }

  /** Cut the pending batch now. */
  flush(): void { this.batcher.flush(); }

  async stop(graceMs?: number): Promise<void> {
    this.batcher.stop();
    await this.link.stop(graceMs);
  }
}
