/**
 * UPS figures (SERVER.md R12–R16; F31, F33, F34): NUT status flags and bitmask, upsmon-style
 * events from transitions, staleness and the dead-UPS rule, runtime cross-check, N-1 over zones.
 */

/** Bits 0–7 as Telegraf/apcupsd, 256 up as SERVER.md R12 (proposal). */
export const STATUS_BITS: Record<string, number> = {
  CAL: 1, TRIM: 2, BOOST: 4, OL: 8, OB: 16, OVER: 32, LB: 64, RB: 128,
  CHRG: 256, DISCHRG: 512, BYPASS: 1024, OFF: 2048, FSD: 4096, HB: 8192, ALARM: 16384, ECO: 32768,
};

export interface UpsStatus {
  flags: string[];
  mask: number;
  unknown: string[];
}

export function parseStatus(s: string): UpsStatus {
  const flags: string[] = [];
  const unknown: string[] = [];
  let mask = 0;
  for (const tok of s.trim().split(/\s+/).filter(Boolean)) {
    const bit = STATUS_BITS[tok];
    if (bit === undefined) { unknown.push(tok); continue; }
    if (!flags.includes(tok)) { flags.push(tok); mask |= bit; }
  }
  return { flags, mask, unknown };
}

/** The simulated UPS (profile sim-ups) reports status bits as booleans; map them to NUT tokens. */
export const SIM_UPS_BITS: Record<string, string> = {
  'ups.status.online': 'OL', 'ups.status.onbattery': 'OB', 'ups.status.lowbattery': 'LB',
  'ups.status.bypass': 'BYPASS', 'ups.status.charging': 'CHRG', 'ups.status.fault': 'ALARM',
};

export function statusFromBits(bits: Record<string, boolean | null | undefined>): string {
  const toks: string[] = [];
  for (const [name, tok] of Object.entries(SIM_UPS_BITS)) if (bits[name] === true) toks.push(tok);
  if (toks.includes('OB') && !toks.includes('DISCHRG')) toks.push('DISCHRG');
  return toks.join(' ');
}

const PAIRS: Record<string, [string, string]> = {
  OB: ['ONBATT', 'ONLINE'], LB: ['LOWBATT', 'NOTLOWBATT'], FSD: ['FSD', 'NOTFSD'], RB: ['REPLBATT', 'NOTREPLBATT'],
  BYPASS: ['BYPASS', 'NOTBYPASS'], OVER: ['OVER', 'NOTOVER'], CAL: ['CAL', 'NOTCAL'], OFF: ['OFF', 'NOTOFF'],
  ALARM: ['ALARM', 'NOTALARM'], ECO: ['ECO', 'NOTECO'],
};

export interface UpsEvent {
  type: string;
  ts: number;
  onBatterySeconds?: number;
  token?: string;
}

/** R13: events from successive status strings (sorted by ts); also `ups.status.unknown_token` once per token. */
export function upsEvents(samples: Array<{ ts: number; status: string }>): UpsEvent[] {
  const out: UpsEvent[] = [];
  let prev = new Set<string>();
  let obSince: number | null = null;
  const seenUnknown = new Set<string>();
  samples.forEach((s, i) => {
    const st = parseStatus(s.status);
    for (const u of st.unknown) if (!seenUnknown.has(u)) { seenUnknown.add(u); out.push({ type: 'ups.status.unknown_token', ts: s.ts, token: u }); }
    const cur = new Set(st.flags);
    if (i > 0) {
      for (const [flag, [on, off]] of Object.entries(PAIRS)) {
        if (cur.has(flag) && !prev.has(flag)) out.push({ type: on, ts: s.ts });
        if (!cur.has(flag) && prev.has(flag)) {
          const e: UpsEvent = { type: off, ts: s.ts };
          if (flag === 'OB' && obSince !== null) e.onBatterySeconds = (s.ts - obSince) / 1000;
          out.push(e);
        }
      }
    }
    if (cur.has('OB') && (i === 0 || !prev.has('OB'))) obSince = s.ts;
    prev = cur;
  });
  return out;
}

export type Liveness = { state: 'ok' | 'stale' | 'dead'; assumed: 'online' | 'onbattery' | 'lowbattery' | 'unknown'; critical: boolean };

/**
 * R14: stale after one missed poll, dead after DEADTIME (≥ 3 × poll). A dead UPS last seen on
 * battery is treated as low battery (critical); last seen on line → Unknown.
 */
