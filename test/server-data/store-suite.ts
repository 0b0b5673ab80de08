/**
 * The shared storage suite (SERVER.md R42, R43): the same tests, with the same expected numbers,
 * run against every Store implementation (store.duckdb.test.ts, store.influx.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Point } from '../../lib/points.js';
import { createStore, type StoreConfig } from '../../server/store/index.js';
import type { Store } from '../../server/store/types.js';

export interface StoreHarness {
  /** A fresh, empty store config (own file / database). */
  config(): StoreConfig;
}

/** Midnight UTC three days ago: inside the raw retention of both stores. */
const T0 = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 3 * 86_400_000;
const MIN = 60_000;

function pt(device: string, name: string, ts: number, value: Point['value'], quality: Point['quality'] = 'good', reason?: string): Point {
  const p: Point = { site: 'sim1', device, name, ts, value, quality };
  if (reason) p.reason = reason;
  return p;
}

async function open(h: StoreHarness, cfg = h.config()): Promise<Store> {
  const s = createStore(cfg);
  await s.start();
  return s;
}

export function storeSuite(name: string, h: StoreHarness): void {
  describe(`store suite: ${name}`, () => {
    it('stores values with quality; bad, NaN and type conflicts are stored as absent with their reason', async () => {
      const s = await open(h);
      try {
        const r = await s.write([
          pt('ups-z1', 'ups.load', T0, 41.5),
          pt('ups-z1', 'ups.load', T0 + 1000, 42, 'uncertain', 'stale'),
          pt('ups-z1', 'ups.load', T0 + 2000, null, 'bad', 'timeout'),
          pt('ups-z1', 'ups.load', T0 + 3000, Number.NaN),
          pt('ups-z1', 'ups.load', T0 + 4000, 'high'),
          pt('ups-z1', 'ups.status', T0, 'OL CHRG'),
          pt('ups-z1', 'ups.status.online', T0, true),
          pt('bms-br1', 'rack.3.module.7.temperature.max', T0, 31.25),
        ]);
        expect(r.written).toBe(8);
        expect(r.rejected).toEqual({ timeout: 1, nan: 1, type_conflict: 1 });
        const old = await s.write([pt('ups-z1', 'ups.load', T0 - 40 * 86_400_000, 1)]);
        expect([old.written, old.rejected]).toEqual([0, { beyond_retention: 1 }]);
        const raw = await s.raw({ site: 'sim1', device: 'ups-z1', name: 'ups.load' }, T0, T0 + 10_000);
        expect(raw).toEqual([
          { ts: T0, value: 41.5, q: 0 },
          { ts: T0 + 1000, value: 42, q: 1, reason: 'stale' },
          { ts: T0 + 2000, value: null, q: 2, reason: 'timeout' },
          { ts: T0 + 3000, value: null, q: 2, reason: 'nan' },
          { ts: T0 + 4000, value: null, q: 2, reason: 'type_conflict' },
        ]);
        expect(await s.raw({ site: 'sim1', device: 'ups-z1', name: 'ups.status' }, T0, T0 + 1)).toEqual([{ ts: T0, value: 'OL CHRG', q: 0 }]);
        expect(await s.raw({ site: 'sim1', device: 'ups-z1', name: 'ups.status.online' }, T0, T0 + 1)).toEqual([{ ts: T0, value: true, q: 0 }]);
        expect(await s.raw({ site: 'sim1', device: 'bms-br1', name: 'rack.3.module.7.temperature.max' }, T0, T0 + 1)).toEqual([{ ts: T0, value: 31.25, q: 0 }]);
        const meta = s.points({ device: 'bms-br1' })[0]!;
        expect([meta.measurement, meta.tags, meta.field]).toEqual(['bms_module', { site: 'sim1', device: 'bms-br1', rack: '3', module: '7' }, 'temperature_max']);
      } finally { await s.stop(); }
    });

    it('is idempotent and keeps the newest sample as latest whatever the arrival order', async () => {
      const s = await open(h);
      try {
        const batch = [pt('ups-z2', 'ups.load', T0 + 5000, 50), pt('ups-z2', 'ups.load', T0 + 6000, 60)];
        await s.write(batch);
        await s.write([pt('ups-z2', 'ups.load', T0 + 1000, 10)]); // late
        await s.write(batch); // same batch again
        await s.flushRollups();
        const key = { site: 'sim1', device: 'ups-z2', name: 'ups.load' };
        expect((await s.raw(key, T0, T0 + MIN)).map((x) => x.value)).toEqual([10, 50, 60]);
        expect(await s.rollups(key, '1m', T0, T0 + MIN)).toEqual([{ bucket: T0, min: 10, max: 60, sum: 120, count: 3, first: 10, last: 60, countGood: 3 }]);
        const latest = await s.latest({ site: 'sim1', device: 'ups-z2' });
        expect(latest).toEqual([{ site: 'sim1', device: 'ups-z2', name: 'ups.load', ts: T0 + 6000, value: 60, q: 0 }]);
      } finally { await s.stop(); }
    });

    it('computes 1 min → 15 min → 1 h → 1 day rollups; late data re-opens its buckets', async () => {
      const s = await open(h);
      try {
        const key = { site: 'sim1', device: 'env-sr1', name: 'inlet.temperature' };
        const pts: Point[] = [];
        for (let m = 0; m < 30; m++) pts.push(pt(key.device, key.name, T0 + m * MIN, 20 + m * 0.5, m === 3 ? 'uncertain' : 'good'));
        pts.push(pt(key.device, key.name, T0 + 30 * MIN, null, 'bad', 'comm_failure'));
        await s.write(pts);
        await s.flushRollups();
        const r15 = await s.rollups(key, '15m', T0, T0 + 3_600_000);
        expect(r15).toEqual([
          { bucket: T0, min: 20, max: 27, sum: 352.5, count: 15, first: 20, last: 27, countGood: 14 },
          { bucket: T0 + 15 * MIN, min: 27.5, max: 34.5, sum: 465, count: 15, first: 27.5, last: 34.5, countGood: 15 },
          { bucket: T0 + 30 * MIN, min: null, max: null, sum: 0, count: 0, first: null, last: null, countGood: 0 },
        ]);
        const d = await s.aggregate(key, '1d', T0, T0 + 86_400_000, 'mean');
        expect(d).toEqual([{ bucket: T0, value: (352.5 + 465) / 30, count: 30, countGood: 29 }]);
        // A sample 5 min late lands in minute 2: its 1-min and 15-min buckets are recomputed.
        await s.write([pt(key.device, key.name, T0 + 2 * MIN + 30_000, 45)]);
        await s.flushRollups();
        expect(await s.rollups(key, '1m', T0 + 2 * MIN, T0 + 3 * MIN)).toEqual([{ bucket: T0 + 2 * MIN, min: 21, max: 45, sum: 66, count: 2, first: 21, last: 45, countGood: 2 }]);
        expect((await s.aggregate(key, '15m', T0, T0 + 15 * MIN, 'max'))[0]!.value).toBe(45);
        expect((await s.aggregate(key, '1h', T0, T0 + 3_600_000, 'count'))[0]!.value).toBe(31);
      } finally { await s.stop(); }
    });

    it('computes counter deltas with wrap, reset and coverage (R05)', async () => {
      const s = await open(h);
      try {
        const wrap = { site: 'sim1', device: 'pdu-gw-1', name: 'pdu.a.energy' };
        await s.write([pt(wrap.device, wrap.name, T0, 4_294_967_000), pt(wrap.device, wrap.name, T0 + 10_000, 200)]);
        const reset = { site: 'sim1', device: 'meters-1', name: 'meter.other.energy' };
        await s.write([pt(reset.device, reset.name, T0, 9_000_000), pt(reset.device, reset.name, T0 + 10_000, 12)]);
        // One day of utility counter at 1 Wh/s sampled every 30 s, 90 min missing → coverage 93.75 %.
        const day = { site: 'sim1', device: 'meters-1', name: 'meter.intake.energy' };
        const pts: Point[] = [];
        for (let t = 0; t <= 86_400_000; t += 30_000) {
          if (t > 36_000_000 && t < 36_000_000 + 5_400_000) continue;
          pts.push(pt(day.device, day.name, T0 + t, 1_000_000 + t / 1000));
        }
        await s.write(pts);
        await s.flushRollups();
        const w = await s.counterDeltas(wrap, T0, T0 + 900_000);
        expect(w.map((r) => [r.delta, r.wraps, r.resets])).toEqual([[496, 1, 0]]);
        const rs = await s.counterDeltas(reset, T0, T0 + 900_000);
        expect(rs.map((r) => [r.delta, r.wraps, r.resets])).toEqual([[12, 0, 1]]);
        const rows = await s.counterDeltas(day, T0, T0 + 86_400_000);
        expect(rows).toHaveLength(96);
        const total = rows.reduce((a, r) => a + r.delta, 0);
        const cov = rows.reduce((a, r) => a + r.coverage, 0) / 96;
        expect(total).toBeCloseTo(86_400, 6);
        expect(cov).toBeCloseTo(0.9375, 3);
      } finally { await s.stop(); }
    });

    it('records batches and computes gaps (R42); a replay closes the gap', async () => {
      const s = await open(h);
      try {
        const rec = (seq: number, sentAt: number, historical = false) => ({ site: 'sim1', agent: 'agent-1', stream: 'telemetry' as const, epoch: 'e1', seq, sentAt, receivedAt: sentAt + 5, count: 10, historical });
        await s.recordBatch(rec(41, T0 + 41_000));
        await s.recordBatch(rec(45, T0 + 45_000));
        await s.recordBatch(rec(45, T0 + 45_000)); // duplicate
        expect(await s.gaps({ agent: 'agent-1' })).toEqual([{ site: 'sim1', agent: 'agent-1', stream: 'telemetry', epoch: 'e1', fromSeq: 42, toSeq: 44, missing: 3, start: T0 + 41_000, end: T0 + 45_000 }]);
        for (const seq of [43, 42, 44]) await s.recordBatch(rec(seq, T0 + seq * 1000, true));
        expect(await s.gaps({ agent: 'agent-1' })).toEqual([]);
        expect((await s.batches({ agent: 'agent-1' })).map((b) => [b.seq, b.historical])).toEqual([[41, false], [42, true], [43, true], [44, true], [45, false]]);
      } finally { await s.stop(); }
    });

    it('stores KPI rows and keeps the point registry across a restart', async () => {
      const cfg = h.config();
      let s = await open(h, cfg);
      const kpi = { site: 'sim1', scope: 'site', scopeId: 'sim1', kpi: 'pue', category: '1', period: 'P1D', periodStart: T0, periodEnd: T0 + 86_400_000, value: 1.4, coverage: 1, quality: 0 as const, inputs: { e_dc_kwh: 33_600, e_it_kwh: 24_000 } };
      try {
        await s.write([pt('ups-z3', 'ups.load', T0, 12)]);
        await s.writeKpis([kpi, { ...kpi, kpi: 'dcie', value: 71.43, inputs: {} }]);
        await s.writeKpis([kpi]);
      } finally { await s.stop(); }
      s = await open(h, cfg);
      try {
        expect(s.points().map((m) => m.name)).toEqual(['ups.load']);
        expect(await s.kpis({ site: 'sim1', kpi: 'pue' })).toEqual([kpi]);
        expect((await s.kpis({ site: 'sim1' })).map((k) => k.kpi)).toEqual(['dcie', 'pue']);
        expect((await s.raw({ site: 'sim1', device: 'ups-z3', name: 'ups.load' }, T0, T0 + 1))[0]!.value).toBe(12);
      } finally { await s.stop(); }
    });

    it('refuses unbounded tag keys at startup (cardinality guard)', () => {
      const cfg = h.config();
      expect(() => createStore({ ...cfg, layout: { deviceTags: { 'ups-z1': { alarm_id: 'A-17' } } } })).toThrow(/alarm_id.*not allowed/);
    });
  });
}
