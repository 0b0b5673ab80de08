/**
 * Report-by-exception: a point is sent when it changed by more than its deadband since it was
 * last SENT (so slow drift is still reported), when its quality or reason changed, when its
 * heartbeat interval passed, and always when it is fire-relevant (PointDef.fire).
 */
import type { Point } from '../../lib/points.js';

export interface RbeOptions {
  /** Absolute change that is reported; 0 = every change. */
  deadband: number;
  heartbeatMs: number;
  /** Per-point overrides (fire-relevant points, own deadband). */
  policyOf?: (device: string, name: string) => { fire?: boolean; deadband?: number } | undefined;
}

interface Last { value: Point['value']; quality: Point['quality']; reason: string | undefined; at: number }

export class ReportByException {
  private readonly last = new Map<string, Last>();
  private held = 0;

  constructor(private readonly opts: RbeOptions) {}

  /** The points to send now, out of `points`; `now` is a monotonic clock in ms. */
  filter(points: Point[], now: number): Point[] {
    const out: Point[] = [];
    for (const p of points) {
      const k = `${p.device}\u0000${p.name}`;
      const prev = this.last.get(k);
      const policy = this.opts.policyOf?.(p.device, p.name);
      if (!prev || policy?.fire || this.changed(prev, p, policy?.deadband ?? this.opts.deadband) || now - prev.at >= this.opts.heartbeatMs) {
        this.last.set(k, { value: p.value, quality: p.quality, reason: p.reason as string | undefined, at: now });
        out.push(p);
      } else {
        this.held++;
      }
    }
    return out;
  }

  /** Points held back so far (for /metrics). */
  get heldBack(): number { return this.held; }

  private changed(prev: Last, p: Point, deadband: number): boolean {
    if (prev.quality !== p.quality || prev.reason !== p.reason) return true;
    if (typeof prev.value === 'number' && typeof p.value === 'number') return Math.abs(p.value - prev.value) > deadband || (deadband === 0 && p.value !== prev.value);
    return prev.value !== p.value;
  }
}
