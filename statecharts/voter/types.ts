/** Types of the per-rack voter (FS-01..07). Racks are 1-based indexes as in point names. */
import type { Quality } from '../../lib/points.js';

export const CHANNELS = ['probeA', 'probeB', 'bms', 'camera'] as const;
export type ChannelId = (typeof CHANNELS)[number];

/** One temperature sample of one channel of one rack. `seq` must advance (FS-01). */
export interface ChannelReading {
  rack: number;
  channel: ChannelId;
  /** °C; null when the source had no value (counts as bad) */
  value: number | null;
  /** source timestamp (ms) */
  ts: number;
  quality: Quality;
  seq: number;
  /** the source's quality reason when not good (`out_of_range`, `stale`, `timeout`, ...) */
  reason?: string;
}

export type DetectorKind = 'smoke' | 'offgas' | 'patch';

/** A discrete detector: rack-level (`rack`) or room-level (`room: true`). `fault` = open circuit. */
export interface DetectorReading {
  rack?: number;
  room?: boolean;
  kind: DetectorKind;
  state: boolean;
  ts: number;
  fault?: boolean;
}

/** Why a channel is not voting, or `ok`. */
export type ChannelStatus =
  | 'ok' | 'missing' | 'stale' | 'bad' | 'out_of_range' | 'repeated_seq' | 'suspect_stuck' | 'occluded' | 'bypassed';

export type VoteLevel = 'none' | 'watch' | 's0' | 's1' | 's2' | 's3';
export const LEVEL_RANK: Record<VoteLevel, number> = { none: 0, watch: 1, s0: 2, s1: 3, s2: 4, s3: 5 };

/** A channel as seen at decision time (FS-35: value, quality, age). */
export interface ChannelSnapshot {
  channel: ChannelId;
  value: number | null;
  quality: Quality | 'none';
  status: ChannelStatus;
  valid: boolean;
  discrepant: boolean;
  ageMs: number | null;
}

export interface DecisionRecord {
  rack: number;
  level: VoteLevel;
  at: number;
  /** e.g. '2ooN', '1ooN+corroboration', '1oo1', 'patch', 'offgas', 'smoke+temp' */
  rule: string;
  validCount: number;
  channels: ChannelSnapshot[];
  detectors: { smoke: boolean; offgas: boolean; patch: boolean };
  reasons: string[];
}

/** Zone-wide thermal summary for the zone machine's escalation guards (FS-10, FS-20, FS-23). */
export interface ThermalStatus {
  at: number;
  /** max over valid channels of all racks, null when no valid channel */
  maxC: number | null;
  /** every valid channel falling over the rate window */
  falling: boolean;
  /** any valid channel rising over the rate window */
  rising: boolean;
  /** fewest valid channels in any rack */
  minValidCount: number;
  smoke: boolean;
  offgas: boolean;
  /** a room-level detector outside the racks (spread, FS-10) */
  roomAlarm: boolean;
  /** since when FS-20's water-stop criteria have held, null when they do not hold */
  coolSince: number | null;
  /** racks whose 2ooN voted temperature is ≥ the watch threshold: rack → voted °C */
  hot: Record<string, number>;
  /** racks whose input is in a pre-alarm or above */
  watchRacks: number[];
}

export type VoterEvent =
  | { type: 'VOTE.WATCH'; racks: number[]; ts: number; reasons: string[]; decisions: DecisionRecord[] }
  | { type: 'VOTE.S0'; racks: number[]; room: boolean; ts: number; decisions: DecisionRecord[] }
  | { type: 'VOTE.S1'; racks: number[]; ts: number; decisions: DecisionRecord[] }
  | { type: 'VOTE.S2'; racks: number[]; ts: number; decisions: DecisionRecord[] }
  | { type: 'VOTE.S3'; racks: number[]; ts: number; decisions: DecisionRecord[] }
  | { type: 'VOTE.CLEAR'; ts: number }
  | { type: 'VOTE.STATUS'; ts: number; status: ThermalStatus }
  | { type: 'CHANNEL.FAULT'; rack: number; channel: ChannelId | DetectorKind; reason: string; ts: number }
  | { type: 'CHANNEL.DEGRADED'; rack: number; validCount: number; ts: number; reason: string }
  | { type: 'CHANNEL.RESTORED'; rack: number; channel: ChannelId | DetectorKind | 'voting'; ts: number };

export interface VoterInput {
  readings?: ChannelReading[];
  detectors?: DetectorReading[];
}

/** Conditions set by the zone (design suppression FS-26, bypasses FS-27). */
export interface VoterEnv {
  /** camera occluded by design (curtain down, water or gas active) */
  cameraOccluded?: boolean;
  /** bypassed channels as `${rack}/${channel}` */
  bypassed?: readonly string[];
}
