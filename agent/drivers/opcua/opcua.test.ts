/**
 * The OPC-UA driver against the simulator's chiller-plant server (node-opcua OPCUAServer on port 0):
 * subscriptions and reads, status codes → quality, unknown nodes, a server restart, writes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../lib/log.js';
import { CoolingPlant } from '../../../hardware-sim/plant/cooling.js';
import { startChillerOpcua, type ChillerOpcuaServer } from '../../../hardware-sim/plant/opcua-server.js';
import { waitFor } from '../../../test/support/ports.js';
import { systemClock, type DriverContext, type RawReading } from '../types.js';
import type { OpcuaProfileSection } from './config.js';
import { OpcuaDriver } from './index.js';

/** Own client certificate store per test file (no race with other files creating the default one). */
const pkiDir = mkdtempSync(join(tmpdir(), 'dcim-opcua-test-pki-'));
afterAll(() => rmSync(pkiDir, { recursive: true, force: true }));

let plant: CoolingPlant;
let server: ChillerOpcuaServer;
beforeAll(async () => {
  plant = new CoolingPlant();
  server = await startChillerOpcua(plant, { port: 0, updateMs: 100 });
});
afterAll(async () => { await server.stop(); });

function recorder() {
  const readings: RawReading[] = [];
  const counts: string[] = [];
  const ctx: DriverContext = {
    log: silentLogger, clock: systemClock,
    sink: (r) => readings.push(...r),
    count: (m, l) => counts.push(`${m}:${l?.reason ?? ''}`),
  };
  const last = (point: string) => [...readings].reverse().find((r) => r.point === point);
  return { readings, counts, ctx, last };
}

const profile: OpcuaProfileSection = {
  points: [
    { name: 'chw.supply.temperature', nodeId: 'ns=1;s=Plant.SupplyTemperature', unit: '°C', samplingIntervalMs: 100, deadband: { type: 'absolute', value: 0.01 } },
    { name: 'tank.level', nodeId: 'ns=1;s=BufferTank.Level', unit: '%', mode: 'read' },
    { name: 'dcim:missing', nodeId: 'ns=1;s=Nope.Nothing' },
  ],
  arrays: [
    { index: 'chiller', count: '$chillers', points: [
      { name: 'chiller.{chiller}.running', nodeId: 'ns=1;s=Chiller{chiller}.Running' },
      { name: 'chiller.{chiller}.setpoint', nodeId: 'ns=1;s=Chiller{chiller}.SupplySetpoint', writable: true },
    ] },
  ],
};

