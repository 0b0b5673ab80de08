/** An agent config + profile in a temp folder, reading one Modbus device whose registers the test drives. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

export const TEST_PROFILE = {
  profile: 'test-counter',
  description: 'A test device: a counter the test advances and a fire-relevant temperature',
  protocol: 'modbus',
  modbus: {
    points: [
      { name: 'battery.charge', table: 'holding', address: 0, type: 'uint16', unit: '%' },
      { name: 'battery.temperature', table: 'holding', address: 1, type: 'int16', scale: 0.1, unit: '°C', fire: true },
    ],
  },
};

export interface SetupOptions {
  dir: string;
  brokerUrl: string;
  modbusPort: number;
  agent?: string;
  pollMs?: number;
  batchMaxMs?: number;
  extraDevices?: Record<string, unknown>[];
}

/** Writes `<dir>/profiles/test-counter.yaml` and `<dir>/agent.yaml`; returns the config path. */
export function writeAgentSetup(o: SetupOptions): string {
  mkdirSync(join(o.dir, 'profiles'), { recursive: true });
  writeFileSync(join(o.dir, 'profiles', 'test-counter.yaml'), stringify(TEST_PROFILE));
  const config = {
    site: 'sim1',
    agent: o.agent ?? 'edge-t',
    dataDir: 'data',
    broker: { url: o.brokerUrl },
    profiles: ['profiles'],
    pollGroups: { normal: o.pollMs ?? 100 },
    devices: [
      { id: 'dev-1', profile: 'test-counter', room: 'BR1', zone: 'z1', modbus: { host: '127.0.0.1', port: o.modbusPort, unitId: 1, timeoutMs: 300 } },
      ...(o.extraDevices ?? []),
    ],
    telemetry: { batchMaxPoints: 1000, batchMaxMs: o.batchMaxMs ?? 200, deadband: 0, heartbeatMs: 1000 },
    health: { port: 0 },
  };
  const file = join(o.dir, 'agent.yaml');
  writeFileSync(file, stringify(config));
  return file;
}
