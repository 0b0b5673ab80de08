/**
 * The fast sample encoder (influx-rows.ts) writes exactly the text of the straightforward
 * per-row `line()` build it replaced, on generated rows covering shared rows, quality, reasons
 * needing escapes, strings, booleans, integers-as-floats and rows of one series seen apart.
 */
import { describe, expect, it } from 'vitest';
import type { SampleRow } from '../../server/store/backend.js';
import { line, tagText, type FieldValue } from '../../server/store/influx-line.js';
import { SampleLineEncoder } from '../../server/store/influx-rows.js';
import type { PointMeta, Sample } from '../../server/store/types.js';

/** The previous InfluxBackend.writeSamples line build, kept as the reference. */
function reference(rows: SampleRow[]): string[] {
  const groups = new Map<string, { m: string; t: string; ts: number; fields: Array<[string, FieldValue]>; q: number; bad: string[] }>();
  for (const { meta, sample } of rows) {
    const t = tagText(meta.tags);
    const k = `${meta.measurement}${t} ${sample.ts}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { m: meta.measurement, t, ts: sample.ts, fields: [], q: 0, bad: [] }));
    if (sample.value !== null) g.fields.push([meta.field, sample.value]);
    if (sample.q > 0) g.fields.push([`${meta.field}__q`, { int: sample.q }]);
    if (sample.reason !== undefined) g.fields.push([`${meta.field}__r`, sample.reason]);
    if (sample.q === 2) g.bad.push(`${meta.field}:${sample.reason ?? 'bad'}`);
    if (sample.q > g.q) g.q = sample.q;
  }
  const lines: string[] = [];
  for (const g of groups.values()) {
    g.fields.push(['q', { int: g.q }]);
    if (g.bad.length) g.fields.push(['bad', g.bad.join(',')]);
    lines.push(line(g.m, g.t, g.fields, g.ts));
  }
  return lines;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function metas(): PointMeta[] {
  const out: PointMeta[] = [];
  const measurements = ['bms_module', 'ups', 'odd meas,ure'];
  const tagSets: Array<Record<string, string>> = [
    { site: 's1', device: 'bms-1', rack: '1', module: '2' },
    { site: 's1', device: 'ups-1' },
    { site: 's 1', device: 'a=b,c', region: '' },
  ];
  const fields = ['temperature_max', 'input_voltage', 'we ird=,field', 'state'];
  let num = 1;
  for (const measurement of measurements) for (const tags of tagSets) for (const field of fields) {
    out.push({ site: tags.site!, device: tags.device!, name: field, num: num++, measurement, tags, field, type: 'number', counter: false });
  }
  return out;
}

function sample(r: () => number, ts: number): Sample {
  const q = r() < 0.7 ? 0 : r() < 0.5 ? 1 : 2;
  const kinds: Array<Sample['value']> = [r() * 100, Math.round(r() * 10), true, false, 'text "quoted" \\ back', -0, 1e21];
  const value = q === 2 ? null : kinds[Math.floor(r() * kinds.length)]!;
  const s: Sample = { ts, value, q: q as 0 | 1 | 2 };
  if (q > 0 && r() < 0.7) s.reason = ['comm', 'over "range"', 'a,b=c\\d', 'nan'][Math.floor(r() * 4)]!;
  return s;
}

describe('SampleLineEncoder', () => {
  it('writes the same lines as the per-row line() build', () => {
    const ms = metas();
    const enc = new SampleLineEncoder();
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(seed);
      const rows: SampleRow[] = [];
      const n = 1 + Math.floor(r() * 300);
      for (let i = 0; i < n; i++) {
        const meta = ms[Math.floor(r() * ms.length)]!;
        rows.push({ meta, sample: sample(r, 1_700_000_000_000 + Math.floor(r() * 4) * 1000) });
      }
      expect(enc.lines(rows)).toEqual(reference(rows));
    }
  });

  it('keeps one line per series and ts when the points of a row arrive apart', () => {
    const ms = metas();
    const [a, b, c] = [ms[0]!, ms[1]!, ms[4]!];
    const rows: SampleRow[] = [
      { meta: a, sample: { ts: 1000, value: 1, q: 0 } },
      { meta: c, sample: { ts: 1000, value: 2, q: 0 } },
      { meta: b, sample: { ts: 1000, value: null, q: 2, reason: 'comm' } },
    ];
    const lines = new SampleLineEncoder().lines(rows);
    expect(lines).toEqual(reference(rows));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('bms_module,device=bms-1,module=2,rack=1,site=s1 temperature_max=1,input_voltage__q=2i,input_voltage__r="comm",q=2i,bad="input_voltage:comm" 1000');
  });

  it('refuses a non-finite number like line() does', () => {
    const m = metas()[0]!;
    expect(() => new SampleLineEncoder().lines([{ meta: m, sample: { ts: 1, value: Number.NaN, q: 0 } }])).toThrow(RangeError);
  });
});
