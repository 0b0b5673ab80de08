/**
 * MQTT device driver: subscribes to a device's topics on its broker, extracts values from JSON by
 * path (decode.ts), takes the device's own timestamp when the profile names one, enforces the
 * payload size limit and the topic's JSON schema. Malformed payloads become bad-quality points and
 * counted events (`mqtt_payload_errors_total{device,reason}`), never a crash. Broker loss marks
 * every point bad (`comm_failure`) once; mqtt.js reconnects and resubscribes.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import mqtt, { type MqttClient } from 'mqtt';
import type { Driver, DriverContext, DeviceLinkState } from '../types.js';
import { MQTT_DEVICE_DEFAULTS, type MqttDeviceConfig, type MqttProfileSection } from './config.js';
import { decodeMessage, type Validator } from './decode.js';
import { expandMqttProfile, type Subscription } from './expand.js';

export interface MqttDriverOptions {
  device: MqttDeviceConfig;
  profile: MqttProfileSection;
  params?: Record<string, number>;
  /** Site id, for `{site}` in topics. */
  site: string;
  /** Agent id, for the default client id. */
  agent?: string;
  /** The device's room (config `room`), for `{room}` in topics. */
  room?: string;
}

const ajv = new Ajv({ allErrors: false, strict: false });

export class MqttDeviceDriver implements Driver {
  private ctx: DriverContext | null = null;
  private client: MqttClient | null = null;
  private subs = new Map<string, { sub: Subscription; validate?: Validator }>();
  private state: DeviceLinkState = 'down';
  private badSent = false;
  private readonly logged = new Set<string>();

  constructor(readonly deviceId: string, private readonly opts: MqttDriverOptions) {}

  linkState(): DeviceLinkState { return this.state; }

  /** Every subscription of this device (expanded), for the agent's staleness limits. */
  subscriptions(): Subscription[] { return [...this.subs.values()].map((s) => s.sub); }

  async start(ctx: DriverContext): Promise<void> {
    this.ctx = ctx;
    try {
      for (const sub of expandMqttProfile(this.opts.profile, { site: this.opts.site, device: this.deviceId, params: this.opts.params, ...(this.opts.room !== undefined ? { room: this.opts.room } : {}) })) {
        this.subs.set(sub.topic, { sub, ...(sub.spec.schema ? { validate: ajv.compile(sub.spec.schema) as Validator } : {}) });
      }
    } catch (err) {
      ctx.log.error({ device: this.deviceId, err: (err as Error).message }, 'mqtt device profile cannot be used');
      ctx.count('driver_errors_total', { device: this.deviceId, reason: 'config_error' });
      return;
    }
    const d = this.opts.device;
    let password = d.password;
    if (password === undefined && d.passwordFile) {
      try { password = readFileSync(d.passwordFile, 'utf8').split(/\r?\n/)[0]; } catch (err) {
        ctx.log.error({ device: this.deviceId, err: (err as Error).message }, 'mqtt device passwordFile unreadable');
        ctx.count('driver_errors_total', { device: this.deviceId, reason: 'config_error' });
        this.markAllBad('config_error');
        return;
      }
    }
    this.state = 'connecting';
    const client = mqtt.connect(d.broker, {
      clientId: d.clientId ?? `dcim-${this.opts.agent ?? 'agent'}-${this.deviceId}`.slice(0, 64),
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      protocolVersion: 4,
      ...(d.username ? { username: d.username } : {}),
      ...(password !== undefined ? { password } : {}),
    });
    this.client = client;
    const qos = d.qos ?? MQTT_DEVICE_DEFAULTS.qos;
    client.on('connect', () => {
      const topics = Object.fromEntries([...this.subs.keys()].map((t) => [t, { qos }]));
      client.subscribe(topics, (err) => {
        if (err) { this.once('subscribe', `subscribe failed: ${err.message}`); ctx.count('driver_errors_total', { device: this.deviceId, reason: 'subscribe' }); return; }
        if (this.state !== 'up') ctx.log.info({ device: this.deviceId, topics: this.subs.size }, 'mqtt device up');
        this.state = 'up';
        this.badSent = false;
      });
    });
    client.on('close', () => {
      if (this.state === 'up') ctx.log.warn({ device: this.deviceId }, 'mqtt device broker lost');
      if (!this.client) return; // stopped
      this.state = 'down';
      this.markAllBad('comm_failure');
    });
    client.on('error', (err) => { this.once(`error:${err.message}`, err.message); ctx.count('driver_errors_total', { device: this.deviceId, reason: 'comm_failure' }); });
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
  }

  private onMessage(topic: string, payload: Buffer): void {
    const ctx = this.ctx!;
    const entry = this.subs.get(topic);
    if (!entry) return;
    const t0 = ctx.clock.monotonic();
    const maxBytes = this.opts.device.maxPayloadBytes ?? MQTT_DEVICE_DEFAULTS.maxPayloadBytes;
    let decoded;
    try {
      decoded = decodeMessage(entry.sub, this.deviceId, payload, ctx.clock.now(), { maxBytes, ...(entry.validate ? { validate: entry.validate } : {}) });
    } catch (err) {
      // decodeMessage does not throw; this guards the agent against the unforeseen.
      decoded = { readings: entry.sub.points.map((p) => ({ device: this.deviceId, point: p.name, raw: null, ts: ctx.clock.now(), error: 'parse_error' })), problems: ['parse_error'], detail: (err as Error).message };
    }
    for (const reason of new Set(decoded.problems)) {
      ctx.count('mqtt_payload_errors_total', { device: this.deviceId, reason });
      this.once(`${topic}:${reason}`, `payload problem on ${topic}: ${reason}${decoded.detail ? ` (${decoded.detail.slice(0, 200)})` : ''}`);
    }
    if (decoded.readings.length) ctx.sink(decoded.readings);
    ctx.observe?.('message_decode_ms', ctx.clock.monotonic() - t0, { device: this.deviceId });
  }

  /** Log a problem once per kind (the counters carry the rate). */
  private once(key: string, message: string): void {
    if (this.logged.has(key)) return;
    this.logged.add(key);
    this.ctx?.log.warn({ device: this.deviceId }, message);
  }

  private markAllBad(reason: string): void {
    if (this.badSent || !this.ctx) return;
    this.badSent = true;
    const now = this.ctx.clock.now();
    const readings = [...this.subs.values()].flatMap((s) => s.sub.points.map((p) => ({ device: this.deviceId, point: p.name, raw: null, ts: now, error: reason })));
    if (readings.length) this.ctx.sink(readings);
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = null;
    this.state = 'down';
    if (c) await c.endAsync(true);
  }
}
