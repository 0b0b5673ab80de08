/**
 * Collects points into telemetry batches: a batch is cut when it holds `maxPoints`, when its JSON
 * would pass about `maxBytes`, or when its first point has waited `maxDelayMs` (`fireDelayMs` when
 * it holds a fire-relevant point).
 */
import type { WirePoint } from '../../lib/points.js';

export interface BatcherOptions {
  maxPoints: number;
  /** Cut a batch before its JSON passes about this many bytes (brokers limit message size). */
  maxBytes?: number;
  maxDelayMs: number;
  /** Longest wait of a batch that carries a fire-relevant point (default 0: at once, same tick). */
  fireDelayMs?: number;
}

export class Batcher {
  private points: WirePoint[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private deadline = Infinity;

  constructor(private readonly opts: BatcherOptions, private readonly emit: (points: WirePoint[]) => void) {}

  add(points: WirePoint[], fire = false): void {
    const maxBytes = this.opts.maxBytes ?? Infinity;
    for (const p of points) {
      const size = sizeOf(p);
      if (this.points.length && this.bytes + size > maxBytes) this.flush();
      this.points.push(p);
      this.bytes += size;
      if (this.points.length >= this.opts.maxPoints) this.flush();
    }
    if (!this.points.length) return;
    this.arm(fire ? this.opts.fireDelayMs ?? 0 : this.opts.maxDelayMs);
  }

  /** Cut the current batch now (also on stop). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.deadline = Infinity;
    if (!this.points.length) return;
    const batch = this.points;
    this.points = [];
    this.bytes = 0;
    this.emit(batch);
  }

  get pending(): number { return this.points.length; }

  stop(): void { this.flush(); }

  private arm(delayMs: number): void {
    const due = Date.now() + delayMs;
    if (due >= this.deadline) return;
    if (this.timer) clearTimeout(this.timer);
    this.deadline = due;
    this.timer = setTimeout(() => this.flush(), delayMs);
  }
}

/** Upper estimate of a point's JSON size: {"d":"…","n":"…","v":…,"t":1700000000000,"q":0,"r":"…"}, */
function sizeOf(p: WirePoint): number {
  const v = typeof p.v === 'string' ? p.v.length * 2 + 2 : 24;
  return 48 + p.d.length + p.n.length + v + (p.r ? p.r.length + 6 : 0);
}
