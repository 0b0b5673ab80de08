/**
 * Flood and chatter detection (FS-26, R33). Pure trackers over timestamps:
 * - flood: more than `threshold` annunciations within `windowMs` starts a flood; it ends when
 *   the window holds fewer than `endBelow`;
 * - chatter: `perMin` or more activations of one alarm within 60 s flags it as chattering.
 */
export class FloodTracker {
  private stamps: number[] = [];
  flood: { since: number; rootId: string; count: number } | null = null;
  constructor(private readonly threshold = 10, private readonly windowMs = 600_000, private readonly endBelow = 5) {}

  private prune(now: number) { while (this.stamps.length && this.stamps[0]! <= now - this.windowMs) this.stamps.shift(); }

  /** Record one annunciation; returns 'start' when it begins a flood. */
  annunciate(now: number, alarmId: string, rootCandidate: () => string): 'start' | 'in' | 'none' {
    this.prune(now);
    this.stamps.push(now);
    if (this.flood) { this.flood.count++; return 'in'; }
    if (this.stamps.length > this.threshold) {
      this.flood = { since: now, rootId: rootCandidate() || alarmId, count: this.stamps.length };
      return 'start';
    }
    return 'none';
  }

  /** Call periodically; returns the ended flood when it ends. */
  tick(now: number): { since: number; rootId: string; count: number } | null {
    this.prune(now);
    if (this.flood && this.stamps.length < this.endBelow) { const f = this.flood; this.flood = null; return f; }
    return null;
  }

  inWindow(now: number): number { this.prune(now); return this.stamps.length; }
}

export class ChatterTracker {
  private readonly activations = new Map<string, number[]>();
  constructor(private readonly perMin = 3) {}

  /** Record an activation; true when the alarm is now chattering. */
  activate(id: string, now: number): boolean {
    const list = (this.activations.get(id) ?? []).filter((t) => t > now - 60_000);
    list.push(now);
    this.activations.set(id, list);
    return list.length >= this.perMin;
  }

  /** True while any activation of the alarm lies within the last minute. */
  recent(id: string, now: number): boolean {
    const list = (this.activations.get(id) ?? []).filter((t) => t > now - 60_000);
    this.activations.set(id, list);
    return list.length > 0;
  }
}
