/** Test helpers for the agent's telemetry: a subscriber that collects and de-duplicates by sequence. */
import mqtt, { type MqttClient } from 'mqtt';
import type { AgentEvent, TelemetryBatch } from '../../lib/mqtt-contract.js';

export interface Collected {
  client: MqttClient;
  telemetry: TelemetryBatch[];
  events: AgentEvent[];
  retained: Map<string, unknown>;
  /** Every message in arrival order (topic, payload). */
  all: { topic: string; body: unknown }[];
  close(): Promise<void>;
}

/** Subscribe to an agent's namespace with a persistent QoS 1 session (so nothing is missed across broker restarts). */
export async function collect(url: string, site: string, agent: string, clientId = `test-sub-${Math.random().toString(36).slice(2, 8)}`): Promise<Collected> {
  const client = mqtt.connect(url, { clientId, clean: false, reconnectPeriod: 200, protocolVersion: 4 });
  const c: Collected = {
    client, telemetry: [], events: [], retained: new Map(), all: [],
    async close() { await client.endAsync(true); },
  };
  client.on('message', (t, payload, packet) => {
    let body: unknown;
    try { body = JSON.parse(payload.toString('utf8')); } catch { body = payload.toString('utf8'); }
    c.all.push({ topic: t, body });
    if (packet.retain) c.retained.set(t, body);
    if (t.endsWith('/telemetry')) c.telemetry.push(body as TelemetryBatch);
    else if (t.endsWith('/event')) c.events.push(body as AgentEvent);
    else c.retained.set(t, body);
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => {
      client.subscribe(`dcim/v1/${site}/${agent}/#`, { qos: 1 }, (err) => (err ? reject(err) : resolve()));
    });
    client.once('error', reject);
  });
  return c;
}

/** De-duplicate by (epoch, seq), keeping the first copy; asserts nothing about order. */
export function dedup<T extends { epoch: string; seq: number }>(xs: T[]): T[] {
  const seen = new Set<string>();
  return xs.filter((x) => {
    const k = `${x.epoch}/${x.seq}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Mosquitto started as root drops to the `mosquitto` user, which cannot write the temp persistence
 * folder test/support/mosquitto.ts makes (0700, root): then a restart loses every session. Keep root.
 */
/** test/support/mosquitto.ts already keeps sessions across a broker restart (it runs the broker as root when we are root). */
export const BROKER_KEEPS_SESSIONS = {};
