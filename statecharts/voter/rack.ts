/**
 * Evaluation of one rack at time `now`: channel validity (FS-01), stuck and drift (FS-02), graded
 * MooN voting with corroboration (FS-04..07). Pure: returns the rack's level, its decision record
 * and the channel statuses; the zone voter turns level changes into events.
 */
import type { FireParams } from '../params.js';
import { asserted, flat, movement, rate, staleLimitMs, type ChannelState } from './channel.js';
import type { ChannelId, ChannelSnapshot, ChannelStatus, DecisionRecord, VoteLevel } from './types.js';

export interface DetectorState {
  state: boolean;
  since: number | null;
  fault: boolean;
  ts: number;
}

export const noDetector = (): DetectorState => ({ state: false, since: null, fault: false, ts: 0 });

export interface RackState {
  ch: Partial<Record<ChannelId, ChannelState>>;
  smoke: DetectorState;
  offgas: DetectorState;
  patch: DetectorState;
  /** level reported last (events are sent when it rises, CLEAR when all racks are back to none) */
  level: VoteLevel;
  /** last valid-channel count reported as degraded (null = not degraded) */
  degraded: number | null;
  /** ror/smoke watch conditions are held on until this time (off-delay) */
  softWatchUntil: number | null;
  /** when the discrepancy of each channel started */
}

export interface RackEval {
  level: VoteLevel;
  rule: string;
  reasons: string[];
  validCount: number;
  channels: ChannelSnapshot[];
  /** channel → trouble reason (null = fine); bypass and occlusion are not troubles */
  troubles: Partial<Record<ChannelId, string | null>>;
  discrepantSince: Partial<Record<ChannelId, number | null>>;
  valid: ChannelId[];
  /** 2ooN voted temperature (second highest valid; the only one in 1oo1), null without valid channels */
  votedC: number | null;
  maxC: number | null;
  falling: boolean;
  rising: boolean;
  /** every valid channel known to be non-rising (FS-20) */
  nonRising: boolean;
  rorStage1: boolean;
  offgasConfirmed: boolean;
  softWatch: boolean;
}

