/**
 * In-process rig for the fire-runtime requirement tests: the fire I/O plant (real Modbus TCP) and
 * a fire host (real runtime, journal, statechart) on a scaled clock, with an in-memory publisher.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFireHost, type FireHost } from '../../../agent/fire/host.js';
import { MemoryPublisher } from '../../../agent/fire/publish.js';
import type { JournalRecord } from '../../../agent/fire/journal.js';
import { waitFor } from '../../support/ports.js';
import { FirePlant } from './fire-plant.js';

export const TIME_SCALE = 10;

export function fireConfig(racks: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    thresholds: {},
    timings: { onDelayMs: 2000, nozzlePreDischargeMs: 5000, t3Ms: 60000, gasDelayMs: 30000, gasHoldMs: 600000, ...(over.timings as object ?? {}) },
    // Generous feedback timeouts: the tests run on a scaled clock on a shared, loaded machine; tests about timeouts set their own.
    feedback: { breakerMs: 10000, curtainMs: 60000, dischargeMs: 30000, waterMs: 60000, hvacMs: 60000, ...(over.feedback as object ?? {}) },
    zones: [{ id: 'z1', room: 'BR1', fireIo: 'fire-br1', racks }],
    recovery: { fieldReadTimeoutMs: 5000 },
  };
}

export interface Rig {
  plant: FirePlant;
  host: FireHost;
  pub: MemoryPublisher;
  dir: string;
  journal(): JournalRecord[];
  stage(): number;
  until<T>(probe: () => T | undefined | false, what: string, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

export async function startRig(o: { racks?: number; config?: Record<string, unknown>; plant?: FirePlant; dir?: string; timeScale?: number; broker?: string; memory?: boolean } = {}): Promise<Rig> {
  const racks = o.racks ?? 2;
  const plant = o.plant ?? new FirePlant(racks);
  if (!o.plant) await plant.start();
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'dcim-fire-rig-'));
  const pub = new MemoryPublisher();
  const host = await startFireHost({
    site: 'sim1', agent: 'edge-1', journalDir: dir, fire: o.config ?? fireConfig(racks),
    devices: [{ id: 'fire-br1', host: '127.0.0.1', port: plant.port, racks }], pollMs: 50, timeScale: o.timeScale ?? TIME_SCALE, socket: join(dir, 'fire.sock'),
    ...(o.broker ? { broker: o.broker } : {}),
  }, o.broker ? {} : { publisher: pub });
  const zone = host.runtime.zones.get('z1')!;
  return {
    plant, host, pub, dir,
    journal: () => zone.journal.readAll(),
    stage: () => zone.stateDoc().stage,
    until: (probe, what, timeoutMs = 15_000) => waitFor(probe, { what, timeoutMs, intervalMs: 50 }),
    async close() {
      await host.stop();
      if (!o.plant) await plant.stop();
      if (!o.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Points written to the plant, as `point=value` strings in order. */
export const writesOf = (plant: FirePlant) => plant.writes.map((w) => `${w.point}=${w.value ? 1 : 0}`);
