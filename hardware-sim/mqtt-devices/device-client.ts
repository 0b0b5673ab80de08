/**
 * One MQTT connection per simulated device, as a real camera or sensor gateway has: a retained
 * `status` topic (`online` on connect, `offline` as the last will), and an "offline" fault that
 * drops the TCP connection without DISCONNECT so the broker publishes the will, as when a device
 * loses power. setOffline(false) reconnects.
 */
import { connect, type IClientOptions, type MqttClient } from 'mqtt';

export class DeviceConnectError extends Error {
  constructor(device: string, brokerUrl: string, reason: string) {
    super(`simulated device ${device} could not connect to ${brokerUrl}: ${reason}; is the broker running?`);
    this.name = 'DeviceConnectError';
  }
}

let instances = 0;

export interface DeviceClientOptions {
  brokerUrl: string;
  /** Device id (also the MQTT client id suffix). */
  device: string;
  /** Retained status topic; `online` / `offline` (last will). */
  statusTopic: string;
  /** Topics to subscribe to after each connect, with their handler. */
  subscriptions?: Record<string, (payload: Buffer) => void>;
  connectTimeoutMs?: number;
  clientIdPrefix?: string;
}

export class DeviceClient {
  private client: MqttClient | null = null;
  private offline = false;
  /** Messages published (for the control API and tests). */
  published = 0;
  /** Publishes that failed (broker gone, connection closed). */
  publishErrors = 0;

  constructor(private readonly opts: DeviceClientOptions) {}

  get connected(): boolean {
    return !this.offline && (this.client?.connected ?? false);
  }

  get isOffline(): boolean {
    return this.offline;
  }

  async start(): Promise<void> {
    const o = this.opts;
    const options: IClientOptions = {
      // Unique per connection, so two simulated sites in one process never take over each other's session.
      clientId: `${o.clientIdPrefix ?? 'dcim-sim'}-${o.device}-${process.pid}-${++instances}`,
      clean: true,
      keepalive: 30,
      reconnectPeriod: 1000,
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      will: { topic: o.statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
    };
    const client = connect(o.brokerUrl, options);
    this.client = client;
    client.on('connect', () => {
      client.publish(o.statusTopic, 'online', { qos: 1, retain: true });
      const subs = Object.keys(o.subscriptions ?? {});
      if (subs.length) client.subscribe(subs, { qos: 0 });
    });
    client.on('message', (topic, payload) => o.subscriptions?.[topic]?.(payload));
    client.on('error', () => { /* reconnects; failures are counted on publish */ });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.end(true);
        reject(new DeviceConnectError(o.device, o.brokerUrl, `no CONNACK within ${options.connectTimeout} ms`));
      }, options.connectTimeout);
      client.once('connect', () => { clearTimeout(timer); resolve(); });
    });
  }

  /** Publish unless offline or disconnected (a real device drops samples it cannot send). */
  publish(topic: string, payload: Buffer | string, opts: { qos?: 0 | 1; retain?: boolean } = {}): void {
    const c = this.client;
    if (this.offline || !c || !c.connected) return;
    this.published++;
    c.publish(topic, payload, { qos: opts.qos ?? 0, retain: opts.retain ?? false }, (err) => { if (err) this.publishErrors++; });
  }

  /** Power loss (true: connection dropped without DISCONNECT, will published) or power back (false). */
  async setOffline(offline: boolean): Promise<void> {
    if (offline === this.offline) return;
    this.offline = offline;
    if (offline) {
      const c = this.client;
      this.client = null;
      await new Promise<void>((resolve) => (c ? c.end(true, {}, () => resolve()) : resolve()));
    } else {
      await this.start();
    }
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (!c) return;
    // A clean stop: mark offline ourselves, then DISCONNECT (no will).
    if (c.connected) await c.publishAsync(this.opts.statusTopic, 'offline', { qos: 1, retain: true }).catch(() => undefined);
    await c.endAsync(false).catch(() => c.end(true));
  }
}
