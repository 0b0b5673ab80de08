/**
 * A small, self-contained Modbus TCP link to one fire I/O device (profile sim-fire-io or any
 * profile of the same shape), for the fire-only host (`agent/fire/host.ts`: tests, drills, the
 * latency bench and the SIGKILL suite). In the full agent the Modbus driver plays this role and
 * the runtime receives its normalised points and its `write()`; this module exists so the fire
 * runtime can be exercised alone over real sockets.
 *
 * It polls the discrete inputs and input registers of the profile in blocks, normalises through
 * agent/points/normalise.ts (one normaliser), and writes coils with read-back. Writes jump the
 * queue ahead of polls, so a command never waits behind a poll backlog; a poll's points are handed
 * to the runtime after the poll has left the queue, so a command decided on them does not wait
 * behind the poll that caused it (bench/fire-latency).
 */
import ModbusSerial from 'modbus-serial';
import type { ModbusRTU } from 'modbus-serial/ModbusRTU.js';
import { expandModbusProfile, type ExpandedPoint } from '../../lib/profile/expand.js';
import { loadModbusProfile, resolveProfileParams } from '../../lib/profile/profile-file.js';
import { decodeRegisters } from '../../lib/profile/modbus-codec.js';
import { registerCount } from '../../lib/profile/modbus-schema.js';
import type { Point } from '../../lib/points.js';
import { normalise } from '../points/normalise.js';
import type { WriteResult } from '../drivers/types.js';
import type { FireIoPort } from './actuation.js';

export interface ModbusFireIoOptions {
  site: string;
  device: string;
  host: string;
  port: number;
  unitId?: number;
  profileFile: string;
  params?: Record<string, number>;
  pollMs: number;
  /** Source-time clock for readings (ms since epoch). */
  now?: () => number;
  onPoints: (points: Point[], cycle: { startedAt: number; endedAt: number }) => void;
  timeoutMs?: number;
}

interface Block { table: 'discrete' | 'input'; start: number; count: number; points: ExpandedPoint[] }

const MAX_BITS = 2000;
const MAX_REGS = 120;

export class ModbusFireIo implements FireIoPort {
  private client: ModbusRTU = new (ModbusSerial as unknown as new () => ModbusRTU)();
  private points: ExpandedPoint[] = [];
  private blocks: Block[] = [];
  private byName = new Map<string, ExpandedPoint>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** A run may return a callback to call once it has left the queue (a poll's delivery). */
  private queue: { run: () => Promise<void | (() => void)>; urgent: boolean }[] = [];
  private busy = false;
  connected = false;
  cycles = 0;

  constructor(private readonly o: ModbusFireIoOptions) {}

  async start(): Promise<void> {
    const profile = loadModbusProfile(this.o.profileFile);
    this.points = expandModbusProfile(profile.modbus, resolveProfileParams(profile, this.o.params ?? {}));
    for (const p of this.points) this.byName.set(p.name, p);
    this.blocks = planBlocks(this.points);
    this.client.setTimeout(this.o.timeoutMs ?? 1000);
    await this.connect();
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 200);
      try { this.client.close(() => { clearTimeout(t); resolve(); }); } catch { clearTimeout(t); resolve(); }
    });
  }

  writePoint(device: string, point: string, value: boolean | number): Promise<WriteResult> {
    if (device !== this.o.device) return Promise.resolve({ ok: false, error: `this link serves ${this.o.device}, not ${device}` });
    const p = this.byName.get(point);
    if (!p || p.table !== 'coil' || !p.writable) return Promise.resolve({ ok: false, error: `${point} is not a writable coil of ${device}` });
    return new Promise((resolve) => {
      this.enqueue(async () => {
        try {
          if (!this.connected) await this.connect();
          await this.client.writeCoil(p.address, Boolean(value));
          const rb = await this.client.readCoils(p.address, 1);
          const readBack = Boolean(rb.data[0]);
          resolve(readBack === Boolean(value) ? { ok: true, readBack } : { ok: false, readBack, error: 'read-back differs' });
        } catch (err) {
          this.connected = false;
          resolve({ ok: false, error: (err as Error).message });
        }
      }, true);
    });
  }

  private async connect(): Promise<void> {
    try {
      await this.client.connectTCP(this.o.host, { port: this.o.port });
      this.client.setID(this.o.unitId ?? 1);
      this.connected = true;
    } catch {
      this.connected = false;
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.enqueue(() => this.poll(), false), ms);
  }

  private enqueue(run: () => Promise<void | (() => void)>, urgent: boolean): void {
    // commands go ahead of polls but stay in the order they were issued (rack-first isolation, FS-09)
    if (urgent) {
      const at = this.queue.findIndex((q) => !q.urgent);
      this.queue.splice(at < 0 ? this.queue.length : at, 0, { run, urgent });
    } else this.queue.push({ run, urgent });
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    let after: void | (() => void) = undefined;
    try {
      while (this.queue.length && !after) after = await this.queue.shift()!.run();
    } finally { this.busy = false; }
    // The link is free while the poll's points are handled: a command issued now is sent at once.
    // Then the rest of the queue (drain() returns at once if a command already restarted it).
    if (!after) return;
    try { after(); } finally { void this.drain(); }
  }

  private async poll(): Promise<() => void> {
    const startedAt = (this.o.now ?? Date.now)();
    const points: Point[] = [];
    if (!this.connected) await this.connect();
    for (const b of this.blocks) {
      const ts = (this.o.now ?? Date.now)();
      try {
        if (!this.connected) throw new Error('not connected');
        if (b.table === 'discrete') {
          const r = await this.client.readDiscreteInputs(b.start, b.count);
          for (const p of b.points) points.push(normalise({ device: this.o.device, point: p.name, raw: Boolean(r.data[p.address - b.start]), ts }, p, this.o.site));
        } else {
          const r = await this.client.readInputRegisters(b.start, b.count);
          for (const p of b.points) {
            const off = p.address - b.start;
            const raw = decodeRegisters(r.data.slice(off, off + registerCount(p.type, p.length)), p.type, p.order);
            points.push(normalise({ device: this.o.device, point: p.name, raw: typeof raw === 'bigint' ? raw : raw, ts }, p, this.o.site));
          }
        }
      } catch (err) {
        const error = /timed out/i.test((err as Error).message) ? 'timeout' : 'comm_failure';
        if (error === 'comm_failure') this.connected = false;
        for (const p of b.points) points.push(normalise({ device: this.o.device, point: p.name, raw: null, ts, error }, p, this.o.site));
      }
    }
    this.cycles++;
    const endedAt = (this.o.now ?? Date.now)();
    return () => {
      try { this.o.onPoints(points, { startedAt, endedAt }); } finally { this.schedule(Math.max(0, this.o.pollMs - (endedAt - startedAt))); }
    };
  }
}

function planBlocks(points: ExpandedPoint[]): Block[] {
  const out: Block[] = [];
  for (const table of ['discrete', 'input'] as const) {
    const ps = points.filter((p) => p.table === table).sort((a, b) => a.address - b.address);
    const max = table === 'discrete' ? MAX_BITS : MAX_REGS;
    let cur: Block | null = null;
    for (const p of ps) {
      const end = p.address + (table === 'discrete' ? 1 : registerCount(p.type, p.length));
      if (cur && end - cur.start <= max && p.address - (cur.start + cur.count) <= 16) {
        cur.count = Math.max(cur.count, end - cur.start);
        cur.points.push(p);
      } else {
        cur = { table, start: p.address, count: end - p.address, points: [p] };
        out.push(cur);
      }
    }
  }
  return out;
}
