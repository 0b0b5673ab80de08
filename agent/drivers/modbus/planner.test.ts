import { describe, expect, it } from 'vitest';
import { planRequests, type PlanPoint, type PlanLimits } from './planner.js';

const L: PlanLimits = { maxRegisters: 125, maxBits: 2000, maxGap: 0 };
const h = (address: number, count = 1): PlanPoint => ({ table: 'holding', address, count });
const shape = (pts: PlanPoint[], limits: Partial<PlanLimits> = {}) => {
  const plan = planRequests(pts, { ...L, ...limits });
  return { reqs: plan.requests.map((r) => `${r.table}@${r.address}+${r.length}:${r.items.map((it) => `${it.index}/${it.offset}`).join(',')}`), unreadable: plan.unreadable };
};

describe('planRequests (table)', () => {
  const cases: { name: string; points: PlanPoint[]; limits?: Partial<PlanLimits>; want: string[]; unreadable?: number[] }[] = [
    { name: 'empty', points: [], want: [] },
    { name: 'contiguous registers merge', points: [h(0), h(1), h(2, 2)], want: ['holding@0+4:0/0,1/1,2/2'] },
    { name: 'unsorted input is sorted, indexes kept', points: [h(2, 2), h(0), h(1)], want: ['holding@0+4:1/0,2/1,0/2'] },
    { name: 'gap above maxGap splits', points: [h(0), h(5)], limits: { maxGap: 3 }, want: ['holding@0+1:0/0', 'holding@5+1:1/0'] },
    { name: 'gap up to maxGap merges (4 unused registers)', points: [h(0), h(5)], limits: { maxGap: 4 }, want: ['holding@0+6:0/0,1/5'] },
    { name: 'maxGap 0 still merges touching values', points: [h(0, 2), h(2, 2)], want: ['holding@0+4:0/0,1/2'] },
    { name: 'never beyond 125 words', points: [h(0, 100), h(100, 25), h(125)], want: ['holding@0+125:0/0,1/100', 'holding@125+1:2/0'] },
    { name: 'a 4-word value is not split across reads', points: [h(0, 123), h(123, 4)], want: ['holding@0+123:0/0', 'holding@123+4:1/0'] },
    { name: 'device workaround maxRegistersPerRequest 10', points: Array.from({ length: 25 }, (_, i) => h(i)), limits: { maxRegisters: 10 }, want: ['holding@0+10:0/0,1/1,2/2,3/3,4/4,5/5,6/6,7/7,8/8,9/9', 'holding@10+10:10/0,11/1,12/2,13/3,14/4,15/5,16/6,17/7,18/8,19/9', 'holding@20+5:20/0,21/1,22/2,23/3,24/4'] },
    { name: 'tables are never mixed; order coil, discrete, holding, input', points: [{ table: 'input', address: 0, count: 1 }, h(0), { table: 'coil', address: 0, count: 1 }, { table: 'discrete', address: 1, count: 1 }], want: ['coil@0+1:2/0', 'discrete@1+1:3/0', 'holding@0+1:1/0', 'input@0+1:0/0'] },
    { name: 'bits merge up to 2000', points: [{ table: 'coil', address: 0, count: 1 }, { table: 'coil', address: 1999, count: 1 }, { table: 'coil', address: 2000, count: 1 }], limits: { maxGap: 2000 }, want: ['coil@0+2000:0/0,1/1999', 'coil@2000+1:2/0'] },
    { name: 'overlapping points share a read (word and a value inside it)', points: [h(10, 2), h(10, 1), h(11, 1)], want: ['holding@10+2:0/0,1/0,2/1'] },
    { name: 'a point longer than the limit is unreadable, others still planned', points: [h(0, 64), h(100)], limits: { maxRegisters: 60 }, want: ['holding@100+1:1/0'], unreadable: [0] },
    { name: 'a value past register 65535 is unreadable', points: [h(65534, 4), h(65535)], want: ['holding@65535+1:1/0'], unreadable: [0] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(shape(c.points, c.limits)).toEqual({ reqs: c.want, unreadable: c.unreadable ?? [] });
    });
  }

  it('every point is covered exactly once by a request that contains it, within limits (property over many layouts)', () => {
    let seed = 7;
    const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
    for (let run = 0; run < 200; run++) {
      const limits = { maxRegisters: 1 + rnd(125), maxBits: 1 + rnd(2000), maxGap: rnd(20) };
      const pts: PlanPoint[] = Array.from({ length: 1 + rnd(60) }, () => {
        const table = (['coil', 'discrete', 'holding', 'input'] as const)[rnd(4)]!;
        return { table, address: rnd(400), count: table === 'coil' || table === 'discrete' ? 1 : [1, 2, 4, 8][rnd(4)]! };
      });
      const plan = planRequests(pts, limits);
      const seen = new Map<number, number>();
      for (const r of plan.requests) {
        const max = r.table === 'coil' || r.table === 'discrete' ? limits.maxBits : limits.maxRegisters;
        expect(r.length).toBeLessThanOrEqual(max);
        for (const it of r.items) {
          const p = pts[it.index]!;
          expect(p.table).toBe(r.table);
          expect(r.address + it.offset).toBe(p.address);
          expect(it.offset + p.count).toBeLessThanOrEqual(r.length);
          seen.set(it.index, (seen.get(it.index) ?? 0) + 1);
        }
      }
      for (const u of plan.unreadable) seen.set(u, (seen.get(u) ?? 0) + 1);
      expect([...seen.values()].every((n) => n === 1) && seen.size === pts.length).toBe(true);
    }
  });
});
