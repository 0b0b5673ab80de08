/**
 * The zone voter: pure `voterStep(state, input, now, env) → { state, events }`. It applies readings
 * and detector changes, evaluates every rack (so staleness is noticed without new data) and emits
 * the derived events for the zone machine: VOTE.* when a rack's level rises (with the decision
 * record of FS-35), VOTE.CLEAR when every rack is back to none, CHANNEL.* troubles on change, and
 * VOTE.STATUS (the thermal summary for FS-10/20/23 guards) when it changed.
 */
import { resolveParams, type FireParams, type PartialParams } from '../params.js';
import { applyReading, emptyChannel, staleLimitMs } from './channel.js';
import { decisionOf, evalRack, noDetector, type DetectorState, type RackEval, type RackState } from './rack.js';
import {
  CHANNELS, LEVEL_RANK, type ChannelId, type DecisionRecord, type DetectorReading, type ThermalStatus,
  type VoterEnv, type VoterEvent, type VoterInput, type VoteLevel,
} from './types.js';

export interface VoterConfig {
  /** rack indexes of this zone (1-based) */
  racks: number[];
  /** channels every rack is expected to have (default all four) */
  channels?: ChannelId[];
  params?: PartialParams | FireParams;
}

export interface VoterState {
  params: FireParams;
  channels: ChannelId[];
  racks: Record<string, RackState>;
  roomSmoke: DetectorState;
  roomOffgas: DetectorState;
  startedAt: number | null;
  coolSince: number | null;
  /** last VOTE.STATUS sent, without `at` (JSON), to send only changes */
  lastStatusKey: string | null;
  anyActive: boolean;
}

export class VoterInputError extends Error {
  constructor(message: string) {
    super(`voter input: ${message}`);
    this.name = 'VoterInputError';
  }
}

export function createVoter(cfg: VoterConfig): VoterState {
  if (cfg.racks.length === 0) throw new VoterInputError('a zone needs at least one rack');
  const channels = cfg.channels ?? [...CHANNELS];
  if (channels.length < 2) throw new VoterInputError('a voting group needs ≥ 2 channels (FS-36)');
  const racks: Record<string, RackState> = {};
  for (const r of cfg.racks) {
    racks[String(r)] = {
      ch: Object.fromEntries(channels.map((c) => [c, emptyChannel()])),
      smoke: noDetector(), offgas: noDetector(), patch: noDetector(),
      level: 'none', degraded: null, softWatchUntil: null,
    };
  }
  return {
    params: resolveParams(cfg.params as PartialParams), channels, racks,
    roomSmoke: noDetector(), roomOffgas: noDetector(), startedAt: null, coolSince: null, lastStatusKey: null, anyActive: false,
  };
}

function applyDetector(d: DetectorState, x: DetectorReading): DetectorState {
  if (x.ts < d.ts) return d;
  return { state: x.state, since: x.state ? (d.state ? d.since : x.ts) : null, fault: x.fault === true, ts: x.ts };
}

export interface VoterStepResult {
  state: VoterState;
  events: VoterEvent[];
  /** per-rack evaluation at `now` (for the journal and the console) */
  evals: Record<string, RackEval>;
}

