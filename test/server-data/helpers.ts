/** Test helpers: contract-conformant agent payloads (lib/mqtt-contract.ts types) and a publisher. */
import mqtt, { type MqttClient } from 'mqtt';
import { topic, type AgentEvent, type TelemetryBatch } from '../../lib/mqtt-contract.js';
import type { WirePoint } from '../../lib/points.js';

export function telemetry(agent: string, seq: number, points: WirePoint[], opts: { site?: string; epoch?: string; sentAt?: number; historical?: boolean } = {}): TelemetryBatch {
  const b: TelemetryBatch = { v: 1, site: opts.site ?? 'sim1', agent, epoch: opts.epoch ?? 'e1', seq, sentAt: opts.sentAt ?? points[0]?.t ?? 0, points };
  if (opts.historical) b.historical = true;
  return b;
}

export function event(agent: string, seq: number, e: Partial<AgentEvent> & Pick<AgentEvent, 'kind' | 'ts' | 'message'>): AgentEvent {
  return { v: 1, site: 'sim1', agent, epoch: 'e1', seq, sentAt: e.ts, ...e };
}

export class Publisher {
  private constructor(readonly client: MqttClient) {}

  static async connect(url: string, clientId = `test-agent-${process.pid}-${Math.random().toString(36).slice(2, 8)}`): Promise<Publisher> {
    return new Publisher(await mqtt.connectAsync(url, { clientId, clean: true }));
  }

  async telemetry(b: TelemetryBatch): Promise<void> {
    await this.client.publishAsync(topic(b.site, b.agent, 'telemetry'), JSON.stringify(b), { qos: 1 });
  }

  async event(e: AgentEvent): Promise<void> {
    await this.client.publishAsync(topic(e.site, e.agent, 'event'), JSON.stringify(e), { qos: 1 });
  }

  async raw(t: string, payload: string): Promise<void> {
    await this.client.publishAsync(t, payload, { qos: 1 });
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}
