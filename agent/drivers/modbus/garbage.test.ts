/**
 * Garbage from a device never crashes the driver and is never silent: a raw TCP server answers
 * Modbus requests with malformed frames; the points read bad (parse_error, or timeout when the
 * bytes cannot even be framed), errors are counted, and once the device answers properly again
 * the driver resynchronises (fresh connection) and reads good.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { silentLogger } from '../../../lib/log.js';
import { systemClock, type RawReading } from '../types.js';
import { ModbusDriver } from './index.js';
import type { ModbusPointPlan } from '../../config/points.js';
import { waitFor } from '../../../test/support/ports.js';

type Mode = 'ok' | 'random' | 'byte-count' | 'wrong-function' | 'short';

function rawServer(): { server: Server; setMode(m: Mode): void; sockets: Set<Socket> } {
  let mode: Mode = 'ok';
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.on('data', (d) => {
      for (let off = 0; off + 12 <= d.length; off += 12) {
        const tid = d.readUInt16BE(off);
        const unit = d[off + 6]!;
        const fc = d[off + 7]!;
        const addr = d.readUInt16BE(off + 8);
        const n = d.readUInt16BE(off + 10);
        let pdu: Buffer;
        if (mode === 'random') { s.write(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02])); continue; }
        if (mode === 'byte-count') pdu = Buffer.from([fc, 200, 0, 1, 0, 2]);
        else if (mode === 'wrong-function') pdu = Buffer.from([0x10, 4, 0, 1, 0, 2]);
        else if (mode === 'short') pdu = Buffer.from([fc, 2, 0, 1]);
        else {
          pdu = Buffer.alloc(2 + n * 2);
          pdu[0] = fc; pdu[1] = n * 2;
          for (let i = 0; i < n; i++) pdu.writeUInt16BE(addr + i + 100, 2 + i * 2);
        }
        const h = Buffer.alloc(7);
        h.writeUInt16BE(tid, 0); h.writeUInt16BE(0, 2); h.writeUInt16BE(pdu.length + 1, 4); h[6] = unit;
        s.write(Buffer.concat([h, pdu]));
      }
    });
  });
  return { server, sockets, setMode: (m) => { mode = m; } };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

const point = (name: string, address: number): ModbusPointPlan => ({ name, table: 'holding', address, type: 'uint16', order: 'ABCD', indexes: {}, pollGroup: 'normal' });

describe('Modbus garbage', () => {
  for (const mode of ['byte-count', 'wrong-function', 'short', 'random'] as const) {
    it(`${mode} responses → bad points with a reason, counted; good again after the device recovers`, { timeout: 20_000 }, async () => {
      const { server, setMode, sockets } = rawServer();
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      cleanups.push(() => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }));
      const port = (server.address() as { port: number }).port;
      const latest = new Map<string, RawReading>();
      const counts: Record<string, number> = {};
      const driver = new ModbusDriver({
        deviceId: 'dev',
        modbus: { host: '127.0.0.1', port, unitId: 1, timeoutMs: 100, retries: 0, backoff: { initialMs: 20, maxMs: 50 }, maxQueue: 16, workarounds: { maxRegistersPerRequest: 125, maxBitsPerRequest: 2000, maxGap: 16, pauseAfterConnectMs: 0, singleRegisterWrites: false } },
        points: [point('test.a', 0), point('test.b', 1)],
        pollGroups: { normal: 20 },
      });
      await driver.start({ log: silentLogger, clock: systemClock, sink: (rs) => { for (const r of rs) latest.set(r.point, r); }, count: (m, l) => { const k = `${m}:${l?.reason ?? ''}`; counts[k] = (counts[k] ?? 0) + 1; } });
      cleanups.push(() => driver.stop());
      await waitFor(() => latest.get('test.b')?.raw === 101, { what: 'good reads first' });
      setMode(mode);
      const reason = mode === 'random' ? 'timeout' : 'parse_error';
      await waitFor(() => latest.get('test.a')?.error === reason && latest.get('test.b')?.error === reason, { what: `${reason} readings` });
      expect(counts[`modbus_errors_total:${reason}`]).toBeGreaterThan(0);
      setMode('ok');
      await waitFor(() => latest.get('test.a')?.raw === 100 && !latest.get('test.a')?.error, { what: 'good again after recovery' });
      expect(driver.linkState()).toBe('up');
    });
  }
});