describe('opcua driver', () => {
  it('subscribes and reads, maps status codes to quality, survives a server restart, writes with read-back', async () => {
    const rec = recorder();
    const d = new OpcuaDriver('chiller-plant', {
      pkiDir,
      device: { endpoint: server.endpointUrl, publishingIntervalMs: 100, readIntervalMs: 100, reconnectMaxDelayMs: 400 },
      profile, params: { chillers: 2 },
    });
    await d.start(rec.ctx);
    try {
      await waitFor(() => rec.last('chw.supply.temperature') && rec.last('tank.level') && rec.last('chiller.2.running'), { what: 'first values', timeoutMs: 20_000 });
      expect(d.linkState()).toBe('up');
      expect(typeof rec.last('chw.supply.temperature')!.raw).toBe('number');
      expect(rec.last('chw.supply.temperature')!.error).toBeUndefined();
      expect(typeof rec.last('chiller.1.running')!.raw).toBe('boolean');
      expect(rec.last('dcim:missing')).toMatchObject({ raw: null, error: 'opcua_BadNodeIdUnknown' });
      expect(rec.counts).toContain('driver_errors_total:opcua_BadNodeIdUnknown');

      server.setNodeFault('ns=1;s=Plant.SupplyTemperature', 'bad');
      server.setNodeFault('ns=1;s=BufferTank.Level', 'uncertain');
      await waitFor(() => rec.last('chw.supply.temperature')?.error === 'opcua_BadSensorFailure' && rec.last('tank.level')?.sourceQuality === 'uncertain', { what: 'fault status' });
      expect(rec.last('chw.supply.temperature')!.raw).toBeNull();
      expect(typeof rec.last('tank.level')!.raw).toBe('number');
      server.setNodeFault('ns=1;s=Plant.SupplyTemperature', null);
      server.setNodeFault('ns=1;s=BufferTank.Level', null);
      await waitFor(() => rec.last('chw.supply.temperature')?.error === undefined && rec.last('tank.level')?.sourceQuality === undefined, { what: 'fault cleared' });

      const w = await d.write({ device: 'chiller-plant', point: 'chiller.1.setpoint', value: 8.5 });
      expect(w).toEqual({ ok: true, readBack: 8.5 });
      expect(await d.write({ device: 'chiller-plant', point: 'chiller.1.running', value: true })).toMatchObject({ ok: false, error: /not writable/ });

      const port = server.port;
      await server.stop();
      await waitFor(() => rec.last('chw.supply.temperature')?.error === 'comm_failure', { what: 'comm_failure', timeoutMs: 20_000 });
      expect(d.linkState()).not.toBe('up');
      const bad = rec.readings.filter((r) => r.point === 'tank.level' && r.error === 'comm_failure').length;
      server = await startChillerOpcua(plant, { port, updateMs: 100 });
      await waitFor(() => rec.last('chw.supply.temperature')?.error === undefined && rec.last('tank.level')?.error === undefined, { what: 'values after restart', timeoutMs: 30_000 });
      expect(d.linkState()).toBe('up');
      // Bad points are sent once per transition, not once per failed attempt.
      expect(bad).toBe(1);
    } finally {
      await d.stop();
    }
    expect(d.linkState()).toBe('down');
  });

  it('connects with SignAndEncrypt and user/password from a file; a wrong password gives bad points, never a crash', async () => {
    const secured = await startChillerOpcua(plant, { port: 0, updateMs: 100, user: 'integrator', password: 's3cret' });
    const dir = mkdtempSync(join(tmpdir(), 'dcim-opcua-pw-'));
    writeFileSync(join(dir, 'pw'), 's3cret\n');
    const device = (passwordFile: string) => ({
      endpoint: secured.endpointUrl, securityMode: 'SignAndEncrypt' as const, securityPolicy: 'Basic256Sha256' as const,
      username: 'integrator', passwordFile, publishingIntervalMs: 100, reconnectMaxDelayMs: 400,
    });
    const good = recorder();
    const bad = recorder();
    writeFileSync(join(dir, 'wrong'), 'nope\n');
    const d1 = new OpcuaDriver('chiller-plant', { pkiDir, device: device(join(dir, 'pw')), profile: { points: [profile.points[0]!] } });
    const d2 = new OpcuaDriver('chiller-plant', { pkiDir, device: device(join(dir, 'wrong')), profile: { points: [profile.points[0]!] } });
    try {
      await d1.start(good.ctx);
      await d2.start(bad.ctx);
      await waitFor(() => typeof good.last('chw.supply.temperature')?.raw === 'number', { what: 'secured value', timeoutMs: 20_000 });
      await waitFor(() => bad.last('chw.supply.temperature')?.error, { what: 'refused session', timeoutMs: 20_000 });
      expect(bad.last('chw.supply.temperature')!.error).toMatch(/^opcua_Bad(UserAccessDenied|IdentityTokenRejected|IdentityTokenInvalid)$/);
      expect(d2.linkState()).not.toBe('up');
      expect(bad.counts.some((c) => c.startsWith('driver_errors_total'))).toBe(true);
    } finally {
      await d1.stop();
      await d2.stop();
      await secured.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sample.yaml reads the plant, resolving ns= by namespaceUri', async () => {
    const sample = parse(readFileSync(fileURLToPath(new URL('./sample.yaml', import.meta.url)), 'utf8')) as { opcua: OpcuaProfileSection };
    const rec = recorder();
    const d = new OpcuaDriver('chiller-plant', { pkiDir, device: { endpoint: server.endpointUrl, publishingIntervalMs: 100, readIntervalMs: 100 }, profile: sample.opcua, params: { chillers: 2 } });
    await d.start(rec.ctx);
    try {
      const names = ['chw.supply.temperature', 'chw.return.temperature', 'tank.level', 'chiller.1.running', 'chiller.2.supply.setpoint'];
      await waitFor(() => names.every((n) => rec.last(n) && rec.last(n)!.error === undefined), { what: 'every sample point', timeoutMs: 20_000 });
    } finally {
      await d.stop();
    }
  });
});
