/**
 * The operational side's own MQTT connection: publishes signed commands (QoS 1) and consumes
 * command results. When no data-plane ingest feeds events (onEvent), it also subscribes to agent
 * events and status (with `shared`, a shared subscription `$share/dcim-ops/...` so several
 * replicas split them). Every payload is validated against lib/mqtt-contract.ts; a malformed one
 * is counted in `rejected` and dropped, never thrown.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { Value } from '@sinclair/typebox/value';
import { AgentEvent, AgentStatus, CommandResult, NAMESPACE, parseTopic } from '../../lib/mqtt-contract.js';
import type { Logger } from '../../lib/log.js';
import type { Ops } from '../ops.js';

export interface LinkOptions { url: string; username?: string; password?: string; events: boolean; clientId?: string; /** shared subscription for events (Mosquitto, EMQX...) */ shared?: boolean }

export class OpsLink {
  private client: MqttClient | null = null;
  readonly stats = { received: 0, rejected: 0, published: 0 };
  constructor(private readonly ops: Ops, private readonly o: LinkOptions, private readonly log: Logger) {}

  /**
   * Connect and subscribe. Resolves once connected, or after `connectWaitMs` without a broker: the
   * server then runs (commands answer 503) and the client keeps reconnecting; every (re)connect
   * re-subscribes and re-enables publishing.
   */
  async start(connectWaitMs = 5000): Promise<void> {
    const client = mqtt.connect(this.o.url, { clientId: this.o.clientId ?? `dcim-ops-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      username: this.o.username, password: this.o.password, clean: true, reconnectPeriod: 1000, connectTimeout: 10_000 });
    this.client = client;
    const subs = [`${NAMESPACE}/+/+/cmd/result`, `${NAMESPACE}/+/+/state/fire/+`];
    if (this.o.events) subs.push(`${this.o.shared ? '$share/dcim-ops/' : ''}${NAMESPACE}/+/+/event`, `${NAMESPACE}/+/+/status`);
    client.on('message', (t, payload) => this.onMessage(t, payload));
    client.on('error', (err) => this.log.warn({ err: err.message }, 'mqtt error'));
    client.on('close', () => { if (this.ops.commands.publisher) { this.ops.commands.publisher = null; this.log.warn('mqtt link down: commands unavailable'); } });
    const ready = new Promise<void>((resolve) => {
      client.on('connect', () => {
        void client.subscribeAsync(Object.fromEntries(subs.map((t) => [t, { qos: 1 as const }]))).then(() => {
          this.ops.commands.publisher = { publish: async (topic, payload) => { await client.publishAsync(topic, payload, { qos: 1 }); this.stats.published++; } };
          this.log.info({ broker: this.o.url }, 'mqtt link up');
          resolve();
        }, (err: Error) => this.log.error({ err: err.message }, 'mqtt subscribe failed'));
      });
    });
    await Promise.race([ready, new Promise<void>((r) => setTimeout(r, connectWaitMs).unref())]);
  }

  private reject(why: string, topic: string) {
    this.stats.rejected++;
    if (this.stats.rejected % 1000 === 1) this.log.warn({ topic, why, rejected: this.stats.rejected }, 'mqtt payload rejected');
  }

  onMessage(t: string, payload: Buffer): void {
    this.stats.received++;
    const pt = parseTopic(t);
    if (!pt) return this.reject('not a dcim/v1 topic', t);
    let body: unknown;
    try { body = JSON.parse(payload.toString('utf8')); } catch { return this.reject('not JSON', t); }
    if (pt.channel === 'cmd/result') {
      if (!Value.Check(CommandResult, body)) return this.reject('invalid CommandResult', t);
      this.ops.onCommandResult(pt.site, pt.agent, body);
    } else if (pt.channel === 'event') {
      if (!Value.Check(AgentEvent, body)) return this.reject('invalid AgentEvent', t);
      if (body.site !== pt.site || body.agent !== pt.agent) return this.reject('site/agent differ from topic', t);
      const before = this.ops.counters.eventsRejected;
      this.ops.onEvent(body);
      if (this.ops.counters.eventsRejected > before) this.stats.rejected++;
    } else if (pt.channel === 'status') {
      if (!Value.Check(AgentStatus, body)) return this.reject('invalid AgentStatus', t);
      this.ops.onAgentStatus(pt.site, pt.agent, body.state === 'online', body.ts);
    } else if (pt.channel.startsWith('state/fire/')) {
      if (!body || typeof body !== 'object' || Array.isArray(body)) return this.reject('fire state is not an object', t);
      this.ops.onFireState(pt.site, pt.agent, pt.channel.slice('state/fire/'.length), body as Record<string, unknown>);
    }
  }

  async stop(): Promise<void> {
    this.ops.commands.publisher = null;
    const c = this.client; this.client = null;
    if (c) await c.endAsync(true).catch(() => undefined);
  }
}
