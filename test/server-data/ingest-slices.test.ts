/**
 * Ingest cuts a large group commit into `slicePoints` pieces and lets the event loop run between
 * them (so alarm events of the same process are not stuck behind a big write), while every point
 * is still written once, in order, before the batch is recorded and acknowledged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/log.js';
import type { Point, WirePoint } from '../../lib/points.js';
import { startIngest } from '../../server/ingest/ingest.js';
import { createStore } from '../../server/store/index.js';
import type { Store } from '../../server/store/types.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { waitFor } from '../support/ports.js';
import { Publisher, telemetry } from './helpers.js';

const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;

describe('ingest slices its work (real Mosquitto)', () => {
  let broker: Mosquitto;
  let pub: Publisher;
  beforeAll(async () => {
    broker = await startMosquitto();
    pub = await Publisher.connect(broker.url);
  });
  afterAll(async () => {
    await pub?.close();
    await broker?.stop();
  });

  it('writes a 2,000-point batch as four 500-point writes with the event loop running in between', async () => {
    const real = createStore({ kind: 'duckdb', path: ':memory:' });
    await real.start();
    const timeline: string[] = [];
    const written: Point[] = [];
    let ticks = 0;
    // Writes resolve without I/O here, so only ingest's own yields let a macrotask run between them.
    const write = async (pts: Point[]) => {
      timeline.push(`write ${pts.length}`);
      setImmediate(() => timeline.push(`tick ${++ticks}`));
      written.push(...pts);
      return { written: pts.length, rejected: {} };
    };
    const store = new Proxy(real, {
      get(t, k) {
        if (k === 'write') return write;
        const v = Reflect.get(t, k) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    }) as Store;
    const hooked: number[] = [];
    const ing = await startIngest({
      brokerUrl: broker.url, store, log: silentLogger, clientId: `slices-${Math.random().toString(36).slice(2)}`,
      subscription: `$share/slices/dcim/v1/+/+/#`, connections: 1, rollupIntervalMs: 0, slicePoints: 500,
      onPoints: (pts) => hooked.push(pts.length),
    });
    try {
      const points: WirePoint[] = Array.from({ length: 2000 }, (_, i) => ({ d: 'bms-1', n: `rack.${i % 40 + 1}.module.${Math.floor(i / 40) + 1}.temperature.max`, v: i, t: T0, q: 0 }));
      await pub.telemetry(telemetry('agent-s', 1, points));
      await pub.telemetry(telemetry('agent-s', 1, points)); // duplicate: dropped by the sequence tracker
      await waitFor(() => ing.stats().received === 2, { what: 'both messages' });
      await ing.flush();
      const writes = timeline.filter((e) => e.startsWith('write'));
      expect(writes).toEqual(['write 500', 'write 500', 'write 500', 'write 500']);
      // A macrotask ran before each later write: the loop was not held for the whole batch.
      for (let i = 1; i < timeline.length; i++) {
        if (timeline[i]!.startsWith('write')) expect(timeline[i - 1]).toMatch(/^tick/);
      }
      expect(written.map((p) => p.value)).toEqual(points.map((p) => p.v));
      expect(ing.stats()).toMatchObject({ points: 2000, batches: 1, duplicates: 1, writes: 4 });
      expect(hooked).toEqual([2000]);
      expect((await real.batches({ site: 'sim1', agent: 'agent-s' })).map((b) => b.count)).toEqual([2000]);
    } finally {
      await ing.stop();
      await real.stop();
    }
  });
});
