/**
 * The latest value of every fire-relevant point of one zone, fed from the agent's normalised
 * point stream. Actuation waits on it for feedback; the runtime reads it for recovery (FS-31
 * step 2) and turns it into machine events. A point that is not good counts as unknown.
 */
import type { Point } from '../../lib/points.js';

export interface FieldValue {
  value: Point['value'];
  ts: number;
  quality: Point['quality'];
  reason?: string;
}

export class FieldState {
  private values = new Map<string, FieldValue>();
  private listeners = new Set<(name: string) => void>();

  update(p: Point): void {
    const v: FieldValue = { value: p.value, ts: p.ts, quality: p.quality };
    if (p.reason) v.reason = String(p.reason);
    this.values.set(p.name, v);
    for (const l of [...this.listeners]) l(p.name);
  }

  get(name: string): FieldValue | undefined { return this.values.get(name); }

  /** Good boolean value, else undefined (unknown). */
  bool(name: string): boolean | undefined {
    const v = this.values.get(name);
    if (!v || v.quality !== 'good') return undefined;
    if (typeof v.value === 'boolean') return v.value;
    if (typeof v.value === 'number') return v.value !== 0;
    return undefined;
  }

  /** Good numeric value, else undefined (unknown). */
  num(name: string): number | undefined {
    const v = this.values.get(name);
    if (!v || v.quality !== 'good' || typeof v.value !== 'number' || !Number.isFinite(v.value)) return undefined;
    return v.value;
  }

  has(name: string): boolean { return this.values.has(name); }
  size(): number { return this.values.size; }

  /** Called after every update (point name). Returns an unsubscribe function. */
  onUpdate(fn: (name: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
