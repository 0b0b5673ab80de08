/**
 * OPC-UA values → raw readings: StatusCode severity maps to quality (Good → good, Uncertain →
 * uncertain, Bad → bad with reason `opcua_<StatusName>`, e.g. opcua_BadSensorFailure), and
 * Variant values to the driver contract's raw scalars.
 */
import { DataType, type DataValue } from 'node-opcua';
import type { RawReading, RawScalar } from '../types.js';

/** `opcua_<Name>` with the info bits (e.g. `#Overflow`) removed. */
export function statusReason(name: string): string {
  return `opcua_${name.split('#')[0]}`;
}

export function severityOf(code: { isGood(): boolean; isBad(): boolean }): 'good' | 'uncertain' | 'bad' {
  return code.isGood() ? 'good' : code.isBad() ? 'bad' : 'uncertain';
}

/** A Variant value as a raw scalar; `undefined` when the type is not a scalar we report. */
export function rawOf(dataType: DataType, value: unknown): RawScalar | undefined {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return value;
  if (value instanceof Date) return value.getTime();
  if ((dataType === DataType.Int64 || dataType === DataType.UInt64) && Array.isArray(value) && value.length === 2) {
    const [hi, lo] = value as [number, number];
    const big = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    return dataType === DataType.Int64 ? BigInt.asIntN(64, big) : big;
  }
  if (typeof value === 'object' && value !== null && 'text' in value) return String((value as { text: unknown }).text ?? '');
  return undefined;
}

export function readingOf(device: string, point: string, dv: DataValue, now: number): RawReading {
  const ts = dv.sourceTimestamp?.getTime() ?? dv.serverTimestamp?.getTime() ?? now;
  const severity = severityOf(dv.statusCode);
  if (severity === 'bad') return { device, point, raw: null, ts: Number.isFinite(ts) ? ts : now, error: statusReason(dv.statusCode.name) };
  const raw = rawOf(dv.value.dataType, dv.value.value);
  if (raw === undefined) return { device, point, raw: null, ts, error: 'parse_error' };
  const r: RawReading = { device, point, raw, ts };
  if (severity === 'uncertain') r.sourceQuality = 'uncertain';
  return r;
}
