/**
 * One simulated Modbus TCP device (modbus-serial ServerTCP on 127.0.0.1): reads encode the
 * model's truth through the device's profile at the moment of the request; writes to writable
 * coils/holding registers change the model and are logged. Faults: offline (silent or refusing),
 * exceptions on address ranges, point faults (through the fault registry).
 *
 * Unit ids: the device answers the ids in its spec (1, or 1..N for the PDU gateway); any other id
 * gets exception 0x0B (gateway target device failed to respond). Unmapped addresses inside a
 * table's span read 0; beyond the span they get exception 0x02 (illegal data address).
 */
import type { AddressInfo, Socket, Server } from 'node:net';
import ModbusRTU from 'modbus-serial';
import type { ExpandedPoint } from '../../lib/profile/expand.js';
import type { ModbusTable } from '../../lib/profile/modbus-schema.js';
import type { DeviceBinding } from '../bindings.js';
import type { ModbusDeviceSpec } from '../devices.js';
import type { FaultRegistry } from '../faults.js';
import type { WriteLog } from '../write-log.js';
import { RegisterMap, encodePoint, fromRegisters, type EngValue } from './register-map.js';

const { ServerTCP } = ModbusRTU as unknown as { ServerTCP: typeof import('modbus-serial').ServerTCP };

type Cb<T> = (err: { modbusErrorCode: number; msg: string } | null, v?: T) => void;
const exc = (code: number, msg: string) => ({ modbusErrorCode: code, msg });

export class ModbusDeviceServer {
  readonly map: RegisterMap;
  private server: InstanceType<typeof ServerTCP> | null = null;
  private lastRemote = 'modbus:unknown';
  port = 0;

  constructor(
    readonly spec: ModbusDeviceSpec,
    points: ExpandedPoint[],
    private readonly binding: DeviceBinding,
    private readonly faults: FaultRegistry,
    private readonly writes: WriteLog,
    private readonly simTime: () => number,
  ) {
    this.map = new RegisterMap(points);
  }

  /** Value a point reports now (engineering units, after point faults). */
  read(pt: ExpandedPoint, unitId: number, consume = true): EngValue {
    let v = this.faults.applyPoint(this.spec.id, unitId, pt.name, this.binding.get(pt, unitId), consume);
    if (pt.bits && typeof v === 'number') {
      for (const b of pt.bits) {
        if (!this.faults.hasPointFault(this.spec.id, b.name)) continue;
        const on: boolean = Boolean(this.faults.applyPoint(this.spec.id, unitId, b.name, Boolean((v >> b.bit) & 1), consume));
        v = on ? v | (1 << b.bit) : v & ~(1 << b.bit);
      }
    }
    return v;
  }

  /** Value of a named point (or status bit) as reported now; undefined if the device has none. */
  readByName(name: string, unitId = 1): EngValue | undefined {
    const pt = this.map.byName.get(name);
    if (!pt) return undefined;
    const v = this.read(pt, unitId, false);
    const bit = pt.bits?.find((b) => b.name === name);
    return bit ? Boolean((Number(v) >> bit.bit) & 1) : v;
  }

  /** Write a writable point by name, as a client would (logged with `who`). Throws RangeError if not writable. */
  writeByName(name: string, value: number | boolean, who: string, unitId = this.spec.unitIds[0]!): void {
    const pt = this.map.byName.get(name);
    const set = pt?.writable ? this.binding.setter(pt) : undefined;
    if (!pt || !set) throw new RangeError(`${this.spec.id}: '${name}' is not a writable point`);
    set(unitId, value);
    this.writes.add({ simTimeS: this.simTime(), who, device: this.spec.id, unitId, table: pt.table as 'coil' | 'holding', address: pt.address, point: name, value, accepted: true });
  }

  /** Every point the device serves with its reported value (unit id `unitId`). */
  snapshot(unitId = this.spec.unitIds[0]!): Record<string, EngValue> {
    const out: Record<string, EngValue> = {};
    for (const pt of this.map.points) {
      const v = this.read(pt, unitId, false);
      out[pt.name] = typeof v === 'bigint' ? (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) as EngValue : v;
      for (const b of pt.bits ?? []) out[b.name] = Boolean((Number(v) >> b.bit) & 1);
    }
    return out;
  }

  /** Gate common to every request; returns an error to answer with, 'drop' to stay silent, or null. */
  private gate(unitId: number, table: ModbusTable, address: number, count: number): ReturnType<typeof exc> | 'drop' | null {
    if (this.faults.isOffline(this.spec.id)) return 'drop';
    if (!this.spec.unitIds.includes(unitId)) return exc(0x0b, `unit ${unitId} not present`);
    const code = this.faults.exceptionFor(this.spec.id, unitId, table, address, count);
    if (code !== undefined) return exc(code, 'injected exception');
    if (!this.map.inRange(table, address, count)) return exc(0x02, 'illegal data address');
    return null;
  }