export function upsLiveness(lastTs: number, lastStatus: string, now: number, pollMs: number, deadtimeMs = 15_000): Liveness {
  const dead = Math.max(deadtimeMs, 3 * pollMs);
  const onBattery = parseStatus(lastStatus).flags.includes('OB');
  const age = now - lastTs;
  if (age >= dead) return onBattery ? { state: 'dead', assumed: 'lowbattery', critical: true } : { state: 'dead', assumed: 'unknown', critical: false };
  const assumed = onBattery ? 'onbattery' : 'online';
  return { state: age >= pollMs ? 'stale' : 'ok', assumed, critical: false };
}

/** F33 NUT two-point model: runtime [s] at load L % with runtime t_low at L_low and t_high at L_high. */
export function runtimeTwoPoint(cal: { lowLoadPct: number; lowRuntimeS: number; highLoadPct: number; highRuntimeS: number }, loadPct: number, charge = 1, idleLoad = 0): number {
  const n = Math.log(cal.lowRuntimeS / cal.highRuntimeS) / Math.log(cal.highLoadPct / cal.lowLoadPct);
  const t100 = cal.highRuntimeS * (cal.highLoadPct / 100) ** n;
  const l = Math.max((loadPct / 100) ** n, idleLoad);
  return (t100 * charge) / l;
}

/** F34 energy model: t [s] = E_nom · SoC · SoH · η · DoD / P. */
export function runtimeEnergy(p: { nominalKwh: number; soc: number; soh: number; efficiency: number; dod?: number }, loadKw: number): number {
  return ((p.nominalKwh * p.soc * p.soh * p.efficiency * (p.dod ?? 1)) / loadKw) * 3600;
}

/** R15: alarms when min(reported, estimated) < required, and when they differ by more than 25 %. */
export function runtimeCheck(reportedS: number | null, estimatedS: number, requiredS: number, mismatch = 0.25): { runtimeS: number; alarms: string[] } {
  const alarms: string[] = [];
  const runtimeS = reportedS === null ? estimatedS : Math.min(reportedS, estimatedS);
  if (runtimeS < requiredS) alarms.push('runtime.insufficient');
  if (reportedS !== null && Math.abs(reportedS - estimatedS) / Math.max(reportedS, estimatedS) > mismatch) alarms.push('runtime.mismatch');
  return { runtimeS, alarms };
}

export interface Zone {
  id: string;
  capacityKw: number;
}

export interface LoadGroup {
  id: string;
  loadKw: number;
  /** The zones feeding this load and each one's share (sums to 1). */
  feeds: Array<{ zone: string; share: number }>;
}

export interface N1Case {
  failed: string;
  loads: Record<string, number>;
  worstUtilisation: number;
  status: 'ok' | 'warning' | 'critical';
  /** Loads fed only by the failed zone (dropped, not moved). */
  dropped: string[];
}

/** F31 / R16: for every zone f, the post-failure load of each other zone; ok / warning (≥ warnAt·u_max) / critical (> u_max). */
export function nMinusOne(zones: Zone[], groups: LoadGroup[], uMax = 1, warnAt = 0.9): { normal: Record<string, number>; cases: N1Case[]; status: 'ok' | 'warning' | 'critical' } {
  const normal: Record<string, number> = Object.fromEntries(zones.map((z) => [z.id, 0]));
  for (const g of groups) for (const f of g.feeds) normal[f.zone] = (normal[f.zone] ?? 0) + g.loadKw * f.share;
  const cases: N1Case[] = zones.map((fz) => {
    const loads: Record<string, number> = {};
    const dropped: string[] = [];
    for (const z of zones) if (z.id !== fz.id) loads[z.id] = 0;
    for (const g of groups) {
      const survivors = g.feeds.filter((f) => f.zone !== fz.id);
      if (!survivors.length) { dropped.push(g.id); continue; }
      const lost = g.feeds.filter((f) => f.zone === fz.id).reduce((a, f) => a + f.share, 0);
      const keep = survivors.reduce((a, f) => a + f.share, 0);
      for (const f of survivors) loads[f.zone] = (loads[f.zone] ?? 0) + g.loadKw * (f.share + (lost * f.share) / keep);
    }
    let worst = 0;
    for (const z of zones) if (z.id !== fz.id) worst = Math.max(worst, loads[z.id]! / z.capacityKw);
    const status = worst > uMax + 1e-12 || dropped.length ? 'critical' : worst >= warnAt * uMax - 1e-12 ? 'warning' : 'ok';
    return { failed: fz.id, loads, worstUtilisation: worst, status, dropped };
  });
  const status = cases.some((c) => c.status === 'critical') ? 'critical' : cases.some((c) => c.status === 'warning') ? 'warning' : 'ok';
  return { normal, cases, status };
}
