/**
 * Interop: the agent's Modbus driver reads a server we did not write (Debian's python3-pymodbus
 * 3.0, run with /usr/bin/python3) whose register layout is described only by
 * test/interop/pymodbus-profile.yaml; pymodbus encodes the values with its own payload builder.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse } from 'yaml';
import { silentLogger } from '../../lib/log.js';
import type { Point } from '../../lib/points.js';
import { resolveAgentConfig } from '../../agent/config/load.js';
import { normalise, type PointDef } from '../../agent/points/normalise.js';
import { systemClock } from '../../agent/drivers/types.js';
import { createModbusDrivers, type ModbusDriver } from '../../agent/drivers/modbus/index.js';
import { waitFor } from '../support/ports.js';

const PROFILE = 'test/interop/pymodbus-profile.yaml';
const VALUES = 'test/interop/pymodbus-values.yaml';
const values = parse(readFileSync(VALUES, 'utf8')) as { values: Record<string, { raw: unknown; value: unknown }>; expectBits: Record<string, boolean> };

let child: ChildProcess;
let port: number;

beforeAll(async () => {
  child = spawn('/usr/bin/python3', ['test/interop/pymodbus-server.py', '--profile', PROFILE, '--values', VALUES, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += String(d); });
  port = await new Promise<number>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (l) => { const m = /^PORT (\d+)$/.exec(l); if (m) resolve(Number(m[1])); });
    child.once('exit', (code) => reject(new Error(`pymodbus fixture exited ${code}: ${stderr}`)));
  });
}, 20_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  }
});

describe('interop: python3-pymodbus server described by a profile', () => {
  it('the agent reads every type, order, bit field, coil and discrete input with the expected values', async () => {
    const loaded = resolveAgentConfig({
      site: 'interop', agent: 'a1', profiles: [PROFILE],
      pollGroups: { normal: 50 },
      devices: [{ id: 'py-ups', profile: 'interop-ups', modbus: { host: '127.0.0.1', port, timeoutMs: 1000 } }],
    });
    const defs = new Map<string, PointDef>(loaded.devices[0]!.points.map((p) => [p.name, p]));
    const latest = new Map<string, Point>();
    const [driver] = createModbusDrivers(loaded) as [ModbusDriver];
    await driver.start({ log: silentLogger, clock: systemClock, count: () => undefined, sink: (rs) => { for (const r of rs) latest.set(r.point, normalise(r, defs.get(r.point)!, 'interop')); } });
    try {
      const expected: Record<string, unknown> = { ...values.expectBits };
      for (const [name, v] of Object.entries(values.values)) if (v.value !== null) expected[name] = v.value;
      await waitFor(() => Object.keys(expected).every((n) => latest.get(n)?.quality === 'good'), { what: 'every point good', timeoutMs: 10_000 });
      for (const [name, want] of Object.entries(expected)) {
        const p = latest.get(name)!;
        if (typeof want === 'number' && !Number.isInteger(want)) expect(p.value, name).toBeCloseTo(want, 5);
        else expect(p.value, name).toBe(want);
      }
      expect(latest.get('battery.temperature')!.unit).toBe('°C');
      expect(latest.has('ups.status.flags')).toBe(false);
      // A write to the third-party server, read back.
      expect(await driver.write({ device: 'py-ups', point: 'ups.beeper.enabled', value: true })).toEqual({ ok: true, readBack: true });
      await waitFor(() => latest.get('ups.beeper.enabled')?.value === true, { what: 'coil polled as written' });
      expect(driver.linkState()).toBe('up');
    } finally {
      await driver.stop();
    }
  });
});