  private readRegs(table: 'input' | 'holding', address: number, count: number, unitId: number, cb: Cb<number[]>): void {
    const g = this.gate(unitId, table, address, count);
    if (g === 'drop') return;
    // modbus-serial indexes the values even on error: give it an empty array so the code survives.
    if (g) return cb(g, []);
    const cache = new Map<ExpandedPoint, number[]>();
    const out: number[] = [];
    try {
      for (let a = address; a < address + count; a++) {
        const slot = this.map.regs[table].get(a);
        if (!slot) { out.push(0); continue; }
        let regs = cache.get(slot.pt);
        if (!regs) { regs = encodePoint(slot.pt, this.read(slot.pt, unitId)); cache.set(slot.pt, regs); }
        out.push(regs[slot.word]!);
      }
    } catch (err) {
      return cb(exc(0x04, `encode failed: ${(err as Error).message}`), []);
    }
    cb(null, out);
  }

  private readBit(table: 'coil' | 'discrete', address: number, unitId: number, cb: Cb<boolean>): void {
    const g = this.gate(unitId, table, address, 1);
    if (g === 'drop') return;
    if (g) return cb(g);
    const pt = this.map.bits[table].get(address);
    cb(null, pt ? Boolean(this.read(pt, unitId)) : false);
  }

  private log(unitId: number, table: 'coil' | 'holding', address: number, point: string | undefined, value: unknown, accepted: boolean, reason?: string): void {
    this.writes.add({ simTimeS: this.simTime(), who: this.lastRemote, device: this.spec.id, unitId, table, address, ...(point ? { point } : {}), value, accepted, ...(reason ? { reason } : {}) });
  }

  private writeCoil(address: number, value: boolean, unitId: number, cb: Cb<void>): void {
    if (this.faults.isOffline(this.spec.id)) return;
    const pt = this.map.bits.coil.get(address);
    const g = this.gate(unitId, 'coil', address, 1);
    if (g && g !== 'drop') { this.log(unitId, 'coil', address, pt?.name, value, false, g.msg); return cb(g); }
    const set = pt?.writable ? this.binding.setter(pt) : undefined;
    if (!pt || !set) { this.log(unitId, 'coil', address, pt?.name, value, false, 'not writable'); return cb(exc(0x02, 'not writable')); }
    set(unitId, value);
    this.log(unitId, 'coil', address, pt.name, value, true);
    cb(null);
  }

  private writeRegs(address: number, values: number[], unitId: number, cb: Cb<void>): void {
    if (this.faults.isOffline(this.spec.id)) return;
    const slot = this.map.regs.holding.get(address);
    const g = this.gate(unitId, 'holding', address, values.length);
    if (g && g !== 'drop') { this.log(unitId, 'holding', address, slot?.pt.name, values, false, g.msg); return cb(g); }
    const pt = slot?.pt;
    const set = pt?.writable && slot?.word === 0 ? this.binding.setter(pt) : undefined;
    const n = pt ? encodePoint(pt, 0).length : 0;
    if (!pt || !set || values.length < n) { this.log(unitId, 'holding', address, pt?.name, values, false, 'not writable'); return cb(exc(0x02, 'not writable')); }
    const v = fromRegisters(pt, values.slice(0, n));
    set(unitId, v);
    this.log(unitId, 'holding', address, pt.name, v, true);
    cb(null);
  }

  async start(): Promise<number> {
    const vector = {
      getInputRegister: (a: number, u: number, cb: Cb<number>) => this.readRegs('input', a, 1, u, (e, v) => cb(e, v?.[0])),
      getHoldingRegister: (a: number, u: number, cb: Cb<number>) => this.readRegs('holding', a, 1, u, (e, v) => cb(e, v?.[0])),
      getMultipleInputRegisters: (a: number, n: number, u: number, cb: Cb<number[]>) => this.readRegs('input', a, n, u, cb),
      getMultipleHoldingRegisters: (a: number, n: number, u: number, cb: Cb<number[]>) => this.readRegs('holding', a, n, u, cb),
      getCoil: (a: number, u: number, cb: Cb<boolean>) => this.readBit('coil', a, u, cb),
      getDiscreteInput: (a: number, u: number, cb: Cb<boolean>) => this.readBit('discrete', a, u, cb),
      setCoil: (a: number, v: boolean, u: number, cb: Cb<void>) => this.writeCoil(a, v, u, cb),
      setRegister: (a: number, v: number, u: number, cb: Cb<void>) => this.writeRegs(a, [v], u, cb),
      setRegisterArray: (a: number, v: number[], u: number, cb: Cb<void>) => this.writeRegs(a, v, u, cb),
    };
    // ServerTCP treats port 0 as "unset" (→ 502); the string '0' reaches net.listen as port 0.
    const server = new ServerTCP(vector as never, { host: '127.0.0.1', port: '0' as unknown as number, unitID: 255 });
    this.server = server;
    const net = (server as unknown as { _server: Server })._server;
    net.on('connection', (sock: Socket) => {
      if (this.faults.isOffline(this.spec.id) === 'refuse') { sock.destroy(); return; }
      sock.on('data', () => { this.lastRemote = `modbus:${sock.remoteAddress}:${sock.remotePort}`; });
    });
    server.on('socketError', () => { /* client went away; nothing to do */ });
    await new Promise<void>((resolve, reject) => {
      server.once('initialized', () => resolve());
      server.once('serverError', (e: unknown) => reject(e));
    });
    this.port = (net.address() as AddressInfo).port;
    return this.port;
  }

  /** Drop every open connection (used when a device goes offline in `refuse` mode). */
  dropConnections(): void {
    for (const sock of this.server?.socks.keys() ?? []) sock.destroy();
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