export interface EvalEnv {
  now: number;
  params: FireParams;
  channels: readonly ChannelId[];
  occluded: boolean;
  bypassed: ReadonlySet<string>;
  /** before this time a channel that never reported is not yet a trouble (start-up grace) */
  graceUntil: number;
  roomOffgasConfirmed: boolean;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function evalRack(rack: number, r: RackState, env: EvalEnv): RackEval {
  const { params: p, now } = env;
  const d = p.detection;
  const status: Partial<Record<ChannelId, ChannelStatus>> = {};
  // 1. validity gate, before stuck detection so peers are judged on valid data only
  for (const c of env.channels) {
    const s = r.ch[c];
    let st: ChannelStatus;
    if (env.bypassed.has(`${rack}/${c}`)) st = 'bypassed';
    else if (!s || !s.last) st = 'missing';
    else if (c === 'camera' && env.occluded) st = 'occluded';
    else if (s.sampleFault) st = s.sampleFault;
    else if (now - s.last.ts > staleLimitMs(d, c)) st = 'stale';
    else st = 'ok';
    status[c] = st;
  }
  // 2. stuck: flat for the window while a voting peer moved (FS-02)
  for (const c of env.channels) {
    const s = r.ch[c];
    if (status[c] !== 'ok' || !s || !flat(s, d)) continue;
    const peerMoved = env.channels.some((o) => o !== c && status[o] === 'ok' && r.ch[o] && movement(r.ch[o]!) > d.stuckPeerMoveC);
    if (peerMoved) status[c] = 'suspect_stuck';
  }
  const valid = env.channels.filter((c) => status[c] === 'ok');
  const val = (c: ChannelId) => r.ch[c]!.last!.value as number;
  // 3. drift: |channel − median of peers| > discrepancyC for discrepancyMs (flag only; still votes)
  const discrepantSince: Partial<Record<ChannelId, number | null>> = {};
  const discrepant = new Set<ChannelId>();
  // the median of the whole valid group (a channel's own value included) so that one outlier among
  // three does not make its two agreeing peers look discrepant
  const groupMedian = valid.length >= 2 ? median(valid.map(val)) : null;
  for (const c of valid) {
    const prev = r.ch[c]!.discrepantSince;
    if (groupMedian !== null && Math.abs(val(c) - groupMedian) > d.discrepancyC) {
      const since = prev ?? now;
      discrepantSince[c] = since;
      if (now - since >= d.discrepancyMs) discrepant.add(c);
    } else {
      discrepantSince[c] = null;
    }
  }
  const onDelay = p.timings.onDelayMs;
  const n = (lvl: 's1' | 's2' | 's3' | 'corr') => valid.filter((c) => asserted(r.ch[c]!, lvl, onDelay));
  const n3 = n('s3'), n2 = n('s2'), n1 = n('s1'), nc = n('corr');
  const rates = new Map(valid.map((c) => [c, rate(r.ch[c]!, d)] as const));
  const rorStage1 = [...rates.values()].some((x) => x !== null && x.sustained >= d.rorStage1CPerMin);
  const rorWatch = [...rates.values()].some((x) => x !== null && x.overall >= d.rorWatchCPerMin);
  const offgasConfirmed = (r.offgas.state && r.offgas.since !== null && now - r.offgas.since >= p.timings.offGasOnDelayMs) || env.roomOffgasConfirmed;
  const smoke = r.smoke.state;
  const patch = r.patch.state;
  const one = valid.length === 1;
  const reasons: string[] = [];
  let level: VoteLevel = 'none';
  let rule = '';
  // 4. graded voting, highest first
  if (n3.length >= 2 || (one && n3.length === 1)) {
    level = 's3'; rule = one ? '1oo1' : '2ooN';
  } else if (n2.length >= 2 || (one && n2.length === 1) || patch) {
    level = 's2'; rule = patch && !(n2.length >= 2 || (one && n2.length === 1)) ? 'patch' : one ? '1oo1' : '2ooN';
  } else {
    const hot = n1[0];
    const corrBy: string[] = [];
    if (hot !== undefined) {
      if (nc.some((c) => c !== hot)) corrBy.push('second channel');
      if (smoke) corrBy.push('smoke');
      if (offgasConfirmed) corrBy.push('offgas');
      if (rorStage1) corrBy.push('rate-of-rise');
    }
    const smokeAndHeat = smoke && (nc.length > 0 || rorStage1);
    if ((hot !== undefined && (corrBy.length > 0 || one)) || smokeAndHeat) {
      level = 's1';
      rule = hot !== undefined ? (one && corrBy.length === 0 ? '1oo1' : `1ooN+${corrBy.join('+')}`) : `smoke+${nc.length > 0 ? 'temp' : 'rate-of-rise'}`;
    } else if (offgasConfirmed) {
      level = 's0'; rule = env.roomOffgasConfirmed ? 'room offgas' : 'offgas';
    }
  }
  // 5. watch (non-latching): channel pre-alarms (deadband), rate of rise, one-channel smoke
  const pre = valid.concat(env.channels.filter((c) => status[c] !== 'ok' && r.ch[c]?.levels.watch.pre === true && status[c] !== 'bypassed'))
    .filter((c) => r.ch[c]?.levels.watch.pre || r.ch[c]?.levels.s1.pre);
  const soft = rorWatch || smoke;
  const softWatch = soft || (r.softWatchUntil !== null && now < r.softWatchUntil);
  if (level === 'none' && (pre.length > 0 || softWatch)) {
    level = 'watch';
    if (pre.length) reasons.push(`pre-alarm ${pre.join(',')}`);
    if (rorWatch) reasons.push('rate-of-rise');
    if (smoke) reasons.push('smoke');
    rule = 'watch';
  }
  if (level !== 'none' && level !== 'watch' && n1.length === 1 && valid.length > 1 && level === 's1') reasons.push('single hot channel, corroborated');
  for (const c of discrepant) reasons.push(`${c} discrepant`);
  if (one) reasons.push('degraded voting (1oo1)');
  const channels: ChannelSnapshot[] = env.channels.map((c) => {
    const s = r.ch[c];
    return {
      channel: c,
      value: s?.last?.value ?? null,
      quality: s?.last?.quality ?? 'none',
      status: status[c]!,
      valid: status[c] === 'ok',
      discrepant: discrepant.has(c),
      ageMs: s?.last ? now - s.last.ts : null,
    };
  });
  const troubles: Partial<Record<ChannelId, string | null>> = {};
  for (const c of env.channels) {
    const st = status[c]!;
    if (st === 'bypassed' || st === 'occluded') troubles[c] = null;
    else if (st === 'missing') troubles[c] = now >= env.graceUntil ? 'missing' : null;
    else if (st !== 'ok') troubles[c] = st;
    else troubles[c] = discrepant.has(c) ? 'discrepant' : null;
  }
  const values = valid.map(val).sort((a, b) => b - a);
  const rs = valid.map((c) => rates.get(c) ?? null);
  return {
    level, rule, reasons, validCount: valid.length, channels, troubles, discrepantSince, valid,
    votedC: values.length === 0 ? null : values.length === 1 ? values[0]! : values[1]!,
    maxC: values.length ? values[0]! : null,
    falling: rs.length > 0 && rs.every((x) => x !== null && x.overall < 0),
    rising: rs.some((x) => x !== null && x.overall > 0.1),
    nonRising: rs.every((x) => x !== null && x.overall <= 0.1),
    rorStage1, offgasConfirmed, softWatch: soft,
  };
}

export function decisionOf(rack: number, e: RackEval, r: RackState, at: number): DecisionRecord {
  return {
    rack, level: e.level, at, rule: e.rule, validCount: e.validCount, channels: e.channels,
    detectors: { smoke: r.smoke.state, offgas: r.offgas.state, patch: r.patch.state },
    reasons: e.reasons,
  };
}
