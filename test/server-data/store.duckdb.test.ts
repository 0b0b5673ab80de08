/** The shared storage suite on the embedded DuckDB store (one temp file per test). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { storeSuite } from './store-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'dcim-duck-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

storeSuite('duckdb', { config: () => ({ kind: 'duckdb', path: join(dir, `store-${++n}.duckdb`) }) });

describe('duckdb retention', () => {
  it('deletes raw samples past 30 days, keeps the 1-min rollups (13 months), compacts duplicates', async () => {
    const { createStore } = await import('../../server/store/index.js');
    const now = Date.now();
    const s = createStore({ kind: 'duckdb', path: ':memory:', now: () => now });
    await s.start();
    try {
      const old = Math.floor((now - 29 * 86_400_000) / 60_000) * 60_000;
      const batch = [{ site: 'sim1', device: 'ups-z1', name: 'ups.load', ts: old, value: 5, quality: 'good' as const }, { site: 'sim1', device: 'ups-z1', name: 'ups.load', ts: now - 1000, value: 6, quality: 'good' as const }];
      await s.write(batch);
      await s.write(batch); // written twice: read once, compacted by applyRetention
      await s.flushRollups();
      const deleted = await s.applyRetention(now + 2 * 86_400_000);
      expect(deleted).toEqual({ sample: 2, rollup_1m: 0, rollup_15m: 0, duplicates: 1 });
      const key = { site: 'sim1', device: 'ups-z1', name: 'ups.load' };
      expect((await s.raw(key, old, now)).map((x) => x.value)).toEqual([6]);
      expect((await s.rollups(key, '1m', old, old + 60_000))[0]!.max).toBe(5);
    } finally { await s.stop(); }
  });
});
