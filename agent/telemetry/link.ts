/**
 * The agent's MQTT link to the server's broker: persistent session (clean: false, fixed client id),
 * QoS 1, retained status `online` on connect and last will `offline`, retained birth message, and
 * a drain loop that empties the store-and-forward buffer in order through one transaction at a
 * time (a window of messages in flight). Anything not acknowledged is requeued by the buffer, and
 * removed from mqtt.js's own resend store, so the buffer is the only place a message waits.
 */
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';
import type { Logger } from '../../lib/log.js';
import { topic, type AgentStatus } from '../../lib/mqtt-contract.js';
import type { Metrics } from '../health/metrics.js';
import type { BufferItem, StoreBuffer } from '../buffer/types.js';

export type LinkState = 'connecting' | 'up' | 'down';

/** A telemetry batch the broker refused this many times in a row is dropped (counted). */
export const POISON_ATTEMPTS = 5;

export interface LinkOptions {
  url: string;
  site: string;
  agent: string;
  version: string;
  clientId?: string;
  username?: string;
  password?: string;
  /** 4 = MQTT 3.1.1 (default; any broker), 5 = MQTT 5. */
  protocolVersion?: 4 | 5;
  reconnectPeriodMs?: number;
  connectTimeoutMs?: number;
  keepaliveS?: number;
  /** Messages in flight per transaction (default 16). */
  window?: number;
  /** A transaction not fully acknowledged after this long is requeued (default 10 s). */
  ackTimeoutMs?: number;
}

export class MqttLink {
  private client: MqttClient | null = null;
  private state: LinkState = 'down';
  private draining = false;
  private stopping = false;
  private readonly retained = new Map<string, string>();
  private reconnects = 0;
  private lastError = '';
  private commandHandler: ((payload: Buffer) => void) | null = null;
  /** The head message that failed last and how often in a row (a message the broker always refuses). */
  private poison = { key: '', count: 0 };
  /** Command results waiting for the link (bounded; commands expire within 10 s anyway). */
  private results: string[] = [];

