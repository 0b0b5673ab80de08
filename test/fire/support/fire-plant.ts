/**
 * A small fire I/O plant for the fire-runtime tests: a real Modbus TCP server (modbus-serial
 * ServerTCP, port 0) serving profile sim-fire-io through its own register map, with feedback
 * logic (breaker → aux contact + current, curtain → limit switch, nozzle/gas → pressure switch,
 * spray → flow switch, ...) and the faults the tests inject (welded contactor, lying aux
 * contact, no pressure, jammed curtain). Every coil write is logged with its time.
 * Used until/besides hardware-sim; it shares the profile file, so the map is written once.
 */
import ModbusRTU from 'modbus-serial';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expandModbusProfile, type ExpandedPoint } from '../../../lib/profile/expand.js';
import { loadModbusProfile, resolveProfileParams } from '../../../lib/profile/profile-file.js';
import { encodeRegisters } from '../../../lib/profile/modbus-codec.js';
import { freePort } from '../../support/ports.js';

export const FIRE_PROFILE = fileURLToPath(new URL('../../../agent/profiles/sim-fire-io.yaml', import.meta.url));

export interface PlantFaults {
  welded?: Set<number>;
  auxLies?: Set<number>;
  noPressure?: Set<number>;
  curtainJammed?: Set<number>;
  noFlow?: Set<number>;
  /** coils that do not take a write (output card fault): the read-back differs, the write fails */
  coilStuck?: Set<string>;
  upstreamStuck?: boolean;
}

export interface PlantWrite { at: number; point: string; value: boolean }

export class FirePlant {
  readonly values = new Map<string, number | boolean>();
  readonly writes: PlantWrite[] = [];
  readonly faults: PlantFaults = {};
  private byAddr = { coil: new Map<number, ExpandedPoint>(), discrete: new Map<number, ExpandedPoint>(), input: new Map<number, ExpandedPoint>() };
  private byName = new Map<string, ExpandedPoint>();
  private server: ModbusRTU.ServerTCP | null = null;
  private timers = new Set<NodeJS.Timeout>();
  port = 0;

  constructor(readonly racks = 4, readonly delays = { breaker: 60, curtain: 150, discharge: 100, flow: 120, room: 80 }) {
    const profile = loadModbusProfile(FIRE_PROFILE);
    for (const p of expandModbusProfile(profile.modbus, resolveProfileParams(profile, { racks }))) {
      this.byName.set(p.name, p);
      if (p.table !== 'holding') this.byAddr[p.table].set(p.address, p);
      this.values.set(p.name, p.type === 'bool' ? false : 0);
    }
    this.set('room.water.supply.ok', true);
    this.set('room.abort.circuit.ok', true);
    this.set('room.gas.store.pressure', 100);
    for (let r = 1; r <= racks; r++) {
      this.set(`rack.${r}.probe.a.temperature`, 25);
      this.set(`rack.${r}.probe.b.temperature`, 25);
      this.set(`rack.${r}.breaker.current`, 120);
    }
  }

  set(name: string, v: number | boolean): void {
    if (!this.byName.has(name)) throw new Error(`plant has no point ${name}`);
    this.values.set(name, v);
  }
  get(name: string): number | boolean { return this.values.get(name)!; }

  async start(): Promise<void> {
    const regOf = (p: ExpandedPoint): number => {
      const v = Number(this.values.get(p.name) ?? 0);
      const raw = Math.round((v - (p.offset ?? 0)) / (p.scale ?? 1));
      return encodeRegisters(raw, p.type, p.order)[0]!;
    };
    const vector = {
      getCoil: (addr: number) => { const p = this.byAddr.coil.get(addr); return p ? Boolean(this.values.get(p.name)) : false; },
      getDiscreteInput: (addr: number) => { const p = this.byAddr.discrete.get(addr); return p ? Boolean(this.values.get(p.name)) : false; },
      getInputRegister: (addr: number) => { const p = this.byAddr.input.get(addr); return p ? regOf(p) : 0; },
      getHoldingRegister: () => 0,
      setCoil: (addr: number, value: boolean) => { const p = this.byAddr.coil.get(addr); if (p) this.onCoil(p.name, value); },
      setRegister: () => {},
    };
    // modbus-serial's ServerTCP treats port 0 as "default 502", so take a free port first.
    const port = await freePort();
    const server = new ModbusRTU.ServerTCP(vector, { host: '127.0.0.1', port, unitID: 1 });
    this.server = server;
    await new Promise<void>((resolve, reject) => { server.on('initialized', () => resolve()); server.on('serverError', reject); });
    this.port = ((server as unknown as { _server: { address(): AddressInfo } })._server.address()).port;
    if (this.port !== port) throw new Error(`fire plant listens on ${this.port}, expected ${port}`);
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const s = this.server;
    this.server = null;
    if (!s) return;
    for (const sock of s.socks.keys()) sock.destroy();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => { this.timers.delete(t); fn(); }, ms);
    this.timers.add(t);
  }

  private onCoil(name: string, value: boolean): void {
    this.writes.push({ at: Date.now(), point: name, value });
    if (this.faults.coilStuck?.has(name)) return;
    this.values.set(name, value);
    const m = /^rack\.(\d+)\.(breaker\.open|curtain\.down|nozzle\.release|spray)\.cmd$/.exec(name);
    const f = this.faults;
    if (m) {
      const r = Number(m[1]);
      const p = `rack.${r}`;
      switch (m[2]) {
        case 'breaker.open':
          this.later(this.delays.breaker, () => {
            if (value) {
              if (!f.welded?.has(r) || f.auxLies?.has(r)) this.set(`${p}.breaker.open`, true);
              if (!f.welded?.has(r) && !this.get('room.upstream.breaker.open')) this.set(`${p}.breaker.current`, 0);
            } else if (!this.get('room.upstream.breaker.open')) {
              this.set(`${p}.breaker.open`, false);
              this.set(`${p}.breaker.current`, 120);
            }
          });
          break;
        case 'curtain.down': if (!f.curtainJammed?.has(r)) this.later(this.delays.curtain, () => this.set(`${p}.curtain.down`, value)); break;
        case 'nozzle.release': if (value && !f.noPressure?.has(r)) this.later(this.delays.discharge, () => this.set(`${p}.nozzle.pressure`, true)); break;
        case 'spray': if (!f.noFlow?.has(r)) this.later(this.delays.flow, () => this.set(`${p}.spray.flow`, value)); break;
      }
      return;
    }
    switch (name) {
      case 'room.upstream.breaker.open.cmd':
        if (f.upstreamStuck) return;
        this.later(this.delays.breaker, () => {
          this.set('room.upstream.breaker.open', value);
          if (value) for (let r = 1; r <= this.racks; r++) this.set(`rack.${r}.breaker.current`, 0);
        });
        return;
      case 'room.charge.inhibit.cmd': this.later(this.delays.room, () => this.set('room.charge.inhibited', value)); return;
      case 'room.drain.pump.cmd': this.later(this.delays.room, () => this.set('room.drain.pump.running', value)); return;
      case 'room.gas.release.cmd': if (value) this.later(this.delays.discharge, () => this.set('room.gas.pressure', true)); return;
      case 'room.hvac.stop.cmd': this.later(this.delays.room, () => this.set('room.hvac.stopped', value)); return;
      case 'room.dampers.close.cmd': this.later(this.delays.room, () => this.set('room.dampers.closed', value)); return;
    }
  }
}
