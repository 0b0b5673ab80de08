/**
 * Utility feeds, transfer and capacity (SERVER.md R23–R27; F26, F28–F30, F32): feed state and
 * availability, transfer events with durations, N+N headroom, redundancy lost, A/B rack circuits.
 */

/** F26: P [W] = √3 · V_LL · I · PF. */
export function threePhasePowerW(vLL: number, amps: number, pf: number): number {
  return Math.sqrt(3) * vLL * amps * pf;
}

/** R23: available while every phase voltage is within ±tol of nominal, frequency within ±hzTol, breaker closable. */
export function feedAvailable(m: { voltages: number[]; frequency?: number | null; breakerClosable?: boolean | null }, nominalV: number, tol = 0.1, nominalHz = 60, hzTol = 0.5): boolean {
  if (!m.voltages.length || m.voltages.some((v) => Math.abs(v - nominalV) > tol * nominalV)) return false;
  if (m.frequency != null && Math.abs(m.frequency - nominalHz) > hzTol) return false;
  return m.breakerClosable !== false;
}

export interface Interval {
  start: number;
  end: number;
}

/** Intervals in [from, to) where `ok` is false, from samples sorted by ts (each sample holds until the next). */
export function falseIntervals(samples: ReadonlyArray<{ ts: number; ok: boolean }>, from: number, to: number): Interval[] {
  const out: Interval[] = [];
  let start: number | null = null;
  for (const s of samples) {
    if (s.ts >= to) break;
    const t = Math.max(s.ts, from);
    if (!s.ok && start === null) start = t;
    if (s.ok && start !== null) { out.push({ start, end: t }); start = null; }
  }
  if (start !== null) out.push({ start, end: to });
  return out.filter((i) => i.end > i.start);
}

/** F30: A = 1 − Σ t_unavailable / T. */
export function availability(unavailable: Interval[], from: number, to: number): number {
  const down = unavailable.reduce((a, i) => a + (Math.min(i.end, to) - Math.max(i.start, from)), 0);
  return 1 - down / (to - from);
}

export interface TransferEvent {
  id: number;
  from: string;
  to: string;
  tLoss: number;
  tTransfer: number;
  durationMs: number;
  cause: string;
  /** A re-transfer (back to the preferred source) links to the transfer it undoes. */
  linkedTo?: number;
}

export interface TransferSample {
  ts: number;
  /** Which feed carries the load ('A', 'B', or 'none' while switching). */
  source: string | null;
  available: Record<string, boolean | null | undefined>;
}

/**
 * R24: every source change is an event with t_loss (first out-of-tolerance sample of the source
 * in use, or the last sample on the old source for a planned re-transfer), t_transfer (first
 * sample on the other source), duration, direction and cause. A loss not followed by a transfer
 * within `failAfterMs` (10 s) gives a critical `transfer.failed`.
 */
export function transferEvents(samples: readonly TransferSample[], opts: { failAfterMs?: number; preferred?: string } = {}): { events: TransferEvent[]; failures: Array<{ kind: 'transfer.failed'; ts: number; source: string }> } {
  const failAfter = opts.failAfterMs ?? 10_000;
  const events: TransferEvent[] = [];
  const failures: Array<{ kind: 'transfer.failed'; ts: number; source: string }> = [];
  let current: string | null = null;
  let lastOnCurrent = 0;
  let tLoss: number | null = null;
  let failed = false;
  for (const s of samples) {
    const src = s.source && s.source !== 'none' ? s.source : null;
    if (current === null && src !== null) { current = src; lastOnCurrent = s.ts; }
    if (current !== null && tLoss === null && s.available[current] === false) tLoss = s.ts;
    if (src !== null && current !== null && src !== current) {
      const ev: TransferEvent = {
        id: events.length + 1, from: current, to: src, tLoss: tLoss ?? lastOnCurrent, tTransfer: s.ts,
        durationMs: s.ts - (tLoss ?? lastOnCurrent), cause: tLoss !== null ? `loss of feed ${current}` : 'retransfer',
      };
      const undo = [...events].reverse().find((e) => e.from === src && e.to === current);
      if (undo) ev.linkedTo = undo.id;
      events.push(ev);
      tLoss = null;
      failed = false;
    }
    if (tLoss !== null && !failed && s.ts - tLoss > failAfter && (src === null || src === current)) {
      failed = true;
      failures.push({ kind: 'transfer.failed', ts: s.ts, source: current! });
    }
    if (src !== null) { current = src; lastOnCurrent = s.ts; }
    if (current !== null && s.available[current] === true && src === current) tLoss = null;
  }
  return { events, failures };
}

