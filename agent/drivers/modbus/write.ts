/**
 * Writes with read-back (actuators): coils with FC5, one register with FC6, several with FC16
 * (or one FC6 per register with the `singleRegisterWrites` workaround). The engineering value is
 * unscaled with the point's scale/offset, encoded with its type and order, written at the front
 * of the endpoint queue, then read back and compared.
 */
import { encodeRegisters, decodeRegisters, CodecError } from '../../../lib/profile/modbus-codec.js';
import { registerCount } from '../../../lib/profile/modbus-schema.js';
import type { ModbusPointPlan } from '../../config/points.js';
import type { WriteResult } from '../types.js';
import type { ModbusEndpoint } from './endpoint.js';

export interface WriteOptions {
  unitId: number;
  timeoutMs: number;
  pauseAfterConnectMs: number;
  singleRegisterWrites: boolean;
  owner: string;
}

export async function writePoint(ep: ModbusEndpoint, p: ModbusPointPlan, value: number | boolean, o: WriteOptions): Promise<WriteResult> {
  const job = { unitId: o.unitId, timeoutMs: o.timeoutMs, pauseAfterConnectMs: o.pauseAfterConnectMs, priority: true, owner: o.owner };
  if (p.table === 'coil') {
    const v = typeof value === 'boolean' ? value : value !== 0;
    await ep.request({ ...job, run: (c) => c.writeCoil(p.address, v) });
    const back = await ep.request({ ...job, run: (c) => c.readCoils(p.address, 1).then((r) => r.data[0]) });
    return back === v ? { ok: true, readBack: back } : { ok: false, readBack: back ?? null, error: 'readback_mismatch' };
  }
  if (p.table !== 'holding') return { ok: false, error: 'not_writable' };
  if (p.type === 'string') return { ok: false, error: 'not_writable' };
  const scale = p.scale ?? 1;
  const offset = p.offset ?? 0;
  const num = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  if (!Number.isFinite(num)) return { ok: false, error: 'nan' };
  let raw = (num - offset) / scale;
  if (p.type !== 'float32' && p.type !== 'float64') raw = Math.round(raw);
  let regs: number[];
  try {
    regs = encodeRegisters(raw, p.type, p.order);
  } catch (err) {
    if (err instanceof CodecError) return { ok: false, error: 'out_of_range' };
    throw err;
  }
  if (regs.length === 1) await ep.request({ ...job, run: (c) => c.writeRegister(p.address, regs[0]!) });
  else if (o.singleRegisterWrites) for (let i = 0; i < regs.length; i++) await ep.request({ ...job, run: (c) => c.writeRegister(p.address + i, regs[i]!) });
  else await ep.request({ ...job, run: (c) => c.writeRegisters(p.address, regs) });
  const n = registerCount(p.type, p.length);
  const back = await ep.request({ ...job, run: (c) => c.readHoldingRegisters(p.address, n).then((r) => r.data) });
  const rawBack = decodeRegisters(back, p.type, p.order);
  if (typeof rawBack === 'boolean') return rawBack === Boolean(num) ? { ok: true, readBack: rawBack } : { ok: false, readBack: rawBack, error: 'readback_mismatch' };
  const eng = Number(rawBack) * scale + offset;
  const tolerance = p.type === 'float32' ? Math.max(Math.abs(num) * 1e-6, Math.abs(scale) / 2) : Math.abs(scale) / 2;
  return Math.abs(eng - num) <= tolerance ? { ok: true, readBack: Number(eng.toPrecision(15)) } : { ok: false, readBack: eng, error: 'readback_mismatch' };
}
