/**
 * A figure as the API serves it: never a bare number — always with its period, inputs, coverage
 * and quality (SERVER.md R01, R05, R42).
 */
import { worstQuality, type Quality } from '../../lib/points.js';

export interface Period {
  start: number;
  end: number;
  /** ISO 8601 duration of the period, e.g. P1D, PT15M, or 'instant' for a live value. */
  label: string;
}

export interface Figure<T = number | null> {
  kpi: string;
  value: T;
  unit?: string;
  period: Period;
  inputs: Record<string, unknown>;
  /** Share of the period backed by good data, 0…1. */
  coverage: number;
  quality: Quality;
  /** interim, incomplete, instantaneous, warning, critical, ... */
  flags: string[];
  status?: 'ok' | 'warning' | 'critical' | 'unknown';
  message?: string;
}

export function figure<T>(kpi: string, value: T, period: Period, init: Partial<Omit<Figure<T>, 'kpi' | 'value' | 'period'>> = {}): Figure<T> {
  return { kpi, value, period, inputs: init.inputs ?? {}, coverage: init.coverage ?? 1, quality: init.quality ?? 'good', flags: init.flags ?? [], ...(init.unit ? { unit: init.unit } : {}), ...(init.status ? { status: init.status } : {}), ...(init.message ? { message: init.message } : {}) };
}

export function instant(ts: number): Period {
  return { start: ts, end: ts, label: 'instant' };
}

export function periodLabel(ms: number): string {
  const d = ms / 86_400_000;
  if (Number.isInteger(d) && d >= 1) return `P${d}D`;
  const m = ms / 60_000;
  if (Number.isInteger(m)) return m % 60 === 0 ? `PT${m / 60}H` : `PT${m}M`;
  return `PT${ms / 1000}S`;
}

export { worstQuality, type Quality };