/** Transfers within the last `windowMs` before `now` (counts per 24 h / 30 days, R24). */
export function countSince(events: readonly TransferEvent[], now: number, windowMs: number): number {
  return events.filter((e) => e.tTransfer > now - windowMs && e.tTransfer <= now).length;
}

/** F28: peak demand [kW] from 15-min energies [kWh]. */
export function peakDemandKw(energies15mKwh: readonly number[]): number {
  return energies15mKwh.reduce((m, e) => Math.max(m, e / 0.25), 0);
}

export interface Headroom {
  feed: string;
  capacityKw: number;
  headroomKw: number;
  headroomPct: number;
  /** Share of the peak the feed can carry alone. */
  canCarryPct: number;
  status: 'ok' | 'warning' | 'critical';
}

/** F29 / R25: H_i = C_i − P_peak; OK if P_peak ≤ (1 − m)·C_i, warning if ≤ C_i, else critical. */
export function headroom(feeds: ReadonlyArray<{ id: string; capacityKw: number }>, peakKw: number, margin = 0.1): { feeds: Headroom[]; status: 'ok' | 'warning' | 'critical' } {
  const out = feeds.map((f) => {
    const status: Headroom['status'] = peakKw <= (1 - margin) * f.capacityKw ? 'ok' : peakKw <= f.capacityKw ? 'warning' : 'critical';
    return { feed: f.id, capacityKw: f.capacityKw, headroomKw: f.capacityKw - peakKw, headroomPct: (f.capacityKw - peakKw) / f.capacityKw * 100, canCarryPct: f.capacityKw / peakKw * 100, status };
  });
  const status = out.some((f) => f.status === 'critical') ? 'critical' : out.some((f) => f.status === 'warning') ? 'warning' : 'ok';
  return { feeds: out, status };
}

/** R26: intervals with fewer than `need` feeds available, and the total time without redundancy. */
export function redundancyLost(samples: ReadonlyArray<{ ts: number; available: Record<string, boolean | null | undefined> }>, from: number, to: number, need = 2): { intervals: Interval[]; totalMs: number; lostNow: boolean } {
  const ok = samples.map((s) => ({ ts: s.ts, ok: Object.values(s.available).filter((v) => v === true).length >= need }));
  const intervals = falseIntervals(ok, from, to);
  const last = ok.filter((s) => s.ts < to).pop();
  return { intervals, totalMs: intervals.reduce((a, i) => a + i.end - i.start, 0), lostNow: last ? !last.ok : false };
}

/** F32 / R27: a dual-corded rack's A + B current must stay ≤ 0.8 × one side's rating. */
export function abPair(iA: number, iB: number, ratingA: number, limit = 0.8): { sum: number; limitA: number; status: 'ok' | 'warning'; alarm: string | null } {
  const sum = iA + iB;
  const limitA = limit * ratingA;
  const bad = sum > limitA + 1e-9;
  return { sum, limitA, status: bad ? 'warning' : 'ok', alarm: bad ? 'failover.overload' : null };
}

/** R27 domino check: a PDU/panel input's load plus what its partners would shift onto it. */
export function domino(inputRatingA: number, loadsA: readonly number[], shiftA: number): { totalA: number; status: 'ok' | 'warning' } {
  const totalA = loadsA.reduce((a, b) => a + b, 0) + shiftA;
  return { totalA, status: totalA > inputRatingA + 1e-9 ? 'warning' : 'ok' };
}
