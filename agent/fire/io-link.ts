/**
 * FS-26 consequential alarms, the runtime half: tells the zone machine when one of its source
 * devices (fire I/O, BMS, camera) stops answering — every point of the device in a batch is bad for
 * a communication reason (timeout, stale, ...: uncertain or bad) — or answers again. The machine then raises one device trouble instead of
 * one trouble per channel the device feeds (statecharts/zone/inputs.ts onIoLink).
 */
import type { Point } from '../../lib/points.js';
import type { IoSource, ZoneEvent } from '../../statecharts/zone/types.js';

/** Reasons that mean "the device did not answer" (a Modbus exception or a bad value means it did). */
const COMM_REASONS = new Set(['comm_failure', 'timeout', 'stale', 'not_connected']);

export class IoLinkTracker {
  private readonly up = new Map<string, boolean>();
  private readonly byDevice = new Map<string, IoSource>();

  constructor(sources: { source: IoSource; device: string | undefined }[]) {
    for (const s of sources) if (s.device) this.byDevice.set(s.device, s.source);
  }

  /** Link changes shown by one batch of points (a device absent from the batch keeps its state). */
  events(points: readonly Point[], ts: number): ZoneEvent[] {
    const seen = new Map<string, { answered: boolean; reason: string | undefined }>();
    for (const p of points) {
      if (!this.byDevice.has(p.device)) continue;
      const s = seen.get(p.device) ?? { answered: false, reason: undefined };
      // stale points come first as `uncertain`, then `bad`: either way the device did not answer
      if (p.quality === 'good' || !COMM_REASONS.has(String(p.reason ?? ''))) s.answered = true;
      else s.reason ??= String(p.reason);
      seen.set(p.device, s);
    }
    const out: ZoneEvent[] = [];
    for (const [device, s] of seen) {
      const was = this.up.get(device);
      if (was === s.answered || (was === undefined && s.answered)) { this.up.set(device, s.answered); continue; }
      this.up.set(device, s.answered);
      out.push({ type: 'IO.LINK', source: this.byDevice.get(device)!, device, up: s.answered, ...(s.reason && !s.answered ? { reason: s.reason } : {}), ts });
    }
    return out;
  }
}