/** One step of the voter. Readings for unknown racks or channels are reported as CHANNEL.FAULT. */
export function voterStep(state: VoterState, input: VoterInput, now: number, env: VoterEnv = {}): VoterStepResult {
  const p = state.params;
  const events: VoterEvent[] = [];
  const racks: Record<string, RackState> = { ...state.racks };
  const touch = (k: string): RackState => {
    const cur = racks[k]!;
    if (cur === state.racks[k]) racks[k] = { ...cur, ch: { ...cur.ch } };
    return racks[k]!;
  };
  let roomSmoke = state.roomSmoke, roomOffgas = state.roomOffgas;
  for (const r of input.readings ?? []) {
    const k = String(r.rack);
    if (!racks[k] || !state.channels.includes(r.channel)) {
      events.push({ type: 'CHANNEL.FAULT', rack: r.rack, channel: r.channel, reason: 'unknown rack or channel', ts: now });
      continue;
    }
    const rk = touch(k);
    rk.ch[r.channel] = applyReading(rk.ch[r.channel]!, r, p);
  }
  for (const x of input.detectors ?? []) {
    if (x.room) {
      if (x.kind === 'smoke') roomSmoke = applyDetector(roomSmoke, x);
      else if (x.kind === 'offgas') roomOffgas = applyDetector(roomOffgas, x);
      continue;
    }
    const k = String(x.rack);
    if (!racks[k]) { events.push({ type: 'CHANNEL.FAULT', rack: x.rack ?? -1, channel: x.kind, reason: 'unknown rack', ts: now }); continue; }
    const rk = touch(k);
    const before = rk[x.kind];
    rk[x.kind] = applyDetector(before, x);
    if (rk[x.kind].fault !== before.fault) {
      events.push(rk[x.kind].fault
        ? { type: 'CHANNEL.FAULT', rack: x.rack!, channel: x.kind, reason: 'open circuit or missing', ts: now }
        : { type: 'CHANNEL.RESTORED', rack: x.rack!, channel: x.kind, ts: now });
    }
  }
  const startedAt = state.startedAt ?? now;
  const graceUntil = startedAt + Math.max(...state.channels.map((c) => staleLimitMs(p.detection, c)));
  const roomOffgasConfirmed = roomOffgas.state && roomOffgas.since !== null && now - roomOffgas.since >= p.timings.offGasOnDelayMs;
  const evalEnv = {
    now, params: p, channels: state.channels, occluded: env.cameraOccluded === true,
    bypassed: new Set(env.bypassed ?? []), graceUntil, roomOffgasConfirmed,
  };
  const evals: Record<string, RackEval> = {};
  const rising: Record<Exclude<VoteLevel, 'none'>, { racks: number[]; decisions: DecisionRecord[] }> = {
    watch: { racks: [], decisions: [] }, s0: { racks: [], decisions: [] }, s1: { racks: [], decisions: [] },
    s2: { racks: [], decisions: [] }, s3: { racks: [], decisions: [] },
  };
  const watchReasons: string[] = [];
  for (const k of Object.keys(racks)) {
    const rack = Number(k);
    const e = evalRack(rack, racks[k]!, evalEnv);
    evals[k] = e;
    const cur = racks[k]!;
    const soft = e.softWatch ? now + p.timings.preAlarmClearMs : cur.softWatchUntil !== null && now < cur.softWatchUntil ? cur.softWatchUntil : null;
    const degradedNow = e.validCount <= 1 && !(now < graceUntil && e.channels.some((c) => c.status === 'missing')) ? e.validCount : null;
    const changed = soft !== cur.softWatchUntil || degradedNow !== cur.degraded || e.level !== cur.level
      || state.channels.some((c) => (e.discrepantSince[c] ?? null) !== cur.ch[c]!.discrepantSince || (e.troubles[c] ?? null) !== cur.ch[c]!.reported);
    if (!changed) continue; // nothing to record for this rack: no copy
    const rk = touch(k);
    rk.softWatchUntil = soft;
    for (const c of state.channels) {
      const ch = rk.ch[c]!;
      const ds = e.discrepantSince[c] ?? null;
      const trouble = e.troubles[c] ?? null;
      if (ch.discrepantSince !== ds || ch.reported !== trouble) {
        if (trouble !== ch.reported) {
          events.push(trouble
            ? { type: 'CHANNEL.FAULT', rack, channel: c, reason: trouble, ts: now }
            : { type: 'CHANNEL.RESTORED', rack, channel: c, ts: now });
        }
        rk.ch[c] = { ...ch, discrepantSince: ds, reported: trouble };
      }
    }
    // during the start-up grace a channel that has not reported yet is not counted as lost
    const waiting = now < graceUntil && e.channels.some((c) => c.status === 'missing');
    const degraded = e.validCount <= 1 && !waiting ? e.validCount : null;
    if (degraded !== rk.degraded) {
      events.push(degraded !== null
        ? { type: 'CHANNEL.DEGRADED', rack, validCount: degraded, ts: now, reason: degraded === 0 ? 'no valid channel: zone impairment (FS-27)' : 'degraded voting (1oo1)' }
        : { type: 'CHANNEL.RESTORED', rack, channel: 'voting', ts: now });
      rk.degraded = degraded;
    }
    if (LEVEL_RANK[e.level] > LEVEL_RANK[rk.level] && e.level !== 'none') {
      rising[e.level].racks.push(rack);
      rising[e.level].decisions.push(decisionOf(rack, e, rk, now));
      if (e.level === 'watch') watchReasons.push(...e.reasons.map((x) => `rack ${rack}: ${x}`));
    }
    rk.level = e.level;
  }
  for (const lvl of ['s3', 's2', 's1', 's0'] as const) {
    const x = rising[lvl];
    if (x.racks.length === 0) continue;
    if (lvl === 's0') events.push({ type: 'VOTE.S0', racks: x.racks, room: roomOffgasConfirmed, ts: now, decisions: x.decisions });
    else events.push({ type: `VOTE.${lvl.toUpperCase() as 'S1' | 'S2' | 'S3'}`, racks: x.racks, ts: now, decisions: x.decisions });
  }
  if (rising.watch.racks.length) {
    events.push({ type: 'VOTE.WATCH', racks: rising.watch.racks, ts: now, reasons: watchReasons, decisions: rising.watch.decisions });
  }
  const anyActive = Object.values(racks).some((r) => r.level !== 'none');
  if (state.anyActive && !anyActive) events.push({ type: 'VOTE.CLEAR', ts: now });
  // thermal summary
  const all = Object.entries(evals);
  const valids = all.filter(([, e]) => e.validCount > 0);
  const anySmoke = Object.values(racks).some((r) => r.smoke.state) || roomSmoke.state;
  const anyOffgas = Object.values(racks).some((r) => r.offgas.state) || roomOffgas.state;
  const maxC = valids.length ? Math.max(...valids.map(([, e]) => e.maxC as number)) : null;
  const cool = all.every(([, e]) => e.validCount >= 2 && e.nonRising && (e.maxC ?? Infinity) < p.thresholds.waterStopBelow) && !anySmoke && !anyOffgas;
  const coolSince = cool ? (state.coolSince ?? now) : null;
  const hot: Record<string, number> = {};
  for (const [k, e] of all) if (e.votedC !== null && e.votedC >= p.thresholds.watch) hot[k] = e.votedC;
  const status: ThermalStatus = {
    at: now, maxC,
    // FS-10 "controlled": the racks that matter are falling. A quiet rack (below the watch
    // threshold and not rising) has nothing to fall from and must not hold the room "not
    // controlled" forever; with every rack quiet, nothing is rising.
    falling: valids.length > 0 && (() => {
      const considered = valids.filter(([, e]) => !((e.maxC ?? Infinity) < p.thresholds.watch && !e.rising));
      return considered.length ? considered.every(([, e]) => e.falling) : valids.every(([, e]) => !e.rising);
    })(),
    rising: valids.some(([, e]) => e.rising),
    minValidCount: Math.min(...all.map(([, e]) => e.validCount)),
    smoke: anySmoke, offgas: anyOffgas, roomAlarm: roomSmoke.state || roomOffgas.state,
    coolSince, hot,
    watchRacks: all.filter(([, e]) => e.level !== 'none').map(([k]) => Number(k)),
  };
  const { at: _at, ...rest } = status;
  const key = JSON.stringify(rest);
  if (key !== state.lastStatusKey) events.push({ type: 'VOTE.STATUS', ts: now, status });
  return {
    state: { ...state, racks, roomSmoke, roomOffgas, startedAt, coolSince, lastStatusKey: key, anyActive },
    events,
    evals,
  };
}
