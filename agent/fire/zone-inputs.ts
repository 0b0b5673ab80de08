/**
 * Turns the normalised points of one zone's devices into what the pure parts consume:
 * - voter input: temperature channels per rack (probe A/B from the fire I/O, the BMS rack maximum,
 *   the camera region maximum) with a per-channel sequence that advances only with a new source
 *   timestamp (FS-01: a repeated sample is `repeated_seq`), and the rack/room detectors (smoke,
 *   off-gas, patch) with `fault` when the input is not good;
 * - field events for the zone machine, edge-triggered: FEEDBACK per actuator in the machine's op
 *   vocabulary, PATCH, ABORT, MANUAL_RELEASE, LOCKOFF, TANK_LEVEL, GAS_LFL, GAS_STORE, WATER_SUPPLY.
 */
import type { Point } from '../../lib/points.js';
import type { ChannelId, ChannelReading, DetectorReading } from '../../statecharts/voter/types.js';
import type { FieldEvent } from '../../statecharts/zone/types.js';
import { BREAKER_OPEN_MAX_A } from './actuators.js';
import type { FieldState } from './field.js';

export interface ZoneDevices {
  fireIo: string;
  bms?: string;
  camera?: string;
}

export interface ZoneInputBatch {
  readings: ChannelReading[];
  detectors: DetectorReading[];
  /** names of fire I/O points that changed value in this batch */
  changed: Set<string>;
}

const PROBE = /^rack\.(\d+)\.probe\.(a|b)\.temperature$/;
const BMS = /^rack\.(\d+)\.temperature\.max$/;
const CAMERA = /^camera\.region\.(\d+)\.temperature\.max$/;
const DETECTOR = /^rack\.(\d+)\.(smoke|offgas|patch\.fired)$/;

export class ZoneInputs {
  private seq = new Map<string, { ts: number; seq: number }>();
  private lastFire = new Map<string, string>();
  private sentFeedback = new Map<string, string>();
  private sentMisc = new Map<string, string>();

  constructor(private readonly devices: ZoneDevices, private readonly racks: number[]) {}

  channels(): ChannelId[] {
    const c: ChannelId[] = ['probeA', 'probeB'];
    if (this.devices.bms) c.push('bms');
    if (this.devices.camera) c.push('camera');
    return c;
  }

  /** Is this point one of this zone's? */
  owns(p: Point): boolean {
    return p.device === this.devices.fireIo || p.device === this.devices.bms || p.device === this.devices.camera;
  }

  /** Split a batch of this zone's points into voter input; fire I/O points also go to `field`. */
  collect(points: readonly Point[], field: FieldState): ZoneInputBatch {
    const out: ZoneInputBatch = { readings: [], detectors: [], changed: new Set() };
    const rackSet = new Set(this.racks);
    for (const p of points) {
      let m: RegExpExecArray | null;
      if (p.device === this.devices.fireIo) {
        field.update(p);
        const key = `${String(p.value)}|${p.quality}`;
        if (this.lastFire.get(p.name) !== key) { this.lastFire.set(p.name, key); out.changed.add(p.name); }
        if ((m = PROBE.exec(p.name)) && rackSet.has(Number(m[1]))) out.readings.push(this.reading(Number(m[1]), m[2] === 'a' ? 'probeA' : 'probeB', p));
        else if ((m = DETECTOR.exec(p.name)) && rackSet.has(Number(m[1]))) {
          const kind = m[2] === 'patch.fired' ? 'patch' : (m[2] as 'smoke' | 'offgas');
          out.detectors.push({ rack: Number(m[1]), kind, state: p.quality === 'good' && p.value === true, ts: p.ts, fault: p.quality !== 'good' });
        } else if (p.name === 'room.smoke') {
          out.detectors.push({ room: true, kind: 'smoke', state: p.quality === 'good' && p.value === true, ts: p.ts, fault: p.quality !== 'good' });
        }
      } else if (p.device === this.devices.bms && (m = BMS.exec(p.name)) && rackSet.has(Number(m[1]))) {
        out.readings.push(this.reading(Number(m[1]), 'bms', p));
      } else if (p.device === this.devices.camera && (m = CAMERA.exec(p.name)) && rackSet.has(Number(m[1]))) {
        out.readings.push(this.reading(Number(m[1]), 'camera', p));
      }
    }
    return out;
  }

  private reading(rack: number, channel: ChannelId, p: Point): ChannelReading {
    const k = `${rack}/${channel}`;
    const prev = this.seq.get(k);
    const seq = prev && prev.ts === p.ts ? prev.seq : (prev?.seq ?? 0) + 1;
    this.seq.set(k, { ts: p.ts, seq });
    const r: ChannelReading = { rack, channel, value: typeof p.value === 'number' ? p.value : null, ts: p.ts, quality: p.quality, seq };
    if (p.quality !== 'good' && p.reason) r.reason = String(p.reason);
    return r;
  }

