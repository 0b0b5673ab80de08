/**
 * Interop: the agent's telemetry read back with Debian's `mosquitto_sub` (a client we did not
 * write) from a real Mosquitto; every payload matches the MQTT contract's schemas.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/log.js';
import { AgentBirth, AgentEvent, AgentStatus, TelemetryBatch } from '../../lib/mqtt-contract.js';
import { createAgent } from '../../agent/agent.js';
import { loadAgentConfig } from '../../agent/config/load.js';
import { FixtureServer } from '../../agent/drivers/modbus/fixture-server.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { writeAgentSetup } from '../agent/fixtures.js';

const MOSQUITTO_SUB = process.env.MOSQUITTO_SUB_BIN ?? '/usr/bin/mosquitto_sub';

let broker: Mosquitto;
let modbus: FixtureServer;
let dir: string;
beforeAll(async () => {
  broker = await startMosquitto();
  modbus = new FixtureServer({ registers: { holding: { 0: [42, 233] } } });
  await modbus.start(0);
  dir = mkdtempSync(join(tmpdir(), 'dcim-interop-'));
});
afterAll(async () => {
  await modbus.stop();
  await broker.stop();
  rmSync(broker.dir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

/** Run mosquitto_sub until it has `count` messages; returns [topic, payload] pairs. */
function mosquittoSub(topicFilter: string, count: number): Promise<[string, string][]> {
  return new Promise((resolve, reject) => {
    const p = spawn(MOSQUITTO_SUB, ['-h', '127.0.0.1', '-p', String(broker.port), '-t', topicFilter, '-q', '1', '-v', '-C', String(count), '-W', '30', '-i', 'interop-sub'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    p.once('error', reject);
    p.once('exit', (code) => {
      if (code !== 0) { reject(new Error(`mosquitto_sub exited ${code}: ${err}`)); return; }
      resolve(out.split('\n').filter(Boolean).map((line) => {
        const i = line.indexOf(' ');
        return [line.slice(0, i), line.slice(i + 1)] as [string, string];
      }));
    });
  });
}

describe('interop with mosquitto_sub', () => {
  it('reads the agent\'s status, birth, events and telemetry, all valid against the contract', async () => {
    const file = writeAgentSetup({ dir, brokerUrl: broker.url, modbusPort: modbus.port, agent: 'edge-i' });
    const agent = createAgent({ loaded: loadAgentConfig(file), log: silentLogger });
    const received = mosquittoSub('dcim/v1/sim1/edge-i/#', 12);
    await agent.start();
    let msgs: [string, string][];
    const epoch = agent.epoch;
    try {
      msgs = await received;
    } finally {
      await agent.stop();
    }
    const byChannel = (c: string) => msgs.filter(([t]) => t === `dcim/v1/sim1/edge-i/${c}`).map(([, p]) => JSON.parse(p) as unknown);
    const status = byChannel('status');
    const births = byChannel('birth');
    const telemetry = byChannel('telemetry');
    const events = byChannel('event');
    expect(status.length).toBeGreaterThanOrEqual(1);
    expect(births.length).toBeGreaterThanOrEqual(1);
    expect(telemetry.length).toBeGreaterThanOrEqual(3);
    for (const s of status) expect(Value.Check(AgentStatus, s)).toBe(true);
    for (const b of births) expect(Value.Check(AgentBirth, b)).toBe(true);
    for (const t of telemetry) expect([...Value.Errors(TelemetryBatch, t)].map((e) => `${e.path} ${e.message}`)).toEqual([]);
    for (const e of events) expect(Value.Check(AgentEvent, e)).toBe(true);
    expect(status[0]).toMatchObject({ v: 1, state: 'online', epoch });
    expect(births[0]).toMatchObject({ epoch, devices: [{ id: 'dev-1', protocol: 'modbus' }] });
    const pts = (telemetry as TelemetryBatch[]).flatMap((b) => b.points);
    expect(pts).toContainEqual(expect.objectContaining({ d: 'dev-1', n: 'battery.charge', v: 42, q: 0 }));
    expect(pts).toContainEqual(expect.objectContaining({ d: 'dev-1', n: 'battery.temperature', v: 23.3, q: 0 }));
    const seqs = (telemetry as TelemetryBatch[]).map((b) => b.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });
});
