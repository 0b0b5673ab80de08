/**
 * An in-process Modbus TCP server (modbus-serial ServerTCP) serving fixture registers, for the
 * golden test cases and the benchmark. Listens on 127.0.0.1, port 0 by default (modbus-serial
 * treats a numeric 0 as "use 502", so the port is passed as the string '0' and read back).
 * Instrumented: counts requests and the largest number of requests it was handling at once.
 */
import ModbusSerial from 'modbus-serial';
import type { ModbusTable } from '../../../lib/profile/modbus-schema.js';

type ServerCtor = new (vector: object, options: { host?: string; port?: number | string; unitID?: number }) => {
  on(ev: string, cb: (...a: unknown[]) => void): void;
  close(cb: (err: Error | null) => void): void;
  _server: import('node:net').Server;
};
const ServerTCP = (ModbusSerial as unknown as { ServerTCP: ServerCtor }).ServerTCP;

export interface FixtureSpec {
  /** Register or bit contents: table → start address → values. */
  registers?: Partial<Record<ModbusTable, Record<string | number, (number | boolean)[]>>>;
  /** Reads touching these addresses answer with a Modbus exception. */
  exceptions?: { table: ModbusTable; address: number; code: number; unit?: number }[];
  /** Unit ids that never answer (requests time out). */
  silentUnits?: number[];
  /** Unit ids served (default: all). Others get exception 11 (gateway target failed to respond). */
  units?: number[];
  /** A register that holds the unit id asked for (so each unit behind a gateway reads differently). */
  unitRegister?: { table: 'holding' | 'input'; address: number };
  /** Register reads longer than this answer exception 3 (a device with a small request limit). */
  maxRegisters?: number;
  /** Delay each register request this long (makes concurrent requests observable). */
  delayMs?: number;
}

export interface FixtureStats { requests: number; inFlight: number; maxInFlight: number; byUnit: Record<number, number> }

export class FixtureServer {
  private server: InstanceType<ServerCtor> | null = null;
  port = 0;
  readonly stats: FixtureStats = { requests: 0, inFlight: 0, maxInFlight: 0, byUnit: {} };
  private readonly words = { holding: new Map<number, number>(), input: new Map<number, number>() };
  private readonly bits = { coil: new Map<number, boolean>(), discrete: new Map<number, boolean>() };

  constructor(readonly spec: FixtureSpec = {}) {
    for (const [table, blocks] of Object.entries(spec.registers ?? {}) as [ModbusTable, Record<string, (number | boolean)[]>][]) {
      for (const [start, values] of Object.entries(blocks)) values.forEach((v, i) => this.set(table, Number(start) + i, v));
    }
  }

  set(table: ModbusTable, address: number, v: number | boolean): void {
    if (table === 'coil' || table === 'discrete') this.bits[table].set(address, Boolean(v));
    else this.words[table].set(address, Number(v) & 0xffff);
  }

  get(table: ModbusTable, address: number): number | boolean {
    return table === 'coil' || table === 'discrete' ? this.bits[table].get(address) ?? false : this.words[table].get(address) ?? 0;
  }

  private check(table: ModbusTable, addr: number, len: number, unit: number): Promise<void> | void {
    if (this.spec.silentUnits?.includes(unit)) return new Promise<void>(() => undefined);
    if (this.spec.units && !this.spec.units.includes(unit)) throw { modbusErrorCode: 11, msg: 'no such unit' };
    if (this.spec.maxRegisters && len > this.spec.maxRegisters && table !== 'coil' && table !== 'discrete') throw { modbusErrorCode: 3, msg: 'too many registers' };
    for (const e of this.spec.exceptions ?? []) {
      if (e.table === table && e.address >= addr && e.address < addr + len && (e.unit === undefined || e.unit === unit)) throw { modbusErrorCode: e.code, msg: `exception ${e.code}` };
    }
  }

  private async words16(table: 'holding' | 'input', addr: number, len: number, unit: number): Promise<number[]> {
    this.stats.requests++;
    this.stats.byUnit[unit] = (this.stats.byUnit[unit] ?? 0) + 1;
    // A unit that never answers is not "in flight": the client has given up on it (timeout).
    if (this.spec.silentUnits?.includes(unit)) return new Promise<number[]>(() => undefined);
    this.stats.inFlight++;
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.stats.inFlight);
    try {
      await this.check(table, addr, len, unit);
      if (this.spec.delayMs) await new Promise((r) => setTimeout(r, this.spec.delayMs));
      const out: number[] = new Array(len);
      const u = this.spec.unitRegister;
      for (let i = 0; i < len; i++) out[i] = u && u.table === table && u.address === addr + i ? unit : (this.words[table].get(addr + i) ?? 0);
      return out;
    } finally {
      this.stats.inFlight--;
    }
  }

  private bit(table: 'coil' | 'discrete', addr: number, unit: number): Promise<boolean> | boolean {
    const c = this.check(table, addr, 1, unit);
    if (c) return c.then(() => false);
    return this.bits[table].get(addr) ?? false;
  }

  /** Listen (on `port`, default any free port); resolves when ready. */
  async start(port = this.port): Promise<number> {
    const vector = {
      getHoldingRegister: (a: number, u: number) => this.words16('holding', a, 1, u).then((v) => v[0]),
      getInputRegister: (a: number, u: number) => this.words16('input', a, 1, u).then((v) => v[0]),
      // modbus-serial takes multi-register handlers with a callback (4 parameters) or synchronous.
      getMultipleHoldingRegisters: (a: number, l: number, u: number, cb: (e: unknown, v: number[]) => void) => { this.words16('holding', a, l, u).then((v) => cb(null, v), (e) => cb(e, [])); },
      getMultipleInputRegisters: (a: number, l: number, u: number, cb: (e: unknown, v: number[]) => void) => { this.words16('input', a, l, u).then((v) => cb(null, v), (e) => cb(e, [])); },
      getCoil: (a: number, u: number) => this.bit('coil', a, u),
      getDiscreteInput: (a: number, u: number) => this.bit('discrete', a, u),
      setCoil: (a: number, v: boolean, u: number) => { this.check('coil', a, 1, u); this.bits.coil.set(a, v); },
      setRegister: (a: number, v: number, u: number) => { this.check('holding', a, 1, u); this.words.holding.set(a, v); },
    };
    const server = new ServerTCP(vector, { host: '127.0.0.1', port: String(port), unitID: 255 });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.on('initialized', () => resolve());
      server.on('serverError', (e) => reject(e as Error));
    });
    server.on('socketError', () => undefined);
    server.on('error', () => undefined);
    this.port = (server._server.address() as { port: number }).port;
    return this.port;
  }

  /** Close the listener and every connection (a device switched off). */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
