/**
 * Golden cases, one folder each (testcases/<name>/): profile.yaml (an agent profile, validated by
 * the real loader), plant.yaml (sensor faults and overrides applied to the simulator's chiller
 * plant server before the driver starts) and expected.jsonl (the latest point per name after the
 * normaliser). One plant server on port 0 for the file; cases run one after another.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../lib/config/load.js';
import { silentLogger } from '../../../lib/log.js';
import type { Point } from '../../../lib/points.js';
import { CoolingPlant } from '../../../hardware-sim/plant/cooling.js';
import { startChillerOpcua, type ChillerOpcuaServer, type NodeFaultKind } from '../../../hardware-sim/plant/opcua-server.js';
import { waitFor } from '../../../test/support/ports.js';
import { Profile, profileParams } from '../../config/profile-schema.js';
import { devicePoints } from '../../config/points.js';
import { normaliseAll } from '../../points/normalise.js';
import { systemClock } from '../types.js';
import { OpcuaDriver } from './index.js';

/** Own client certificate store per test file (no race with other files creating the default one). */
const pkiDir = mkdtempSync(join(tmpdir(), 'dcim-opcua-test-pki-'));
afterAll(() => rmSync(pkiDir, { recursive: true, force: true }));

const ROOT = fileURLToPath(new URL('./testcases/', import.meta.url));
interface PlantSetup { faults?: { nodeId: string; kind: NodeFaultKind }[]; overrides?: { nodeId: string; stuckAt: number | boolean | string }[] }

let server: ChillerOpcuaServer;
beforeAll(async () => { server = await startChillerOpcua(new CoolingPlant(), { port: 0, updateMs: 100 }); });
afterAll(async () => { await server.stop(); });

describe('opcua golden cases', () => {
  for (const name of readdirSync(ROOT).sort()) {
    it(name, async () => {
      const dir = join(ROOT, name);
      const profile = loadConfigFile(join(dir, 'profile.yaml'), Profile);
      const plant = parse(readFileSync(join(dir, 'plant.yaml'), 'utf8')) as PlantSetup ?? {};
      const expected = readFileSync(join(dir, 'expected.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { name: string; value: unknown; quality: string; reason?: string });
      const { values: params } = profileParams(profile, {});
      const defs = new Map(devicePoints(profile, params, 'normal').defs.map((d) => [d.name, d]));
      for (const f of plant.faults ?? []) server.setNodeFault(f.nodeId, f.kind);
      for (const o of plant.overrides ?? []) server.setNodeOverride(o.nodeId, { stuckAt: o.stuckAt });
      const last = new Map<string, Point>();
      const d = new OpcuaDriver('plant', { pkiDir, device: { endpoint: server.endpointUrl, publishingIntervalMs: 100, readIntervalMs: 100 }, profile: profile.opcua!, params });
      await d.start({ log: silentLogger, clock: systemClock, count: () => {}, sink: (r) => { for (const p of normaliseAll(r, defs, 'sim1')) last.set(p.name, p); } });
      const view = (n: string) => { const p = last.get(n); return p ? { value: p.value, quality: p.quality, reason: p.reason } : undefined; };
      const want = (e: (typeof expected)[number]) => ({ value: e.value, quality: e.quality, reason: e.reason });
      try {
        await waitFor(() => expected.every((e) => JSON.stringify(view(e.name)) === JSON.stringify(want(e))), { what: `expected points of ${name}`, timeoutMs: 15_000 }).catch(() => undefined);
        for (const e of expected) expect(view(e.name), e.name).toEqual(want(e));
      } finally {
        await d.stop();
        for (const f of plant.faults ?? []) server.setNodeFault(f.nodeId, null);
        for (const o of plant.overrides ?? []) server.setNodeOverride(o.nodeId, null);
      }
    });
  }
});
