/**
 * A minimal MQTT side for the fire-only host (agent/fire/host.ts): events with gap-free sequence
 * numbers on `event` (QoS 1, kept in order in memory while the broker is away and sent when it
 * returns), retained `state/fire/{zone}`, `cmd/result`, and the `cmd` subscription. In the full
 * agent, the agent's store-and-forward link (agent/telemetry) does this durably; this one keeps
 * its queue in memory only and says so.
 */
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { topic, type AgentEvent, type CommandResult } from '../../lib/mqtt-contract.js';
import type { FireEvent, FirePublisher, ZoneStateDoc } from './publish.js';

export interface FireMqttOptions {
  url: string;
  site: string;
  agent: string;
  onCommand: (payload: Buffer) => void;
  onLink?: (up: boolean) => void;
}

export class FireMqttPublisher implements FirePublisher {
  private client: MqttClient | null = null;
  private seq = 0;
  private readonly epoch = randomUUID();
  private queue: { t: string; body: string; retain: boolean }[] = [];
  private sending = false;
  private connected = false;
  published = 0;

  constructor(private readonly o: FireMqttOptions) {}

  start(): void {
    const c = mqtt.connect(this.o.url, { clientId: `dcim-fire-${this.o.site}-${this.o.agent}`, clean: false, reconnectPeriod: 200, connectTimeout: 2000, protocolVersion: 4 });
    this.client = c;
    c.on('connect', () => {
      this.connected = true;
      this.o.onLink?.(true);
      c.subscribe(topic(this.o.site, this.o.agent, 'cmd'), { qos: 1 });
      void this.flush();
    });
    c.on('close', () => { if (this.connected) this.o.onLink?.(false); this.connected = false; });
    c.on('error', () => { /* reconnects; the queue keeps events */ });
    c.on('message', (t, payload) => { if (t === topic(this.o.site, this.o.agent, 'cmd')) this.o.onCommand(payload); });
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (c) await c.endAsync(true);
  }

  pending(): number { return this.queue.length; }

  publishEvent(e: FireEvent): void {
    const ev: AgentEvent = { v: 1, site: this.o.site, agent: this.o.agent, epoch: this.epoch, seq: ++this.seq, sentAt: Date.now(), ...e, message: e.message.slice(0, 2000) } as AgentEvent;
    this.push(topic(this.o.site, this.o.agent, 'event'), JSON.stringify(ev), false);
  }

  publishState(zone: string, doc: ZoneStateDoc): void {
    const t = topic(this.o.site, this.o.agent, `state/fire/${zone}`);
    this.queue = this.queue.filter((q) => q.t !== t); // latest value only
    this.push(t, JSON.stringify(doc), true);
  }

  publishCommandResult(r: CommandResult): void {
    this.push(topic(this.o.site, this.o.agent, 'cmd/result'), JSON.stringify(r), false);
  }

  private push(t: string, body: string, retain: boolean): void {
    this.queue.push({ t, body, retain });
    void this.flush();
  }

  /** Send in order, one at a time, each acknowledged (QoS 1) before the next leaves the queue. */
  private async flush(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.queue.length && this.connected && this.client) {
        const m = this.queue[0]!;
        try {
          await this.client.publishAsync(m.t, m.body, { qos: 1, retain: m.retain });
          if (this.queue[0] === m) this.queue.shift();
          this.published++;
        } catch {
          break; // connection lost: retry on the next connect
        }
      }
    } finally { this.sending = false; }
  }
}