  constructor(
    private readonly opts: LinkOptions,
    private readonly buffer: StoreBuffer,
    private readonly birth: () => string,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {}

  get linkState(): LinkState { return this.state; }
  get clientId(): string { return this.opts.clientId ?? `dcim-${this.opts.site}-${this.opts.agent}`; }

  private status(state: 'online' | 'offline'): string {
    const s: AgentStatus = { v: 1, state, ts: Date.now(), version: this.opts.version, epoch: this.buffer.epoch };
    return JSON.stringify(s);
  }

  start(): void {
    const { site, agent } = this.opts;
    const options: IClientOptions = {
      clientId: this.clientId,
      clean: false,
      protocolVersion: this.opts.protocolVersion ?? 4,
      reconnectPeriod: this.opts.reconnectPeriodMs ?? 1000,
      connectTimeout: this.opts.connectTimeoutMs ?? 10_000,
      keepalive: this.opts.keepaliveS ?? 15,
      resubscribe: false,
      queueQoSZero: false,
      will: { topic: topic(site, agent, 'status'), payload: Buffer.from(this.status('offline')), qos: 1, retain: true },
      ...(this.opts.protocolVersion === 5 ? { properties: { sessionExpiryInterval: 0xffffffff } } : {}),
    };
    if (this.opts.username) options.username = this.opts.username;
    if (this.opts.password) options.password = this.opts.password;
    this.state = 'connecting';
    const client = mqtt.connect(this.opts.url, options);
    this.client = client;
    client.on('connect', () => {
      if (this.state !== 'up') this.log.info({ url: this.opts.url, clientId: this.clientId }, 'link up');
      this.state = 'up';
      this.lastError = '';
      this.publishRetained(topic(site, agent, 'status'), this.status('online'));
      this.publishRetained(topic(site, agent, 'birth'), this.birth());
      for (const [t, body] of this.retained) this.publishRetained(t, body);
      if (this.commandHandler) client.subscribe(topic(site, agent, 'cmd'), { qos: 1 }, () => { /* errors come as 'error' */ });
      for (const body of this.results.splice(0)) this.publishCommandResult(body);
      this.kick();
    });
    client.on('close', () => {
      if (this.state === 'up') {
        this.log.warn({ url: this.opts.url }, 'link down: buffering to store-and-forward');
        this.metrics.inc('dcim_link_disconnects_total', {}, 1, 'times the link to the broker was lost');
      }
      if (!this.stopping) this.state = 'down';
      this.cancelInFlight();
    });
    client.on('message', (t, payload) => {
      if (t === topic(site, agent, 'cmd')) {
        try { this.commandHandler?.(payload); } catch (err) { this.log.error({ err: (err as Error).message }, 'command handler failed'); }
      }
    });
    client.on('reconnect', () => { this.reconnects++; this.state = 'connecting'; });
    client.on('error', (err) => {
      if (err.message !== this.lastError) this.log.warn({ err: err.message }, 'link error');
      this.lastError = err.message;
      this.metrics.inc('dcim_link_errors_total', { reason: (err as NodeJS.ErrnoException).code ?? 'mqtt' }, 1, 'link errors by reason');
    });
  }

  /** Commands from the server (`cmd`, QoS 1); subscribed on every connect. Set before start(). */
  onCommand(handler: (payload: Buffer) => void): void {
    this.commandHandler = handler;
    if (this.state === 'up') this.client?.subscribe(topic(this.opts.site, this.opts.agent, 'cmd'), { qos: 1 });
  }

  /** The edge's verdict on a command (`cmd/result`, QoS 1); held in memory while the link is down. */
  publishCommandResult(body: string): void {
    const hold = () => { this.results.push(body); if (this.results.length > 1000) this.results.shift(); };
    if (this.state !== 'up' || !this.client) { hold(); return; }
    // Not acknowledged (link lost meanwhile): held and sent again on the next connect.
    this.client.publish(topic(this.opts.site, this.opts.agent, 'cmd/result'), body, { qos: 1 }, (err) => { if (err && !this.stopping) hold(); });
  }

  /** Retained state document (state/{key}); re-published on every connect, latest value wins. */
  publishState(key: string, doc: unknown): void {
    const t = topic(this.opts.site, this.opts.agent, `state/${key}`);
    const body = JSON.stringify(doc);
    this.retained.set(t, body);
    if (this.state === 'up') this.publishRetained(t, body);
  }

  private publishRetained(t: string, body: string): void {
    this.client?.publish(t, body, { qos: 1, retain: true }, () => { /* re-sent on the next connect anyway */ });
  }

  /** Drop whatever mqtt.js still holds for resending: the buffer requeues it instead. */
  private cancelInFlight(): void {
    const c = this.client as unknown as { outgoing?: Record<string, unknown> } | null;
    if (!c?.outgoing || !this.client) return;
    for (const id of Object.keys(c.outgoing)) this.client.removeOutgoingMessage(Number(id));
  }

  /** Try to empty the buffer now (after an add, on connect). */
  kick(): void {
    if (this.draining || this.state !== 'up' || this.stopping) return;
    void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.state === 'up' && this.buffer.len > 0 && this.client?.connected) {
        const tx = this.buffer.begin(this.opts.window ?? 16);
        const acked = await this.publishAll(tx.items);
        if (acked === tx.items.length) { this.buffer.end(tx, true); this.poison = { key: '', count: 0 }; continue; }
        const stuck = tx.items[acked]!;
        const key = `${stuck.stream}/${stuck.seq}`;
        this.poison = { key, count: this.poison.key === key ? this.poison.count + 1 : 1 };
        if (stuck.stream === 'telemetry' && this.poison.count >= POISON_ATTEMPTS) {
          // The broker refuses this one message again and again (size limit, ACL): it would block
          // the queue forever. Telemetry may be dropped (counted); events never are.
          this.log.error({ seq: stuck.seq, bytes: stuck.body.length, attempts: this.poison.count }, 'telemetry batch refused by the broker repeatedly: dropped');
          this.metrics.inc('dcim_link_poison_dropped_total', {}, 1, 'telemetry batches dropped after the broker refused them repeatedly');
          this.buffer.end(tx, acked + 1);
          this.poison = { key: '', count: 0 };
        } else {
          this.buffer.end(tx, acked);
        }
        this.metrics.inc('dcim_link_requeued_total', {}, tx.items.length - acked, 'messages requeued after a failed delivery');
        break;
      }
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'drain failed');
    } finally {
      this.draining = false;
    }
    // Items added while the last transaction was in flight.
    if (this.state === 'up' && this.buffer.len > 0 && this.client?.connected && !this.stopping) setImmediate(() => this.kick());
  }

  /** Publish items in order; resolves with the length of the acknowledged prefix. */
  private publishAll(items: readonly BufferItem[]): Promise<number> {
    const client = this.client!;
    const { site, agent } = this.opts;
    return new Promise((resolve) => {
      const ok = new Array<boolean>(items.length).fill(false);
      let left = items.length;
      const timer = setTimeout(() => this.cancelInFlight(), this.opts.ackTimeoutMs ?? 10_000);
      const done = () => {
        clearTimeout(timer);
        let k = 0;
        while (k < ok.length && ok[k]) k++;
        resolve(k);
      };
      if (!left) { done(); return; }
      items.forEach((it, i) => {
        const body = it.historical ? `{"historical":true,${it.body.slice(1)}` : it.body;
        client.publish(topic(site, agent, it.stream), body, { qos: 1 }, (err) => {
          if (!err) {
            ok[i] = true;
            this.metrics.inc('dcim_published_messages_total', { stream: it.stream, historical: String(Boolean(it.historical)) }, 1, 'messages acknowledged by the broker');
            this.metrics.inc('dcim_published_bytes_total', { stream: it.stream }, Buffer.byteLength(body), 'bytes acknowledged by the broker');
          }
          if (--left === 0) done();
        });
      });
    });
  }

  /** Send what is queued (bounded by `graceMs`), mark the agent offline, disconnect. */
  async stop(graceMs = 2000): Promise<void> {
    const client = this.client;
    if (!client) return;
    const deadline = Date.now() + graceMs;
    while (client.connected && (this.buffer.len > 0 || this.draining) && Date.now() < deadline) {
      this.kick();
      await new Promise((r) => setTimeout(r, 20));
    }
    this.stopping = true;
    if (client.connected) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(100, deadline - Date.now()));
        client.publish(topic(this.opts.site, this.opts.agent, 'status'), this.status('offline'), { qos: 1, retain: true }, () => { clearTimeout(t); resolve(); });
      });
    }
    while (this.draining) await new Promise((r) => setTimeout(r, 10));
    this.cancelInFlight();
    await client.endAsync(true);
    this.client = null;
    this.state = 'down';
  }

  get reconnectCount(): number { return this.reconnects; }
}
