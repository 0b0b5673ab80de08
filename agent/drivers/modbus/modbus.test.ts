/**
 * Golden test cases (STYLE.md lesson 9): every folder in testcases/ holds a device config
 * (device.yaml, a complete agent config), a profile (profile.yaml), the fixture registers the
 * in-process Modbus server serves (server.yaml) and either the expected points (expected.jsonl)
 * or the expected config errors (expected-error.txt, `*` matches the rest of a line).
 *
 * expected.jsonl lines, processed in order:
 *   {"device"?, "name", "value", "quality", "reason"?, "unit"?}  wait until the latest point matches
 *   {"step": "stop-server" | "start-server" | "mark"}            switch the device off / on (same port)
 *   {"step": "set", "table", "address", "value"}                  change a fixture register
 *   {"step": "write", "device"?, "point", "value", "expect"}      driver.write(), result must match
 *   {"check": "link" | "maxInFlight" | "counted" | "absent" | "register" | "units-polled" | "fewer-requests" | "more-often" | "alive-cycles-since-mark", ...}
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { ConfigError, formatIssue } from '../../../lib/config/load.js';
import { silentLogger } from '../../../lib/log.js';
import type { Point } from '../../../lib/points.js';
import { loadAgentConfig } from '../../config/load.js';
import { normalise, type PointDef } from '../../points/normalise.js';
import { systemClock, type RawReading } from '../types.js';
import { FixtureServer, type FixtureSpec } from './fixture-server.js';
import { ModbusDriver, ModbusEndpointPool, modbusDriverConfig } from './index.js';
import type { ModbusTable } from '../../../lib/profile/modbus-schema.js';
import { waitFor } from '../../../test/support/ports.js';

const CASES_DIR = fileURLToPath(new URL('./testcases/', import.meta.url));
const cases = readdirSync(CASES_DIR).filter((n) => statSync(join(CASES_DIR, n)).isDirectory()).sort();

type Line = Record<string, unknown>;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

function matches(p: Point | undefined, want: Line): boolean {
  if (!p) return false;
  for (const k of ['value', 'quality', 'reason', 'unit'] as const) {
    if (k in want && !Object.is(p[k] ?? null, want[k] ?? null) && p[k] !== want[k]) return false;
  }
  return true;
}

function wildcard(line: string, actual: string): boolean {
  return line.endsWith('*') ? actual.startsWith(line.slice(0, -1)) : line === actual;
}

describe('Modbus golden test cases', () => {
  it('finds the cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(12);
  });

  for (const name of cases) {
    it(name, { timeout: 30_000 }, async () => {
      const dir = join(CASES_DIR, name);
      const errFile = join(dir, 'expected-error.txt');
      if (existsSync(errFile)) {
        const want = readFileSync(errFile, 'utf8').trim().split('\n');
        let got: string[] = [];
        try { loadAgentConfig(join(dir, 'device.yaml')); } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
          got = e.issues.map((i) => formatIssue({ ...i, file: i.file.replace(dir + '/', '') }));
        }
        expect(got.length, got.join('\n')).toBe(want.length);
        want.forEach((w, i) => expect(wildcard(w, got[i]!), `line ${i + 1}: want ${w}\n got ${got[i]}`).toBe(true));
        return;
      }

      const spec = (existsSync(join(dir, 'server.yaml')) ? parse(readFileSync(join(dir, 'server.yaml'), 'utf8')) : {}) as FixtureSpec;
      const server = new FixtureServer(spec);
      const port = await server.start(0);
      cleanups.push(() => server.stop());

      const loaded = loadAgentConfig(join(dir, 'device.yaml'));
      const latest = new Map<string, Point>();
      const reads = new Map<string, number>();
      const cyclesOf = new Map<string, number>();
      const counts = new Map<string, number>();
      const count = (metric: string, labels: Record<string, string> = {}) => {
        const k = `${metric}${JSON.stringify(Object.fromEntries(Object.entries(labels).sort()))}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      };
      const pool = new ModbusEndpointPool();
      const drivers = new Map<string, ModbusDriver>();
      for (const dev of loaded.devices) {
        const defs = new Map<string, PointDef>(dev.points.map((p) => [p.name, p]));
        const cfg = modbusDriverConfig(dev, loaded.config.pollGroups);
        cfg.modbus = { ...cfg.modbus, port };
        const driver = new ModbusDriver(cfg, { pool });
        drivers.set(dev.id, driver);
        await driver.start({
          log: silentLogger,
          clock: systemClock,
          count,
          sink: (rs: RawReading[]) => {
            cyclesOf.set(dev.id, (cyclesOf.get(dev.id) ?? 0) + 1);
            for (const r of rs) {
              const def = defs.get(r.point);
              expect(def, `reading for unknown point ${r.point}`).toBeDefined();
              latest.set(`${r.device}/${r.point}`, normalise(r, def!, loaded.config.site, count));
              reads.set(`${r.device}/${r.point}`, (reads.get(`${r.device}/${r.point}`) ?? 0) + 1);
            }
          },
        });
      }
      cleanups.push(async () => { await Promise.all([...drivers.values()].map((d) => d.stop())); });
      const firstDevice = loaded.devices[0]!.id;
      const counted = (metric: string, labels: Record<string, string>) => counts.get(`${metric}${JSON.stringify(Object.fromEntries(Object.entries(labels).sort()))}`) ?? 0;

      const lines = readFileSync(join(dir, 'expected.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Line);
      let block: Line[] = [];
      let mark = new Map<string, number>();
      const flush = async () => {
        if (!block.length) return;
        const want = block;
        block = [];
        await waitFor(() => want.every((w) => matches(latest.get(`${String(w.device ?? firstDevice)}/${String(w.name)}`), w)), {
          timeoutMs: 10_000,
          what: `${name}: ${want.filter((w) => !matches(latest.get(`${String(w.device ?? firstDevice)}/${String(w.name)}`), w)).map((w) => `${String(w.name)}=${JSON.stringify(w)} got ${JSON.stringify(latest.get(`${String(w.device ?? firstDevice)}/${String(w.name)}`), (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`).join('; ')}`,
        });
      };
      for (const l of lines) {
        if (l.name !== undefined && l.check === undefined && l.step === undefined) { block.push(l); continue; }
        await flush();
        if (l.step === 'stop-server') await server.stop();
        else if (l.step === 'start-server') await server.start(port);
        else if (l.step === 'set') server.set(l.table as ModbusTable, l.address as number, l.value as number);
        else if (l.step === 'mark') mark = new Map(cyclesOf);
        else if (l.step === 'write') {
          const res = await drivers.get(String(l.device ?? firstDevice))!.write({ device: String(l.device ?? firstDevice), point: String(l.point), value: l.value as number | boolean });
          expect(res, `write ${String(l.point)}`).toMatchObject(l.expect as object);
        } else if (l.check === 'link') {
          await waitFor(() => drivers.get(String(l.device))!.linkState() === l.state, { what: `${String(l.device)} link ${String(l.state)}` });
        } else if (l.check === 'maxInFlight') {
          expect(server.stats.maxInFlight).toBeLessThanOrEqual(l.max as number);
          expect(server.stats.requests).toBeGreaterThan(20);
        } else if (l.check === 'fewer-requests') {
          // Back-off: the dead unit is asked far less often than the live one behind the same endpoint.
          const dead = server.stats.byUnit[l.unit as number] ?? 0;
          const alive = server.stats.byUnit[l.than as number] ?? 0;
          expect(dead * (l.factor as number), `unit ${String(l.unit)}: ${dead} requests, unit ${String(l.than)}: ${alive}`).toBeLessThan(alive);
        } else if (l.check === 'more-often') {
          // Poll groups: wait for `after` reads of the slower point, then compare counts.
          const dev = String(l.device ?? firstDevice);
          const slow = `${dev}/${String(l.than)}`;
          await waitFor(() => (reads.get(slow) ?? 0) >= (l.after as number), { what: `${slow} read ${String(l.after)} times` });
          const nSlow = reads.get(slow)!;
          const nFast = reads.get(`${dev}/${String(l.name)}`) ?? 0;
          expect(nFast, `${String(l.name)} read ${nFast} times, ${String(l.than)} ${nSlow} times`).toBeGreaterThanOrEqual((l.factor as number) * nSlow);
        } else if (l.check === 'units-polled') {
          expect(Object.keys(server.stats.byUnit)).toHaveLength(l.count as number);
        } else if (l.check === 'counted') {
          const n = counted(String(l.metric), l.labels as Record<string, string>);
          if (typeof l.exactly === 'number') expect(n).toBe(l.exactly); else expect(n).toBeGreaterThan(0);
        } else if (l.check === 'absent') {
          expect(latest.has(`${String(l.device ?? firstDevice)}/${String(l.name)}`)).toBe(false);
        } else if (l.check === 'register') {
          expect(server.get(l.table as ModbusTable, l.address as number)).toBe(l.value);
        } else if (l.check === 'alive-cycles-since-mark') {
          const dev = String(l.device);
          const from = mark.get(dev) ?? 0;
          await waitFor(() => (cyclesOf.get(dev) ?? 0) - from >= (l.min as number), { what: `${dev} keeps polling` });
          expect(latest.get(`${dev}/test.a`)?.quality).toBe('good');
        } else throw new Error(`${name}: unknown expected.jsonl line ${JSON.stringify(l)}`);
      }
      await flush();
      // Never more than one request in flight per endpoint, in every case.
      expect(server.stats.maxInFlight).toBeLessThanOrEqual(1);
    });
  }
});