  /**
   * Field events whose state changed since last sent (all of them after `resetSent()`, e.g. after a
   * recovery, so the machine sees the whole field once).
   */
  fieldEvents(field: FieldState, ts: number): FieldEvent[] {
    const ev: FieldEvent[] = [];
    for (const [actuator, fb] of Object.entries(feedbackStates(field, this.racks))) {
      const key = `${fb.state}|${fb.current === undefined ? '' : Math.abs(fb.current) >= BREAKER_OPEN_MAX_A ? 'I' : '0'}`;
      if (this.sentFeedback.get(actuator) === key) continue;
      this.sentFeedback.set(actuator, key);
      const e: FieldEvent = { type: 'FEEDBACK', actuator, state: fb.state, ts };
      if (fb.current !== undefined) e.current = fb.current;
      ev.push(e);
    }
    const misc = (k: string, v: string | undefined, make: () => FieldEvent) => {
      if (v === undefined || this.sentMisc.get(k) === v) return;
      this.sentMisc.set(k, v);
      ev.push(make());
    };
    for (const r of this.racks) {
      const fired = field.bool(`rack.${r}.patch.fired`);
      const bad = field.get(`rack.${r}.patch.fired`) !== undefined && fired === undefined;
      misc(`patch.${r}`, bad ? 'fault' : fired === undefined ? undefined : String(fired), () => (bad ? { type: 'PATCH', rack: r, fired: false, fault: true, ts } : { type: 'PATCH', rack: r, fired: fired!, ts }));
    }
    const abort = field.bool('room.abort');
    const circuit = field.bool('room.abort.circuit.ok');
    misc('abort', abort === undefined && circuit === undefined ? undefined : `${String(abort)}|${String(circuit)}`, () => {
      const e: FieldEvent = { type: 'ABORT', held: abort === true, ts };
      if (circuit !== undefined) e.circuitOk = circuit;
      return e;
    });
    const manual = field.bool('room.manual.release');
    if (manual !== undefined) {
      const prev = this.sentMisc.get('manual');
      this.sentMisc.set('manual', String(manual));
      if (manual && prev !== 'true') ev.push({ type: 'MANUAL_RELEASE', source: 'room.manual.release', ts });
    }
    const lock = field.bool('room.lockoff');
    misc('lockoff', lock === undefined ? undefined : String(lock), () => ({ type: 'LOCKOFF', on: lock!, ts }));
    const tank = field.num('room.tank.level');
    misc('tank', tank === undefined ? undefined : String(Math.round(tank)), () => ({ type: 'TANK_LEVEL', pct: tank!, ts }));
    const store = field.num('room.gas.store.pressure');
    misc('gasStore', store === undefined ? undefined : String(Math.round(store)), () => ({ type: 'GAS_STORE', pct: store!, ts }));
    const supply = field.bool('room.water.supply.ok');
    misc('waterSupply', supply === undefined ? undefined : String(supply), () => ({ type: 'WATER_SUPPLY', ok: supply!, ts }));
    const lfl = field.num('room.lfl');
    misc('lfl', lfl === undefined ? undefined : String(Math.round(lfl)), () => ({ type: 'GAS_LFL', pct: lfl!, ts }));
    return ev;
  }

  resetSent(): void {
    this.sentFeedback.clear();
    this.sentMisc.clear();
  }
}

/** Field state of every actuator in the machine's op vocabulary; unknown inputs are left out. */
export function feedbackStates(field: FieldState, racks: number[]): Record<string, { state: string; current?: number }> {
  const out: Record<string, { state: string; current?: number }> = {};
  const b = (n: string) => field.bool(n);
  const put = (actuator: string, v: boolean | undefined, yes: string, no: string) => { if (v !== undefined) out[actuator] = { state: v ? yes : no }; };
  for (const r of racks) {
    const p = `rack.${r}`;
    const aux = b(`${p}.breaker.open`);
    const i = field.num(`${p}.breaker.current`);
    if (aux !== undefined || i !== undefined) {
      // Current wins: the breaker is open only when the aux contact says so AND no current flows;
      // current flowing is closed whatever the aux says. An unreadable input is no evidence either
      // way (FS-01): aux unknown without current, or aux open with the current unknown → left out.
      const flowing = i !== undefined && Math.abs(i) >= BREAKER_OPEN_MAX_A;
      const state = flowing ? 'close' : aux === false ? 'close' : aux === true && i !== undefined ? 'open' : null;
      if (state) {
        const e: { state: string; current?: number } = { state };
        if (i !== undefined) e.current = i;
        out[`${p}.breaker`] = e;
      }
    }
    put(`${p}.curtain`, b(`${p}.curtain.down`), 'down', 'up');
    put(`${p}.nozzle`, b(`${p}.nozzle.pressure`), 'release', 'ready');
    put(`${p}.spray`, b(`${p}.spray.flow`), 'on', 'off');
  }
  put('room.upstream.breaker', b('room.upstream.breaker.open'), 'open', 'close');
  put('room.charge.inhibit', b('room.charge.inhibited'), 'on', 'off');
  put('room.drain.pump', b('room.drain.pump.running'), 'on', 'off');
  put('room.gas', b('room.gas.pressure'), 'release', 'ready');
  put('room.hvac', b('room.hvac.stopped'), 'stop', 'run');
  put('room.dampers', b('room.dampers.closed'), 'close', 'open');
  return out;
}
