/**
 * Conformance: Debian's mbpoll reads every register of every simulated Modbus device and the raw
 * words must equal the documented encoding (README "Register maps": raw = round((value − offset)
 * / scale), saturated, big-endian bytes A..D reordered by the point's order) of the true values.
 * The encoder below is written from the documentation, independently of lib/profile/modbus-codec.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from '../../hardware-sim/index.js';
import { expandSimProfile, type SimProfileName } from '../../hardware-sim/profiles.js';
import type { ExpandedPoint } from '../../lib/profile/expand.js';
import { mbpollRead, mbpollWrite, type MbTable } from './mbpoll.js';

const WORDS: Record<string, number> = { bool: 1, int16: 1, uint16: 1, int32: 2, uint32: 2, float32: 2, int64: 4, uint64: 4, float64: 4 };
const BITS: Record<string, [bigint, bigint]> = {
  int16: [-(2n ** 15n), 2n ** 15n - 1n], uint16: [0n, 2n ** 16n - 1n], int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n], int64: [-(2n ** 63n), 2n ** 63n - 1n], uint64: [0n, 2n ** 64n - 1n],
};

/** The README's encoding, independently implemented. */
function documentedEncoding(pt: ExpandedPoint, value: unknown): number[] {
  if (pt.type === 'string') {
    const n = (pt.length ?? 1) * 2;
    const bytes = Array.from({ length: n }, (_, i) => (i < String(value).length ? String(value).charCodeAt(i) : 0));
    return Array.from({ length: n / 2 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  }
  const words = WORDS[pt.type]!;
  const dv = new DataView(new ArrayBuffer(words * 2));
  const scale = pt.scale ?? 1;
  const offset = pt.offset ?? 0;
  if (pt.type === 'float32') dv.setFloat32(0, (Number(value) - offset) / scale);
  else if (pt.type === 'float64') dv.setFloat64(0, (Number(value) - offset) / scale);
  else {
    let raw = typeof value === 'string' ? BigInt(value) : typeof value === 'boolean' ? (value ? 1n : 0n) : BigInt(Math.round((Number(value) - offset) / scale));
    const [lo, hi] = BITS[pt.type] ?? [0n, 1n];
    raw = raw < lo ? lo : raw > hi ? hi : raw;
    const u = raw < 0n ? raw + 2n ** BigInt(words * 16) : raw;
    for (let i = 0; i < words * 2; i++) dv.setUint8(words * 2 - 1 - i, Number((u >> BigInt(8 * i)) & 0xffn));
  }
  const b = Array.from(new Uint8Array(dv.buffer)); // A B C D ... big-endian
  let wire: number[];
  switch (pt.order) {
    case 'ABCD': wire = b; break;
    case 'DCBA': wire = [...b].reverse(); break;
    case 'BADC': wire = b.map((_, i) => b[i ^ 1]!); break;
    case 'CDAB': wire = Array.from({ length: words }, (_, w) => [b[(words - 1 - w) * 2]!, b[(words - 1 - w) * 2 + 1]!]).flat(); break;
  }
  return Array.from({ length: words }, (_, i) => (wire[2 * i]! << 8) | wire[2 * i + 1]!);
}

/** Expected raw value per (table, address) of a device, from the truth snapshot. */
function expectedImage(points: ExpandedPoint[], values: Record<string, unknown>): Map<string, number> {
  const out = new Map<string, number>();
  for (const pt of points) {
    const v = values[pt.name];
    if (v === undefined) throw new Error(`truth has no value for ${pt.name}`);
    if (pt.table === 'coil' || pt.table === 'discrete') { out.set(`${pt.table}:${pt.address}`, v ? 1 : 0); continue; }
    documentedEncoding(pt, v).forEach((w, i) => out.set(`${pt.table}:${pt.address + i}`, w));
  }
  return out;
}

/** Contiguous-ish runs of mapped addresses, at most 100 items each. */
function ranges(addresses: number[]): [number, number][] {
  const sorted = [...new Set(addresses)].sort((a, b) => a - b);
  const out: [number, number][] = [];
  for (const a of sorted) {
    const last = out[out.length - 1];
    if (last && a - last[0] < 100 && a - last[1] <= 20) last[1] = a; else out.push([a, a]);
  }
  return out;
}

let h: SimHandle;
const port = (id: string) => h.endpoints.find((e) => e.id === id)!.port!;

beforeAll(async () => {
  h = await startSimulator({ timeScale: 0, opcuaEnabled: false, config: { racksPerRoom: 2, pduRacks: 4 } });
  // Interesting values: a hot rack charging in BR1, zone z2 on battery (negative currents).
  h.startScenario('thermal-runaway-fast', { room: 'BR1', rack: 2 });
  await h.injectFault({ kind: 'ups-fault', zone: 'z2', mode: 'rectifier' });
  h.advance(480);
});
afterAll(async () => { await h?.stop(); });

const DEVICES: [string, SimProfileName, number][] = [
  ['ups-z1', 'sim-ups', 1], ['ups-z2', 'sim-ups', 1], ['bms-br1', 'sim-bms', 1], ['bms-br2', 'sim-bms', 1], ['fire-br1', 'sim-fire-io', 1],
  ['ats-1', 'sim-ats', 1], ['meters-1', 'sim-meters', 1], ['pdu-gw-1', 'sim-pdu', 3],
];

describe('every register map read with mbpoll equals the documented encoding of the truth', () => {
  for (const [id, profile, unit] of DEVICES) {
    it(`${id} (${profile}, unit ${unit})`, async () => {
      const server = h.sim.server(id)!;
      const points = expandSimProfile(profile, server.spec.params).points;
      const truth = server.snapshot(unit);
      const expected = expectedImage(points, truth);
      let compared = 0;
      for (const table of ['coil', 'discrete', 'input', 'holding'] as MbTable[]) {
        const addrs = [...expected.keys()].filter((k) => k.startsWith(`${table}:`)).map((k) => Number(k.split(':')[1]));
        for (const [from, to] of ranges(addrs)) {
          const r = await mbpollRead(port(id), table, from, to - from + 1, { unit });
          expect(r.error, `${id} ${table} ${from}..${to}`).toBeUndefined();
          r.values.forEach((v, i) => {
            const want = expected.get(`${table}:${from + i}`);
            if (want === undefined) return;
            compared++;
            expect(table === 'input' || table === 'holding' ? v & 0xffff : v, `${id} ${table}:${from + i}`).toBe(want);
          });
        }
      }
      expect(compared).toBe(expected.size);
    });
  }

  it('shows the physics in the raw words: hot rack, z2 discharging, meters word-swapped', () => {
    const t = h.truth();
    const rack = t.rooms[0]!.racks[1]!;
    expect(rack.temperatureC).toBeGreaterThan(60);
    expect(t.devices['bms-br2']!['rack.1.current']).toBeLessThan(0);
    expect(t.devices['ups-z2']!['ups.status.onbattery']).toBe(true);
    expect(t.devices['fire-br1']!['rack.2.offgas']).toBe(true);
    expect(Number(t.devices['meters-1']!['meter.intake.energy'])).toBeGreaterThan(2 ** 32);
  });
});

describe('writes, unit ids and faults as mbpoll sees them', () => {
  it('a coil write trips the breaker: aux contact follows after 0.2 s, current stops, the write is logged', async () => {
    const w = await mbpollWrite(port('fire-br1'), 'coil', 100 + 8 * 0, 1); // rack.1.breaker.open.cmd
    expect(w.error).toBeUndefined();
    expect((await mbpollRead(port('fire-br1'), 'discrete', 103, 1)).values).toEqual([0]);
    h.advance(0.25);
    expect((await mbpollRead(port('fire-br1'), 'discrete', 103, 1)).values).toEqual([1]);
    expect((await mbpollRead(port('fire-br1'), 'input', 102, 1)).values).toEqual([0]);
    const log = h.sim.writes.list().filter((e) => e.device === 'fire-br1');
    expect(log.at(-1)).toMatchObject({ point: 'rack.1.breaker.open.cmd', value: true, accepted: true, table: 'coil', address: 100, unitId: 1 });
    expect(log.at(-1)!.who).toMatch(/^modbus:127\.0\.0\.1:\d+$/);
  });

  it('a holding-register write changes the ATS delay; a write to a read-only coil address is refused and logged', async () => {
    expect((await mbpollWrite(port('ats-1'), 'holding', 0, 55)).error).toBeUndefined();
    expect(h.truth().power.ats.delayS).toBeCloseTo(5.5, 6);
    const bad = await mbpollWrite(port('fire-br1'), 'coil', 50, 1);
    expect(bad.error).toMatch(/Illegal data address/);
    expect(h.sim.writes.list().at(-1)).toMatchObject({ device: 'fire-br1', address: 50, accepted: false });
  });

  it('the PDU gateway answers each rack unit id and refuses others with exception 0x0B', async () => {
    const ok = await mbpollRead(port('pdu-gw-1'), 'input', 2, 1, { unit: 4 });
    expect(ok.values).toEqual([Math.round(h.truth().pdus[3]!.sideAW)]);
    const bad = await mbpollRead(port('pdu-gw-1'), 'input', 0, 2, { unit: 30 });
    expect(bad.error).toMatch(/Target device failed to respond/);
  });

  it('exception on an address range; offline device stops answering; both clear', async () => {
    const ex = await h.injectFault({ kind: 'exception', device: 'bms-br1', table: 'input', from: 1000, to: 1010, code: 2 });
    expect((await mbpollRead(port('bms-br1'), 'input', 1005, 2)).error).toMatch(/Illegal data address/);
    expect((await mbpollRead(port('bms-br1'), 'input', 0, 2)).error).toBeUndefined();
    const off = await h.injectFault({ kind: 'offline', device: 'ups-z3' });
    expect((await mbpollRead(port('ups-z3'), 'input', 0, 2, { timeoutS: 0.3 })).error).toMatch(/timed out/i);
    h.clearFault(ex);
    h.clearFault(off);
    expect((await mbpollRead(port('bms-br1'), 'input', 1005, 2)).error).toBeUndefined();
    expect((await mbpollRead(port('ups-z3'), 'input', 0, 2)).values).toHaveLength(2);
  });

  it('a building power cut with devices offline silences every Modbus device at once', async () => {
    const id = await h.injectFault({ kind: 'building-power-cut', offline: true });
    for (const dev of ['fire-br1', 'bms-br2', 'meters-1']) expect((await mbpollRead(port(dev), 'input', 0, 1, { timeoutS: 0.3 })).error, dev).toMatch(/timed out/i);
    h.clearFault(id);
    expect((await mbpollRead(port('fire-br1'), 'input', 0, 1)).error).toBeUndefined();
  });

  it('stuck, offset and single-sample spike change only the reported value', async () => {
    const p = port('fire-br1');
    const before = (await mbpollRead(p, 'input', 104, 1)).values[0]!; // rack.2.probe.a.temperature
    const stuck = await h.injectFault({ kind: 'stuck', device: 'fire-br1', point: 'rack.2.probe.a.temperature' });
    const off = await h.injectFault({ kind: 'offset', device: 'fire-br1', point: 'rack.2.probe.b.temperature', delta: 15 });
    const b0 = Math.round((h.truth().rooms[0]!.racks[1]!.probeBC) * 10);
    h.advance(120);
    expect((await mbpollRead(p, 'input', 104, 1)).values[0]).toBe(before);
    const b1 = Math.round((h.truth().rooms[0]!.racks[1]!.probeBC + 15) * 10);
    expect(b1).not.toBe(b0 + 150);
    expect((await mbpollRead(p, 'input', 105, 1)).values[0]).toBe(b1);
    h.clearFault(stuck); h.clearFault(off);
    await h.injectFault({ kind: 'spike', device: 'fire-br1', point: 'rack.1.probe.a.temperature', value: 75 });
    expect((await mbpollRead(p, 'input', 100, 1)).values[0]).toBe(750);
    expect((await mbpollRead(p, 'input', 100, 1)).values[0]).toBeLessThan(500);
  });
});
